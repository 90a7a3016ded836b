// Every handshake, fed to each machine split at every byte offset (and one byte at a time), must
// end exactly as when fed in one piece: same state, same error, same output, and the same bytes
// left over for the connection.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "distspec/proto/handshake.hpp"
#include "support/handshake_driver.hpp"

namespace distspec::proto {
namespace {

using testing::acceptor_options;
using testing::Answers;
using testing::Bytes;
using testing::feed_pieces;
using testing::initiator_options;

struct Scenario {
  std::string name;
  InitiatorOptions initiator = initiator_options();
  AcceptorOptions acceptor = acceptor_options();
  Answers answers;
};

Scenario scenario(std::string name) {
  Scenario s;
  s.name = std::move(name);
  return s;
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  out.push_back(scenario("v6"));
  {
    Scenario s = scenario("v5_handshake23");
    s.initiator.send_name_version = 5;
    out.push_back(s);
  }
  {
    Scenario s = scenario("pure_v5");
    const DistFlags flags = (kOtp25AdvertisedFlags & 0xffffffffULL) & ~dflag::handshake_23 &
                            ~dflag::mandatory_25_digest;
    s.initiator.send_name_version = 5;
    s.initiator.flags = s.acceptor.flags = flags;
    s.initiator.required_flags = s.acceptor.required_flags =
        kOtp25MandatoryFlags & ~dflag::handshake_23;
    out.push_back(s);
  }
  {
    Scenario s = scenario("alive_true");
    s.answers.decision.existing = ExistingConnection::Up;
    out.push_back(s);
  }
  {
    Scenario s = scenario("alive_false");
    s.answers.decision.existing = ExistingConnection::Up;
    s.answers.alive_reply = false;
    out.push_back(s);
  }
  {
    Scenario s = scenario("ok_simultaneous");
    s.initiator = initiator_options("z@vm", "a@vm");
    s.answers.decision.existing = ExistingConnection::PendingOutgoing;
    out.push_back(s);
  }
  {
    Scenario s = scenario("nok");
    s.initiator = initiator_options("0@vm", "a@vm");
    s.answers.decision.existing = ExistingConnection::PendingOutgoing;
    out.push_back(s);
  }
  {
    Scenario s = scenario("not_allowed");
    s.answers.decision.allowed = false;
    out.push_back(s);
  }
  {
    Scenario s = scenario("named");
    s.initiator = initiator_options("vm", "a@vm");
    s.initiator.request_name = true;
    s.answers.decision.assigned_alive = "1032DL42YD906";
    s.answers.decision.assigned_creation = 0x07fd1301;
    out.push_back(s);
  }
  {
    Scenario s = scenario("wrong_cookie");
    s.initiator.cookie = Cookie("other");
    out.push_back(s);
  }
  return out;
}

struct Ending {
  HandshakeState state;
  std::optional<HandshakeErrorCode> error;
  std::size_t error_offset = 0;
  Bytes output;
  Bytes left;
  friend bool operator==(const Ending&, const Ending&) = default;
  friend void PrintTo(const Ending& e, std::ostream* out) {
    *out << to_string(e.state) << " error=" << (e.error ? to_string(*e.error) : "none") << "@"
         << e.error_offset << " output=" << e.output.size() << "B left=" << e.left.size() << "B";
  }
};

template <class Machine, class Options>
Ending run(const Options& options, const Bytes& input,
           const std::vector<std::span<const std::uint8_t>>& pieces, const Answers& answers) {
  Machine machine(options);
  Ending e;
  e.output = machine.take_output();
  e.left = feed_pieces(machine, pieces, answers);
  Bytes more = machine.take_output();
  e.output.insert(e.output.end(), more.begin(), more.end());
  e.state = machine.state();
  if (e.state != HandshakeState::Connected) e.left.clear();  // meaningless unless Connected
  if (machine.error()) {
    e.error = machine.error()->code;
    e.error_offset = machine.error()->offset;
  }
  return e;
}

template <class Machine, class Options>
void check_every_split(const std::string& label, const Options& options, const Bytes& input,
                       const Answers& answers) {
  const std::span<const std::uint8_t> all(input);
  const Ending whole = run<Machine>(options, input, {all}, answers);
  for (std::size_t k = 0; k <= input.size(); ++k) {
    const Ending split = run<Machine>(options, input, {all.first(k), all.subspan(k)}, answers);
    ASSERT_EQ(split, whole) << label << " split at " << k;
  }
  std::vector<std::span<const std::uint8_t>> bytes;
  for (std::size_t k = 0; k < input.size(); ++k) bytes.push_back(all.subspan(k, 1));
  ASSERT_EQ((run<Machine>(options, input, bytes, answers)), whole) << label << " byte by byte";
}

TEST(HandshakeSplit, EveryScenarioAtEveryOffset) {
  // 4-byte-framed bytes behind the handshake must come out as leftovers however they arrive.
  const Bytes trailer{0, 0, 0, 0, 0, 0, 0, 2, 131, 106};
  for (const Scenario& s : scenarios()) {
    Initiator i(s.initiator);
    Acceptor a(s.acceptor);
    auto t = testing::run_pair(i, a, s.answers);
    Bytes to_acceptor = t.to_acceptor, to_initiator = t.to_initiator;
    if (a.connected()) to_acceptor.insert(to_acceptor.end(), trailer.begin(), trailer.end());
    if (i.connected()) to_initiator.insert(to_initiator.end(), trailer.begin(), trailer.end());
    check_every_split<Acceptor>(s.name + "/acceptor", s.acceptor, to_acceptor, s.answers);
    check_every_split<Initiator>(s.name + "/initiator", s.initiator, to_initiator, s.answers);
    // And the reference itself is what the pair did.
    const Ending acceptor_end = run<Acceptor>(s.acceptor, to_acceptor, {to_acceptor}, s.answers);
    EXPECT_EQ(acceptor_end.state, a.state()) << s.name;
    EXPECT_EQ(acceptor_end.output, t.to_initiator) << s.name;
    if (a.connected()) {
      EXPECT_EQ(acceptor_end.left, trailer) << s.name;
    }
    const Ending initiator_end =
        run<Initiator>(s.initiator, to_initiator, {to_initiator}, s.answers);
    // (An initiator that failed with PeerClosed saw EOF, which a replay does not deliver.)
    if (!i.failed() || i.error()->code != HandshakeErrorCode::PeerClosed) {
      EXPECT_EQ(initiator_end.state, i.state()) << s.name;
    }
    if (i.connected()) {
      EXPECT_EQ(initiator_end.left, trailer) << s.name;
    }
  }
}

TEST(HandshakePair, EveryScenarioInSmallChunks) {
  // The two machines against each other, handing over 1..7 bytes per feed() call.
  for (const Scenario& s : scenarios()) {
    Initiator ref_i(s.initiator);
    Acceptor ref_a(s.acceptor);
    const auto reference = testing::run_pair(ref_i, ref_a, s.answers);
    for (std::size_t chunk = 1; chunk <= 7; ++chunk) {
      Initiator i(s.initiator);
      Acceptor a(s.acceptor);
      const auto t = testing::run_pair(i, a, s.answers, chunk);
      EXPECT_EQ(t.to_acceptor, reference.to_acceptor) << s.name << " chunk " << chunk;
      EXPECT_EQ(t.to_initiator, reference.to_initiator) << s.name << " chunk " << chunk;
      EXPECT_EQ(i.state(), ref_i.state()) << s.name << " chunk " << chunk;
      EXPECT_EQ(a.state(), ref_a.state()) << s.name << " chunk " << chunk;
    }
  }
}

}  // namespace
}  // namespace distspec::proto
