// ConnectionSender::write with a TaggedReply or GenCallRequest payload: the same bytes as writing the Term it stands
// for, in every header mode, with the atom cache warm and cold, slots that collide, UTF-8 and
// long atoms, references of 1, 3 and 5 words, and both tag shapes.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "distspec/etf/text.hpp"
#include "distspec/proto/connection.hpp"
#include "support/connection_fixtures.hpp"

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;
using etf::Term;

struct Mode {
  const char* name;
  HeaderMode header;
  std::size_t fragment_size;
  bool colliding_slots;  // every atom in one of 3 slots: the plan keeps some atoms inline
};
const Mode kModes[] = {
    {"pass-through", {false, false}, 0, false},
    {"header, no cache", {false, true}, kOtpFragmentSize, false},
    {"header + cache", {true, false}, 0, false},
    {"header + cache, colliding slots", {true, false}, 0, true},
    {"cache + fragments of 16", {true, true}, 16, false},
};

std::string utf8_repeat(const char* piece, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += piece;
  return s;
}

ConnectionSender make_sender(const Mode& mode) {
  SenderOptions options{.mode = mode.header, .fragment_size = mode.fragment_size};
  if (mode.colliding_slots)
    options.slot_chooser = [](const etf::Atom& a) { return std::uint16_t(AtomCacheOut::default_slot(a) % 3); };
  return ConnectionSender(options);
}

// gen:call requests of many shapes: atoms that are also the message's own atoms ('$gen_call',
// alias, node names), nesting, pids and references, maps, binaries, UTF-8.
const std::vector<Term>& requests() {
  static const std::vector<Term> all = [] {
    std::vector<Term> r;
    r.push_back(Term::atom("ping"));
    r.push_back(Term::atom("$gen_call"));
    r.push_back(Term::atom("alias"));
    r.push_back(Term::atom("dsb_cpp_caller@vm"));
    r.push_back(Term::integer(-5));
    r.push_back(Term::tuple({Term::atom("is_auth"), Term::atom("n\xc3\xb6" "de@h\xc3\xb6" "st")}));
    r.push_back(Term::list({Term::atom("alias")}, Term::reference(testing::make_ref("x@vm", 1))));
    r.push_back(Term::tuple({Term::pid(testing::make_pid("a@vm", 3)), Term::reference(testing::make_ref("a@vm", 2)),
                             Term::map({{Term::atom("k"), Term::binary_copy(std::vector<std::uint8_t>(300, 7))},
                                        {Term::integer(1), Term::string("abc")}})}));
    Term deep = Term::atom("leaf");
    for (int i = 0; i < 40; ++i) deep = Term::tuple({Term::atom("d" + std::to_string(i % 5)), std::move(deep)});
    r.push_back(std::move(deep));
    return r;
  }();
  return all;
}

