#include "distspec/proto/control.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "distspec/etf/encode.hpp"
#include "distspec/etf/text.hpp"
#include "distspec/proto/atom_cache.hpp"
#include "support/connection_fixtures.hpp"

namespace distspec::proto {
namespace {

using etf::Term;
using testing::every_control_message;
using testing::make_pid;
using testing::make_ref;

ControlOptions with_node_link() { return ControlOptions{.accept_node_link = true}; }

// control_from_term(), after checking that control_from_tape() on the same term, encoded and
// read onto a tape, gives the same verdict: the same message, or the same error code and detail
// (one decoder now serves both, so this guards the wrapper); and so does ControlSlots::decode()
// into slots shared by every call of this file (each message decoded over whatever earlier cases,
// failed ones included, left in its operation's slot).
Result<ControlMessage, ConnectionError> from_term_and_tape(const Term& term,
                                                           const ControlOptions& options = {}) {
  auto from_term = control_from_term(term, options);
  auto bytes = etf::encode(term);
  auto tape = etf::decode_tape(bytes);
  EXPECT_TRUE(tape.ok());
  if (!tape.ok()) return from_term;
  auto from_tape = control_from_tape(tape->root(), options);
  EXPECT_EQ(from_tape.ok(), from_term.ok()) << etf::format(term);
  if (from_tape.ok() && from_term.ok()) {
    EXPECT_TRUE(from_tape.value() == from_term.value()) << etf::format(term);
  } else if (!from_tape.ok() && !from_term.ok()) {
    EXPECT_EQ(from_tape.error().code, from_term.error().code) << etf::format(term);
    EXPECT_EQ(from_tape.error().detail, from_term.error().detail) << etf::format(term);
    EXPECT_EQ(from_tape.error().offset, from_term.error().offset) << etf::format(term);
  }
  static ControlSlots slots;
  auto from_slot = slots.decode(tape->root(), options);
  EXPECT_EQ(from_slot.ok(), from_term.ok()) << etf::format(term);
  if (from_slot.ok() && from_term.ok()) {
    EXPECT_TRUE(*from_slot.value() == from_term.value()) << etf::format(term);
  } else if (!from_slot.ok() && !from_term.ok()) {
    EXPECT_EQ(from_slot.error().code, from_term.error().code) << etf::format(term);
    EXPECT_EQ(from_slot.error().detail, from_term.error().detail) << etf::format(term);
    EXPECT_EQ(from_slot.error().offset, from_term.error().offset) << etf::format(term);
  }
  return from_term;
}

TEST(Control, EveryOperationOfOtp25IsCovered) {
  std::set<int> ops;
  for (const auto& m : every_control_message()) ops.insert(int(op_of(m.control)));
  std::set<int> expected{1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 16, 18};
  for (int i = 19; i <= 36; ++i) expected.insert(i);
  EXPECT_EQ(ops, expected);
  for (int n = -1; n <= 40; ++n)
    EXPECT_EQ(control_op_from_number(n).has_value(), expected.count(n) == 1) << n;
}

TEST(Control, EveryOperationRoundTripsThroughItsTuple) {
  for (const auto& m : every_control_message()) {
    Term tuple = to_term(m.control);
    const auto& e = tuple.as_tuple().elements;
    ASSERT_FALSE(e.empty());
    EXPECT_EQ(e[0].as_integer(), int(op_of(m.control)));
    auto back = from_term_and_tape(tuple, with_node_link());
    ASSERT_TRUE(back.ok()) << to_string(op_of(m.control)) << ": " << back.error().detail;
    EXPECT_TRUE(back.value() == m.control) << to_string(op_of(m.control));
    EXPECT_EQ(has_payload(op_of(m.control)), m.payload.has_value()) << to_string(op_of(m.control));
  }
}

// The sender's path writes the control tuple from the fields: the same bytes and the same atoms,
// in the same order, as the tuple through the term encoder, with atoms inline or cached, short
// or over 255 bytes.
TEST(Control, DirectEncodingWritesWhatTheTupleEncodes) {
  auto messages = every_control_message();
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "\u00e9";  // 200 characters, 400 bytes
  messages.push_back({RegSend{make_pid(long_name + "@vm", 1), kUnusedAtom, etf::Atom{long_name}},
                      Term::atom("x")});
  int direct = 0;
  for (const auto& m : messages) {
    const ControlOp op = op_of(m.control);
    const bool rare = op == ControlOp::SpawnRequest || op == ControlOp::SpawnRequestTT ||
                      op == ControlOp::SpawnReply || op == ControlOp::SpawnReplyTT ||
                      op == ControlOp::UnlinkId || op == ControlOp::UnlinkIdAck;
    EXPECT_EQ(encodes_directly(m.control), !rare) << to_string(op);
    if (rare) continue;
    ++direct;
    const Term tuple = to_term(m.control);
    std::vector<const etf::Atom*> from_fields, from_tuple;
    collect_control_atoms(m.control, from_fields);
    collect_atoms(tuple, from_tuple);
    ASSERT_EQ(from_fields.size(), from_tuple.size()) << to_string(op);
    for (std::size_t i = 0; i < from_fields.size(); ++i)
      EXPECT_EQ(from_fields[i]->name, from_tuple[i]->name) << to_string(op);
    for (int variant = 0; variant < 3; ++variant) {
      etf::EncodeOptions options;
      options.utf8_atoms = variant != 2;
      if (variant == 1)  // every other atom cached
        options.atom_cache_index = [](const etf::Atom& a) -> std::optional<std::uint8_t> {
          if (a.name.size() % 2) return std::uint8_t(a.name.size() % 7);
          return std::nullopt;
        };
      std::vector<std::uint8_t> written{1, 2}, expected{1, 2};  // appended after what is there
      encode_control_body(written, m.control, options);
      etf::encode_body(expected, tuple, options);
      EXPECT_EQ(written, expected) << to_string(op) << " variant " << variant;
    }
  }
  EXPECT_GT(direct, 20);
}

// ControlSlots::decode_usual() against the tape path, for every operation's tuple (atoms inline,
// and every other one cached), cut at every length and with each byte changed: whatever it
// accepts, the tape decodes to the same message and length. It accepts the unchanged tuples of
// the usual operations and leaves UTF-8 atoms beyond ASCII to the tape.
TEST(Control, UsualTuplesDecodeAsTheTapeDoes) {
  auto messages = every_control_message();
  messages.push_back({RegSend{make_pid("n@vm", 1), kUnusedAtom, etf::Atom{"\u00e9t\u00e9"}}, Term::atom("x")});
  std::vector<etf::Atom> cache;  // reference i names cache[i]
  const etf::AtomCacheView view{[&cache](std::uint8_t i) { return i < cache.size() ? &cache[i] : nullptr; }};
  ControlSlots usual_slots, tape_slots;
  auto accepted = [&](std::span<const std::uint8_t> body, const std::string& what) {
    auto usual = usual_slots.decode_usual(body, &view);
    if (!usual) return false;
    etf::DecodeOptions options;
    options.atom_cache = &view;
    etf::TermTape tape;
    auto used = etf::decode_tape_body_into(tape, body, options);
    EXPECT_TRUE(used.ok()) << what;
    if (!used.ok()) return true;
    EXPECT_EQ(used.value(), usual->second) << what;
    auto from_tape = tape_slots.decode(tape.root());
    EXPECT_TRUE(from_tape.ok()) << what;
    if (from_tape.ok()) {
      EXPECT_TRUE(*from_tape.value() == *usual->first) << what;
    }
    return true;
  };
  const std::set<ControlOp> usual_ops = {ControlOp::Send, ControlOp::RegSend, ControlOp::MonitorP,
                                         ControlOp::DemonitorP, ControlOp::AliasSend, ControlOp::Link,
                                         ControlOp::SendSender, ControlOp::Unlink};
  int whole = 0, changed = 0;
  for (const auto& m : messages) {
    const ControlOp op = op_of(m.control);
    const Term tuple = to_term(m.control);
    std::vector<const etf::Atom*> atoms;
    collect_atoms(tuple, atoms);
    for (bool cached : {false, true}) {
      cache.clear();
      etf::EncodeOptions options;
      options.utf8_atoms = true;
      if (cached) {
        for (const auto* a : atoms)
          if (std::find(cache.begin(), cache.end(), *a) == cache.end()) cache.push_back(*a);
        options.atom_cache_index = [&cache](const etf::Atom& a) -> std::optional<std::uint8_t> {
          auto i = std::size_t(std::find(cache.begin(), cache.end(), a) - cache.begin());
          if (i % 2) return std::nullopt;
          return std::uint8_t(i);
        };
      }
      std::vector<std::uint8_t> body;
      etf::encode_body(body, tuple, options);
      const std::string what = std::string(to_string(op)) + (cached ? " cached" : " inline");
      const bool ascii = std::all_of(atoms.begin(), atoms.end(), [](const etf::Atom* a) {
        return std::all_of(a->name.begin(), a->name.end(), [](char ch) { return (ch & 0x80) == 0; });
      });
      const bool whole_accepted = accepted(body, what);
      if (usual_ops.count(op) && ascii) {
        EXPECT_TRUE(whole_accepted) << what;
      }
      if (!ascii && !cached) {  // (cached, the atom's text comes from the cache, already checked)
        EXPECT_FALSE(whole_accepted) << what;
      }
      whole += whole_accepted;
      auto with_trailer = body;
      with_trailer.insert(with_trailer.end(), {97, 1});
      EXPECT_EQ(accepted(with_trailer, what + " + trailing bytes"), whole_accepted) << what;
      for (std::size_t n = 0; n < body.size(); ++n)
        EXPECT_FALSE(accepted(std::span(body).first(n), what + " cut at " + std::to_string(n)));
      for (std::size_t i = 0; i < body.size(); ++i)
        for (std::uint8_t v : {std::uint8_t(0), std::uint8_t(0x7f), std::uint8_t(0x80), std::uint8_t(0xff),
                               std::uint8_t(body[i] ^ 1), std::uint8_t(body[i] + 1)}) {
          auto bytes = body;
          bytes[i] = v;
          changed += accepted(bytes, what + " byte " + std::to_string(i) + " = " + std::to_string(v));
        }
    }
  }
  EXPECT_GE(whole, 2 * int(usual_ops.size()));
  EXPECT_GT(changed, 100);  // changed ids, creations and atom letters are still usual tuples
}

TEST(Control, TupleShapesMatchTheSpecTable) {
  auto c = make_pid("c@vm", 9);
  auto ref = make_ref("c@vm", 1);
  // {19, FromPid, ToProc, Ref} with a registered name, as net_adm:ping sends it.
  Term monitor = to_term(MonitorP{c, etf::Atom{"net_kernel"}, ref});
  EXPECT_TRUE(monitor == Term::tuple({Term::integer(19), Term::pid(c), Term::atom("net_kernel"),
                                      Term::reference(ref)}));
  // {6, FromPid, '', ToName}
  Term reg = to_term(RegSend{c, kUnusedAtom, etf::Atom{"net_kernel"}});
  EXPECT_TRUE(reg == Term::tuple({Term::integer(6), Term::pid(c), Term::atom(""),
                                  Term::atom("net_kernel")}));
  // UNLINK_ID ids above 2^63 become bignums and come back.
  Term big = to_term(UnlinkId{0xffffffffffffffffull, c, c});
  EXPECT_EQ(big.as_tuple().elements[1].kind(), Term::Kind::BigInteger);
  auto back = from_term_and_tape(big);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<UnlinkId>(back.value()).id, 0xffffffffffffffffull);
}

TEST(Control, NodeLinkIsRejectedUnlessAsked) {
  auto r = from_term_and_tape(Term::tuple({Term::integer(5)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ConnectionErrorCode::UnknownOperation);
  EXPECT_TRUE(from_term_and_tape(Term::tuple({Term::integer(5)}), with_node_link()).ok());
}

TEST(Control, NonTuplesAndUnknownOperationsAreRejected) {
  auto pid = Term::pid(make_pid("c@vm", 1));
  for (const Term& t : {Term::atom("link"), Term::tuple({}), Term::tuple({Term::atom("x"), pid}),
                        Term::list({Term::integer(1)}), Term::tuple({Term::float_(1.0), pid})}) {
    auto r = from_term_and_tape(t);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ConnectionErrorCode::ControlNotTuple);
  }
  for (std::int64_t n : {0, 9, 10, 11, 14, 15, 17, 37, 99, -1, 1000000}) {
    auto r = from_term_and_tape(Term::tuple({Term::integer(n), pid}));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, ConnectionErrorCode::UnknownOperation) << n;
  }
}

TEST(Control, EveryOperationRejectsEveryWrongArity) {
  for (const auto& m : every_control_message()) {
    const Term tuple = to_term(m.control);
    const auto& e = tuple.as_tuple().elements;
    for (std::size_t arity = 1; arity <= e.size() + 2; ++arity) {
      if (arity == e.size()) continue;
      std::vector<Term> elements(e.begin(), e.begin() + std::min(arity, e.size()));
      while (elements.size() < arity) elements.push_back(Term::atom("extra"));
      auto r = from_term_and_tape(Term::tuple(elements), with_node_link());
      ASSERT_FALSE(r.ok()) << to_string(op_of(m.control)) << " arity " << arity;
      EXPECT_EQ(r.error().code, ConnectionErrorCode::WrongArity);
    }
  }
}

// Replacing a typed element by a term of another kind must be rejected; elements that hold any
// term (Unused, Token, Reason) accept anything.
TEST(Control, EveryTypedElementRejectsAWrongType) {
  const Term wrong[] = {Term::float_(2.5), Term::tuple({Term::atom("x")})};
  int rejected = 0;
  for (const auto& m : every_control_message()) {
    const Term tuple = to_term(m.control);
    const auto& e = tuple.as_tuple().elements;
    for (std::size_t i = 1; i < e.size(); ++i) {
      for (const Term& w : wrong) {
        std::vector<Term> elements = e;
        elements[i] = w;
        auto r = from_term_and_tape(Term::tuple(elements), with_node_link());
        if (r.ok()) continue;  // an any-term element
        EXPECT_EQ(r.error().code, ConnectionErrorCode::BadElement);
        EXPECT_NE(r.error().detail.find("element " + std::to_string(i + 1)), std::string::npos)
            << r.error().detail;
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 100);
}

TEST(Control, ElementRangesAreChecked) {
  auto c = make_pid("c@vm", 9);
  auto ref = Term::reference(make_ref("c@vm", 1));
  auto bad = [](const Term& t) {
    auto r = from_term_and_tape(t);
    return !r.ok() && r.error().code == ConnectionErrorCode::BadElement;
  };
  // UNLINK_ID: id 0, negative, above 64 bits.
  EXPECT_TRUE(bad(Term::tuple({Term::integer(35), Term::integer(0), Term::pid(c), Term::pid(c)})));
  EXPECT_TRUE(bad(Term::tuple({Term::integer(35), Term::integer(-3), Term::pid(c), Term::pid(c)})));
  EXPECT_TRUE(bad(Term::tuple({Term::integer(35),
                               Term::big_integer(false, std::vector<std::uint8_t>(9, 1)),
                               Term::pid(c), Term::pid(c)})));
  // SPAWN_REPLY flags >= 2^27.
  EXPECT_TRUE(bad(Term::tuple({Term::integer(31), ref, Term::pid(c), Term::integer(1 << 27),
                               Term::pid(c)})));
  // SPAWN_REQUEST: MFA with an arity that is not a small integer, options not a proper list.
  auto mfa = [](Term arity) {
    return Term::tuple({Term::atom("m"), Term::atom("f"), std::move(arity)});
  };
  auto spawn = [&](Term m, Term opts) {
    return Term::tuple({Term::integer(29), ref, Term::pid(c), Term::pid(c), std::move(m),
                        std::move(opts)});
  };
  EXPECT_FALSE(bad(spawn(mfa(Term::integer(2)), Term())));
  EXPECT_TRUE(bad(spawn(mfa(Term::integer(-1)), Term())));
  EXPECT_TRUE(bad(spawn(mfa(Term::atom("two")), Term())));
  EXPECT_TRUE(bad(spawn(Term::tuple({Term::atom("m"), Term::atom("f")}), Term())));
  EXPECT_TRUE(bad(spawn(mfa(Term::integer(1)), Term::list({Term::atom("link")},
                                                          Term::atom("tail")))));
}

}  // namespace
}  // namespace distspec::proto

namespace distspec::proto {
namespace {

// One slot decoded over and over with fields that change size and kind in between.
TEST(Control, SlotsDecodeOverEarlierMessagesOfTheSameOperation) {
  const std::string long_node = std::string(200, 'n') + "@vm";
  etf::Reference five{etf::Atom{long_node}, 7, {1, 2, 3, 4, 5}};
  etf::Reference one{etf::Atom{"a@vm"}, 8, {9}};
  etf::Reference three = make_ref("b@vm", 4);
  const std::vector<ControlMessage> sequence = {
      MonitorP{make_pid(long_node, 1), etf::Atom{"server"}, five},
      MonitorP{make_pid("a@vm", 2), make_pid("b@vm", 3), one},
      DemonitorP{make_pid("c@vm", 2), etf::Atom{"x"}, three},
      MonitorP{make_pid("\xc3\xa9@vm", 4), etf::Atom{"\xe2\x82\xac"}, three},
      MonitorP{make_pid("a@vm", 2), make_pid(long_node, 3), five},
      RegSend{make_pid(long_node, 5), kUnusedAtom, etf::Atom{"name"}},
      RegSend{make_pid("a@vm", 6), Term::atom("other"), etf::Atom{""}},
  };
  ControlSlots slots;
  for (const auto& m : sequence) {
    auto bytes = etf::encode(to_term(m));
    auto tape = etf::decode_tape(bytes);
    ASSERT_TRUE(tape.ok());
    auto decoded = slots.decode(tape->root());
    ASSERT_TRUE(decoded.ok()) << etf::format(to_term(m));
    EXPECT_TRUE(*decoded.value() == m) << etf::format(to_term(m));
  }
}

}  // namespace
}  // namespace distspec::proto
