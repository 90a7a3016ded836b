#include "distspec/proto/connection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "distspec/etf/encode.hpp"
#include "support/connection_fixtures.hpp"

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;
using etf::Term;
using testing::every_control_message;
using testing::make_pid;
using testing::make_ref;

struct Mode {
  const char* name;
  HeaderMode header;
  std::size_t fragment_size;
};
const Mode kModes[] = {
    {"pass-through", {false, false}, 0},
    {"header, no cache", {false, true}, kOtpFragmentSize},
    {"header + cache", {true, false}, 0},
    {"cache + fragments of 16", {true, true}, 16},
    {"fragments of 7, no cache", {false, true}, 7},
};

// Everything a receiver produced from a stream.
struct Received {
  std::vector<MessageEvent> messages;
  std::size_t ticks = 0;
  std::optional<ConnectionError> error;
};

Received receive(ConnectionReceiver& rx, std::span<const std::uint8_t> stream,
                 std::vector<std::size_t> cuts = {}) {
  Received out;
  cuts.push_back(stream.size());
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    while (at < cut && !out.error) {
      auto n = rx.put(stream.subspan(at, cut - at));
      if (!n) {
        out.error = n.error();
        break;
      }
      at += n.value();
      if (auto event = rx.take()) {
        if (std::holds_alternative<TickEvent>(*event)) ++out.ticks;
        else out.messages.push_back(std::get<MessageEvent>(std::move(*event)));
      }
    }
  }
  return out;
}

Received receive_all(HeaderMode mode, std::span<const std::uint8_t> stream,
                     std::vector<std::size_t> cuts = {}) {
  ConnectionReceiver rx(ReceiverOptions{.mode = mode, .control = {.accept_node_link = true}});
  return receive(rx, stream, std::move(cuts));
}

Bytes stream_of_every_message(const Mode& mode) {
  ConnectionSender tx(SenderOptions{.mode = mode.header, .fragment_size = mode.fragment_size});
  Bytes out;
  ConnectionSender::write_tick(out);
  for (const auto& m : every_control_message()) tx.write(out, m);
  ConnectionSender::write_tick(out);
  for (const auto& m : every_control_message()) tx.write(out, m);  // cache now warm
  return out;
}

void expect_every_message(const Received& r, const char* mode) {
  ASSERT_FALSE(r.error) << mode << ": " << to_string(r.error->code) << " at " << r.error->offset
                        << " " << r.error->detail;
  auto expected = every_control_message();
  ASSERT_EQ(r.messages.size(), 2 * expected.size()) << mode;
  EXPECT_EQ(r.ticks, 2u);
  for (std::size_t i = 0; i < r.messages.size(); ++i)
    EXPECT_TRUE(r.messages[i].message == expected[i % expected.size()])
        << mode << ": " << to_string(op_of(expected[i % expected.size()].control));
}

TEST(Connection, EveryMessageRoundTripsInEveryMode) {
  for (const Mode& mode : kModes) {
    Bytes stream = stream_of_every_message(mode);
    expect_every_message(receive_all(mode.header, stream), mode.name);
  }
}

// take_view() (the node's path: control and payload read in place) sees what take() sees, with
// the stream cut into chunks of every size up to 17 bytes.
TEST(Connection, ViewsSeeWhatEventsSee) {
  for (const Mode& mode : kModes) {
    Bytes stream = stream_of_every_message(mode);
    for (std::size_t chunk = 1; chunk <= 17; chunk += 4) {
      ConnectionReceiver rx(ReceiverOptions{.mode = mode.header, .control = {.accept_node_link = true}});
      Received r;
      for (std::size_t at = 0; at < stream.size();) {
        auto n = rx.put(std::span(stream).subspan(at, std::min(chunk, stream.size() - at)));
        ASSERT_TRUE(n.ok()) << mode.name << " chunk " << chunk << ": " << n.error().detail;
        at += n.value();
        auto event = rx.take_view();
        if (!event) continue;
        if (std::holds_alternative<TickEvent>(*event)) {
          ++r.ticks;
          continue;
        }
        const MessageView& view = std::get<MessageView>(*event);
        MessageEvent copy{DistMessage{*view.control, std::nullopt}, view.kind,
                          {view.refs.begin(), view.refs.end()}, view.fragments};
        if (view.payload) copy.message.payload = view.payload->to_term();
        r.messages.push_back(std::move(copy));
        EXPECT_FALSE(rx.take_view()) << "an event is taken once";
      }
      expect_every_message(r, mode.name);
    }
  }
}