TEST(ConnectionSenderTaggedReply, SameBytesAsTheTermItStandsFor) {
  const std::vector<std::string> nodes = {
      "a@vm", "dsb_cpp_caller@vm", "n\xc3\xb6" "de@h\xc3\xb6st", "\xe2\x98\x83@vm",
      utf8_repeat("\xc3\xa9", 120) + "@vm",  // 243 bytes
      utf8_repeat("\xc3\xa9", 200) + "@vm",  // over 255 bytes: ATOM_UTF8_EXT, LongAtoms
  };
  const std::vector<std::string> replies = {"pong", "yes", "", "r\xc3\xa9ponse",
                                            utf8_repeat("x", 255), utf8_repeat("\xe2\x82\xac", 100)};
  const std::uint32_t seed = std::random_device{}();
  std::printf("seed %u\n", seed);
  std::mt19937 random(seed);
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name);
    ConnectionSender by_term = make_sender(mode), by_fields = make_sender(mode);
    Bytes expected, written;
    for (int i = 0; i < 400; ++i) {
      const std::string& caller_node = nodes[random() % nodes.size()];
      const std::string& own_node = nodes[random() % nodes.size()];
      etf::Reference ref{etf::Atom{caller_node}, std::uint32_t(random()), {}};
      const std::size_t words[] = {1, 3, 5};
      for (std::size_t w = words[random() % 3]; w > 0; --w) ref.ids.push_back(std::uint32_t(random()));
      etf::Atom reply{replies[random() % replies.size()]};
      const bool alias_tag = random() % 2;
      etf::Pid from = testing::make_pid(own_node, std::uint32_t(random() % 32768));
      ControlMessage control;
      switch (random() % 3) {
        case 0: control = AliasSend{from, ref}; break;
        case 1: control = SendSender{from, testing::make_pid(caller_node, 7)}; break;
        default: control = Send{kUnusedAtom, testing::make_pid(caller_node, 8)}; break;
      }
      const bool use_cache = random() % 8 != 0;  // sometimes as if queued before the connection was up
      TaggedReply tagged{ref, alias_tag, reply};
      by_term.write(expected, DistMessage{control, to_term(tagged)}, use_cache);
      by_fields.write(written, control, tagged, use_cache);
      ASSERT_EQ(written, expected) << "message " << i;
      // The caller's side: {'$gen_call', {From, Tag}, Request} with requests of every shape.
      const Term& request = requests()[random() % requests().size()];
      GenCallRequest call{from, ref, alias_tag, request};
      ControlMessage reg_send = RegSend{from, kUnusedAtom, etf::Atom{reply.name + "_server"}};
      by_term.write(expected, DistMessage{reg_send, to_term(call)}, use_cache);
      by_fields.write(written, reg_send, call, use_cache);
      ASSERT_EQ(written, expected) << "request " << i << " " << etf::format(request);
      // Other traffic between replies moves both caches alike.
      if (random() % 4 == 0) {
        DistMessage other{MonitorP{from, etf::Atom{reply.name + "_server"}, ref}, std::nullopt};
        by_term.write(expected, other);
        by_fields.write(written, other);
      }
    }
  }
}

TEST(ConnectionSenderTaggedReply, ToTermIsTheGenReplyMessage) {
  etf::Reference ref = testing::make_ref("a@vm", 5);
  etf::Atom pong{"pong"};
  etf::Pid from = testing::make_pid("b@vm", 4);
  Term request = Term::atom("ping");
  EXPECT_EQ(to_term(GenCallRequest{from, ref, true, request}),
            Term::tuple({Term::atom("$gen_call"),
                         Term::tuple({Term::pid(from), Term::list({Term::atom("alias")}, Term::reference(ref))}),
                         Term::atom("ping")}));
  EXPECT_EQ(to_term(TaggedReply{ref, false, pong}), Term::tuple({Term::reference(ref), Term::atom("pong")}));
  EXPECT_EQ(to_term(TaggedReply{ref, true, pong}),
            Term::tuple({Term::list({Term::atom("alias")}, Term::reference(ref)), Term::atom("pong")}));
}

TEST(ConnectionSenderTaggedReply, ReceiverReadsItBack) {
  for (const Mode& mode : kModes) {
    SCOPED_TRACE(mode.name);
    ConnectionSender tx = make_sender(mode);
    etf::Reference ref{etf::Atom{"b@vm"}, 3, {1, 2, 3, 4, 5}};
    etf::Atom reply{"pong"};
    ControlMessage control = AliasSend{testing::make_pid("a@vm", 1), ref};
    Bytes stream;
    tx.write(stream, control, TaggedReply{ref, true, reply});
    ConnectionReceiver rx(ReceiverOptions{.mode = mode.header});
    std::size_t at = 0;
    std::optional<ConnectionEvent> event;
    while (at < stream.size() && !event) {
      auto n = rx.put(std::span(stream).subspan(at));
      ASSERT_TRUE(n);
      at += n.value();
      event = rx.take();
    }
    ASSERT_TRUE(event);
    auto& message = std::get<MessageEvent>(*event).message;
    EXPECT_EQ(message.control, control);
    EXPECT_EQ(message.payload, to_term(TaggedReply{ref, true, reply}));
  }
}

}  // namespace
}  // namespace distspec::proto