// The usual control tuples' byte path against a receiver that puts every control message through
// the tape (ReceiverOptions::usual_control_path = false): the same ticks, messages and references
// for every message in every mode, and the same error at the same offset when a byte of the
// stream (the first 1 500 of each: every kind of header and control tuple) is flipped or zeroed,
// or when max_term_depth refuses the tuples.
TEST(Connection, UsualControlPathChangesNothing) {
  auto same = [](const Received& a, const Received& b, const std::string& what) {
    EXPECT_EQ(a.ticks, b.ticks) << what;
    ASSERT_EQ(a.messages.size(), b.messages.size()) << what;
    for (std::size_t i = 0; i < a.messages.size(); ++i)
      EXPECT_TRUE(a.messages[i] == b.messages[i]) << what << " message " << i;
    ASSERT_EQ(a.error.has_value(), b.error.has_value()) << what;
    if (a.error) {
      EXPECT_EQ(a.error->code, b.error->code) << what;
      EXPECT_EQ(a.error->offset, b.error->offset) << what;
      EXPECT_EQ(a.error->detail, b.error->detail) << what;
    }
  };
  auto both = [&](HeaderMode mode, std::span<const std::uint8_t> bytes, std::size_t max_depth,
                  const std::string& what) {
    ReceiverOptions options{.mode = mode, .control = {.accept_node_link = true}, .max_term_depth = max_depth};
    ConnectionReceiver usual(options);
    options.usual_control_path = false;
    ConnectionReceiver tape(options);
    Received a = receive(usual, bytes);
    same(a, receive(tape, bytes), what);
    return a;
  };
  std::size_t changed_failed = 0;
  for (const Mode& mode : kModes) {
    Bytes stream = stream_of_every_message(mode);
    expect_every_message(both(mode.header, stream, 10'000, mode.name), mode.name);
    const Received refused = both(mode.header, stream, 0, std::string(mode.name) + ", depth 0");
    EXPECT_TRUE(refused.error && refused.error->code == ConnectionErrorCode::BadControlTerm) << mode.name;
    for (std::size_t i = 0; i < std::min<std::size_t>(stream.size(), 1500); ++i)
      for (std::uint8_t value : {std::uint8_t(stream[i] ^ 0x01), std::uint8_t(0)}) {
        Bytes bytes = stream;
        bytes[i] = value;
        const std::string what = std::string(mode.name) + " byte " + std::to_string(i) + " = " + std::to_string(value);
        changed_failed += both(mode.header, bytes, 10'000, what).error.has_value();
      }
  }
  EXPECT_GT(changed_failed, 100u);  // the changes reach the checks, not only ids and numbers
}

// Every message once (cold cache), then a few again (old cache entries), cut in two at every
// offset. The cost is quadratic in the stream size, so the 7-byte-fragment mode (the largest
// stream) is left to the unsplit test above and to the random chunking below.
TEST(Connection, EveryMessageSplitAtEveryOffset) {
  for (const Mode& mode : kModes) {
    if (mode.fragment_size == 7) continue;
    ConnectionSender tx(SenderOptions{.mode = mode.header, .fragment_size = mode.fragment_size});
    auto messages = every_control_message();
    Bytes stream;
    for (const auto& m : messages) tx.write(stream, m);
    ConnectionSender::write_tick(stream);
    for (std::size_t i = 0; i < 3; ++i) tx.write(stream, messages[i + 5]);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      Received r = receive_all(mode.header, stream, {cut});
      ASSERT_FALSE(r.error) << mode.name << " split at " << cut;
      ASSERT_EQ(r.messages.size(), messages.size() + 3) << mode.name << " split at " << cut;
      ASSERT_EQ(r.ticks, 1u);
    }
  }
}

TEST(Connection, RandomChunking) {
  std::uint32_t seed = std::random_device{}();
  std::printf("Connection.RandomChunking seed %u\n", seed);
  std::mt19937 rng(seed);
  for (const Mode& mode : kModes) {
    Bytes stream = stream_of_every_message(mode);
    for (int round = 0; round < 20; ++round) {
      std::vector<std::size_t> cuts;
      for (std::size_t at = 0; at < stream.size();)
        cuts.push_back(at = std::min(stream.size(), at + 1 + rng() % 64));
      expect_every_message(receive_all(mode.header, stream, cuts), mode.name);
    }
  }
}

TEST(Connection, AtomCacheEntriesAreReusedAcrossMessages) {
  HeaderMode mode{.atom_cache = true, .fragments = true};
  ConnectionSender tx(SenderOptions{.mode = mode});
  DistMessage m{RegSend{make_pid("c@vm", 9), kUnusedAtom, etf::Atom{"net_kernel"}},
                Term::tuple({Term::atom("is_auth"), Term::atom("c@vm")})};
  Bytes first, second;
  tx.write(first, m);
  tx.write(second, m);
  EXPECT_LT(second.size(), first.size());  // old entries carry no text
  Bytes stream = first;
  stream.insert(stream.end(), second.begin(), second.end());
  Received r = receive_all(mode, stream);
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.messages.size(), 2u);
  // Atoms: '' , net_kernel, c@vm (pid node and payload), is_auth.
  ASSERT_EQ(r.messages[0].refs.size(), 4u);
  for (const auto& ref : r.messages[0].refs) EXPECT_TRUE(ref.is_new) << ref.atom.name;
  for (const auto& ref : r.messages[1].refs) EXPECT_FALSE(ref.is_new) << ref.atom.name;
  EXPECT_TRUE(r.messages[1].message == m);
  // A receiver that missed the first message has empty slots: corrupted header.
  Received late = receive_all(mode, second);
  ASSERT_TRUE(late.error);
  EXPECT_EQ(late.error->code, ConnectionErrorCode::BadAtomCacheSlot);
}

TEST(Connection, LargeMessageIsFragmentedAndAssembled) {
  HeaderMode mode{.atom_cache = true, .fragments = true};
  ConnectionSender tx(SenderOptions{.mode = mode});
  DistMessage m{SendSender{make_pid("a@vm", 1), make_pid("c@vm", 2)},
                Term::binary_copy(Bytes(200'000, 0x5a))};
  Bytes stream;
  tx.write(stream, m);
  Received r = receive_all(mode, stream);
  ASSERT_FALSE(r.error) << to_string(r.error->code);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].fragments, 4u);
  EXPECT_EQ(r.messages[0].kind, PacketKind::FragmentHeader);
  EXPECT_TRUE(r.messages[0].message == m);
  // Without FRAGMENTS the same message is one 'D' packet.
  ConnectionSender whole(SenderOptions{.mode = {.atom_cache = true}});
  Bytes one;
  whole.write(one, m);
  Received w = receive_all({.atom_cache = true}, one);
  ASSERT_EQ(w.messages.size(), 1u);
  EXPECT_EQ(w.messages[0].fragments, 1u);
}

// ---- hand-made packets ----

Bytes body(const Term& t) {
  Bytes out;
  etf::EncodeOptions options;
  options.utf8_atoms = true;
  etf::encode_body(out, t, options);
  return out;
}
Bytes d_packet(const Term& control, const std::optional<Term>& payload = std::nullopt) {
  Bytes p{131, 68, 0};
  Bytes c = body(control);
  p.insert(p.end(), c.begin(), c.end());
  if (payload) {
    Bytes b = body(*payload);
    p.insert(p.end(), b.begin(), b.end());
  }
  return p;
}
Bytes framed(std::initializer_list<Bytes> packets) {
  Bytes out;
  for (const auto& p : packets) frame_packet(out, p);
  return out;
}
ConnectionError receive_error(HeaderMode mode, const Bytes& stream) {
  Received r = receive_all(mode, stream);
  EXPECT_TRUE(r.error.has_value());
  return r.error.value_or(ConnectionError{ConnectionErrorCode::TrailingBytes, 0, "no error"});
}

const HeaderMode kFragmentsMode{.atom_cache = true, .fragments = true};

Term link_control() {
  return to_term(Link{make_pid("c@vm", 1), make_pid("a@vm", 2)});
}
Term send_control() { return to_term(SendSender{make_pid("c@vm", 1), make_pid("a@vm", 2)}); }

TEST(Connection, IllegalMessagesAreRejectedWithAReason) {
  auto code = [](const Bytes& packet, HeaderMode mode = kFragmentsMode) {
    return receive_error(mode, framed({packet})).code;
  };
  auto pid = Term::pid(make_pid("c@vm", 1));
  EXPECT_EQ(code(d_packet(Term::tuple({Term::integer(99), pid}))),
            ConnectionErrorCode::UnknownOperation);
  EXPECT_EQ(code(d_packet(Term::tuple({Term::integer(1), pid}))), ConnectionErrorCode::WrongArity);
  EXPECT_EQ(code(d_packet(Term::tuple({Term::integer(1), pid, Term::atom("x")}))),
            ConnectionErrorCode::BadElement);
  EXPECT_EQ(code(d_packet(Term::atom("hello"))), ConnectionErrorCode::ControlNotTuple);
  EXPECT_EQ(code(d_packet(send_control())), ConnectionErrorCode::PayloadMissing);
  EXPECT_EQ(code(d_packet(link_control(), Term::atom("extra"))), ConnectionErrorCode::PayloadExtra);
  Bytes trailing = d_packet(send_control(), Term::atom("msg"));
  trailing.push_back(106);
  EXPECT_EQ(code(trailing), ConnectionErrorCode::TrailingBytes);
  // 131 in front of the control term after a header (pitfall B12).
  Bytes with_version{131, 68, 0, 131};
  Bytes c = body(link_control());
  with_version.insert(with_version.end(), c.begin(), c.end());
  EXPECT_EQ(code(with_version), ConnectionErrorCode::BadControlTerm);
  // ATOM_CACHE_REF beyond the header's references.
  EXPECT_EQ(code(Bytes{131, 68, 0, 104, 2, 97, 1, 82, 0}), ConnectionErrorCode::BadControlTerm);
  // Header kinds against the mode.
  Bytes pass{112, 131};
  Bytes pc = body(link_control());
  pass.insert(pass.end(), pc.begin(), pc.end());
  EXPECT_EQ(code(pass), ConnectionErrorCode::IncompatiblePacket);
  EXPECT_EQ(code(d_packet(link_control()), HeaderMode{}), ConnectionErrorCode::IncompatiblePacket);
  EXPECT_EQ(code(Bytes{131, 69, 0}, HeaderMode{.atom_cache = true}),
            ConnectionErrorCode::HeaderNotNegotiated);
  // Pass-through mode: each term needs its own 131; no cache references.
  EXPECT_EQ(code(Bytes{112, 131, 104, 1, 82, 0}, HeaderMode{}), ConnectionErrorCode::BadControlTerm);
  Bytes no_version{112, 131};
  no_version.insert(no_version.end(), pc.begin(), pc.end());
  EXPECT_TRUE(receive_all(HeaderMode{}, framed({no_version})).messages.size() == 1);
}

TEST(Connection, ReceiverStaysFailedAfterAnError) {
  ConnectionReceiver rx(ReceiverOptions{.mode = kFragmentsMode});
  Bytes bad = framed({d_packet(Term::atom("x"))});
  EXPECT_FALSE(rx.put(bad).ok());
  Bytes tick{0, 0, 0, 0};
  auto again = rx.put(tick);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ConnectionErrorCode::ControlNotTuple);
}

Bytes e_packet(std::uint64_t seq, std::uint64_t frag, const Term& control, Bytes payload_part) {
  Bytes p;
  write_fragment_prefix(p, kFragHeaderTag, {seq, frag});
  p.push_back(0);
  Bytes c = body(control);
  p.insert(p.end(), c.begin(), c.end());
  p.insert(p.end(), payload_part.begin(), payload_part.end());
  return p;
}
Bytes f_packet(std::uint64_t seq, std::uint64_t frag, Bytes part) {
  Bytes p;
  write_fragment_prefix(p, kFragContTag, {seq, frag});
  p.insert(p.end(), part.begin(), part.end());
  return p;
}

TEST(Connection, FragmentPitfalls) {
  Bytes payload = body(Term::tuple({Term::atom("hello"), Term::integer(7)}));
  Bytes head(payload.begin(), payload.begin() + 3), tail(payload.begin() + 3, payload.end());
  auto ctl = send_control();

  // The good case, with a 'D' interleaved and a second sequence interleaved.
  Received ok = receive_all(kFragmentsMode,
                            framed({e_packet(0x368000006d3, 2, ctl, head), d_packet(link_control()),
                                    e_packet(5, 2, ctl, head), f_packet(5, 1, tail),
                                    f_packet(0x368000006d3, 1, tail)}));
  ASSERT_FALSE(ok.error) << to_string(ok.error->code);
  ASSERT_EQ(ok.messages.size(), 3u);
  EXPECT_EQ(op_of(ok.messages[0].message.control), ControlOp::Link);
  EXPECT_TRUE(*ok.messages[1].message.payload == *ok.messages[2].message.payload);

  // SequenceId 0 with FragmentId 1 is an unfragmented message; with FragmentId > 1 it is what
  // segfaulted OTP 25.2.3.
  EXPECT_EQ(receive_all(kFragmentsMode, framed({e_packet(0, 1, ctl, payload)})).messages.size(), 1u);
  EXPECT_EQ(receive_error(kFragmentsMode, framed({e_packet(0, 2, ctl, head)})).code,
            ConnectionErrorCode::FragmentSequenceZero);
  EXPECT_EQ(receive_error(kFragmentsMode, framed({e_packet(0, 2, ctl, head), f_packet(0, 1, tail)})).code,
            ConnectionErrorCode::FragmentSequenceZero);
  EXPECT_EQ(receive_error(kFragmentsMode, framed({e_packet(3, 0, ctl, payload)})).code,
            ConnectionErrorCode::FragmentIdZero);
  EXPECT_EQ(receive_error(kFragmentsMode, framed({f_packet(3, 1, tail)})).code,
            ConnectionErrorCode::FragmentUnknownSequence);
  EXPECT_EQ(receive_error(kFragmentsMode,
                          framed({e_packet(3, 3, ctl, head), f_packet(3, 1, tail)})).code,
            ConnectionErrorCode::FragmentOutOfOrder);
  EXPECT_EQ(receive_error(kFragmentsMode,
                          framed({e_packet(3, 2, ctl, head), e_packet(3, 2, ctl, head)})).code,
            ConnectionErrorCode::FragmentDuplicateSequence);
  // Only payload may be fragmented.
  EXPECT_EQ(receive_error(kFragmentsMode, framed({e_packet(3, 2, link_control(), {})})).code,
            ConnectionErrorCode::PayloadExtra);
  // The control term must be whole in the 'E'.
  Bytes cut_control = e_packet(3, 2, ctl, {});
  cut_control.resize(cut_control.size() - 2);
  EXPECT_EQ(receive_error(kFragmentsMode, framed({cut_control})).code,
            ConnectionErrorCode::BadControlTerm);
  // A broken payload is found once assembled.
  EXPECT_EQ(receive_error(kFragmentsMode,
                          framed({e_packet(3, 2, ctl, head), f_packet(3, 1, {})})).code,
            ConnectionErrorCode::BadPayloadTerm);
}

TEST(Connection, FragmentLimitsApply) {
  ConnectionReceiver rx(ReceiverOptions{
      .mode = kFragmentsMode, .fragments = {.max_sequences = 2, .max_message_size = 1 << 20}});
  auto ctl = send_control();
  Received r = receive(rx, framed({e_packet(1, 5, ctl, {}), e_packet(2, 5, ctl, {}),
                                   e_packet(3, 5, ctl, {})}));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, ConnectionErrorCode::TooManySequences);
}

TEST(Connection, TicksAreEvents) {
  Received r = receive_all(kFragmentsMode, Bytes(12, 0));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.ticks, 3u);
}

}  // namespace
}  // namespace distspec::proto
