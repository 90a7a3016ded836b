// Handshakes and hostile input: version 6 and version 5 between two of our nodes (OTP 25.2.3
// closes an 'n' send_name: recorded as a finding), simultaneous connect, ticking with a short
// net_ticktime, and input OTP 25.2.3 mishandles: a malformed send_name, a fragment with
// SequenceId 0, a huge announced packet length. Each is rejected with one log line and the node
// keeps serving correct peers.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "distspec/proto/handshake_messages.hpp"
#include "support/node_fixture.hpp"
#include "support/raw_peer.hpp"

namespace distspec::node::testing {
namespace {

using namespace std::chrono_literals;

const std::string kCookie = "secret_token";

BeamNode& erl_h() {
  static std::unique_ptr<BeamNode> node =
      std::make_unique<BeamNode>(test_epmd(), BeamNodeOptions{.name = "erl_h", .cookie = kCookie});
  return *node;
}

TEST(HandshakeBeam, Version6BetweenOurNodes) {
  auto a = start_our_node("cpp_v6a", kCookie);
  auto b = start_our_node("cpp_v6b", kCookie);
  EXPECT_TRUE(a.node->ping(b.node->name(), 5s));
  EXPECT_TRUE(a.log->wait_for("connection up: " + b.node->name() + " (initiator, version 6, visible", 1s));
  EXPECT_TRUE(b.log->wait_for("connection up: " + a.node->name() + " (acceptor, version 6, visible", 1s));
  EXPECT_TRUE(b.node->call(a.node->name(), "Elixir.PingPong", etf::Term::atom("ping"), 5s));
}

TEST(HandshakeBeam, Version5SendNameWithComplementBetweenOurNodes) {
  auto a = start_our_node("cpp_v5a", kCookie, [](NodeOptions& o) { o.send_name_version = 5; });
  auto b = start_our_node("cpp_v5b", kCookie);
  EXPECT_TRUE(a.node->ping(b.node->name(), 5s));
  // 'n' carrying HANDSHAKE_23: the acceptor answers 'N' and takes the complement 'c' (OTP 23/24).
  EXPECT_TRUE(b.log->wait_for("connection up: " + a.node->name() + " (acceptor, version 6, send_name 'n'", 1s));
  auto reply = b.node->call(a.node->name(), "Elixir.PingPong", etf::Term::atom("ping"), 5s);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply.value().is_atom("pong"));
}

TEST(HandshakeBeam, PureVersion5BetweenOurNodes) {
  // Without HANDSHAKE_23 both sides speak the pre-OTP-23 handshake: 'n' challenge, no creations.
  auto v5 = [](NodeOptions& o) {
    o.send_name_version = 5;
    o.flags = node_flags(false) & ~proto::dflag::handshake_23;
    o.required_flags = proto::kOtp25MandatoryFlags & ~proto::dflag::handshake_23;
  };
  auto a = start_our_node("cpp_p5a", kCookie, v5);
  auto b = start_our_node("cpp_p5b", kCookie, v5);
  EXPECT_TRUE(a.node->ping(b.node->name(), 5s));
  EXPECT_TRUE(a.log->wait_for("connection up: " + b.node->name() + " (initiator, version 5, send_name 'n'", 1s));
  EXPECT_TRUE(b.log->wait_for("connection up: " + a.node->name() + " (acceptor, version 5, send_name 'n'", 1s));
  auto reply = b.node->call(a.node->name(), "Elixir.PingPong", etf::Term::atom("ping"), 5s);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply.value().is_atom("pong"));
}

TEST(HandshakeBeam, Otp25ClosesAVersion5SendName) {
  // Finding against OTP 25.2.3 (spec/handshake.md §8): the 'n' send_name is closed without status.
  auto a = start_our_node("cpp_to25", kCookie, [](NodeOptions& o) { o.send_name_version = 5; });
  EXPECT_FALSE(a.node->ping(erl_h().node_name(), 5s));
  EXPECT_TRUE(a.log->wait_for("connection attempt to " + erl_h().node_name(), 1s));
  // With 'N' the same node pair connects.
  auto b = start_our_node("cpp_to25b", kCookie);
  EXPECT_TRUE(b.node->ping(erl_h().node_name(), 5s));
}

TEST(HandshakeBeam, SimultaneousConnectBetweenOurNodesEndsWithOneConnection) {
  auto a = start_our_node("cpp_sim_a", kCookie);
  auto b = start_our_node("cpp_sim_z", kCookie);
  for (int round = 0; round < 5; ++round) {
    bool a_ok = false, b_ok = false;
    std::thread ta([&] { a_ok = a.node->connect(b.node->name(), 5s); });
    std::thread tb([&] { b_ok = b.node->connect(a.node->name(), 5s); });
    ta.join();
    tb.join();
    EXPECT_TRUE(a_ok && b_ok) << "round " << round;
    EXPECT_EQ(a.node->nodes(), std::vector<std::string>{b.node->name()});
    EXPECT_EQ(b.node->nodes(), std::vector<std::string>{a.node->name()});
    EXPECT_TRUE(a.node->ping(b.node->name(), 5s));
    a.node->disconnect(b.node->name());
    for (int i = 0; i < 100 && !b.node->nodes().empty(); ++i) std::this_thread::sleep_for(10ms);
  }
  std::fprintf(stderr, "simultaneous connects resolved: %zu nok, %zu ok_simultaneous\n",
               a.log->count("simultaneous") + b.log->count("simultaneous"),
               a.log->count("keeping the incoming") + b.log->count("keeping the incoming"));
}

TEST(HandshakeBeam, SimultaneousConnectWithErl) {
  auto ours = start_our_node("cpp_sim_e", kCookie);
  for (int round = 0; round < 3; ++round) {
    erl_h().eval("spawn(fun() -> net_kernel:connect_node('" + ours.node->name() + "') end)");
    EXPECT_TRUE(ours.node->connect(erl_h().node_name(), 5s));
    EXPECT_EQ(erl_h().eval("net_adm:ping('" + ours.node->name() + "')"), "pong");
    EXPECT_EQ(ours.node->nodes(), std::vector<std::string>{erl_h().node_name()});
    erl_h().eval("erlang:disconnect_node('" + ours.node->name() + "')");
    for (int i = 0; i < 100 && !ours.node->nodes().empty(); ++i) std::this_thread::sleep_for(10ms);
  }
}

TEST(HandshakeBeam, ConnectionKeepsTickingWithAShortNetTicktime) {
  BeamNode erl(test_epmd(), {.name = "erl_tick", .cookie = kCookie,
                             .extra_erl_args = {"-kernel", "net_ticktime", "2"}});
  auto ours = start_our_node("cpp_tick", kCookie, [](NodeOptions& o) { o.net_ticktime = 2s; });
  ASSERT_TRUE(ours.node->ping(erl.node_name(), 5s));
  std::this_thread::sleep_for(4s);  // two net_ticktimes of silence but for ticks
  EXPECT_EQ(erl.eval("lists:member('" + ours.node->name() + "', nodes())"), "true");
  EXPECT_EQ(erl.process().output().find("not responding"), std::string::npos);
  EXPECT_EQ(ours.log->count("not responding"), 0u);
  // And we notice a peer that stops: a SIGSTOPped erl sends no ticks.
  ::kill(erl.process().pid(), SIGSTOP);
  EXPECT_TRUE(ours.log->wait_for("** Node " + erl.node_name() + " not responding **", 8s));
  ::kill(erl.process().pid(), SIGCONT);
}

TEST(HandshakeBeam, MalformedSendNameIsRejectedWithOneLogLine) {
  auto ours = start_our_node("cpp_hostile1", kCookie);
  RawPeer raw(ours.node->listen_port());
  // 'N', flags, creation, Nlen = 4, "noat": no '@' (OTP 25.2.3 crashes its acceptor on this and
  // logs a stack trace holding the bytes).
  std::vector<std::uint8_t> bad{0, 19, 'N', 0, 0, 0, 0x0d, 0x07, 0xdf, 0x7f, 0xbd, 0, 0, 0, 1, 0, 4,
                                'n', 'o', 'a', 't'};
  raw.send(bad);
  EXPECT_TRUE(raw.closed_within(3s));
  EXPECT_TRUE(ours.log->wait_for("rejected connection from 127.0.0.1", 2s));
  EXPECT_EQ(ours.log->count("rejected connection from"), 1u);
  for (const auto& l : ours.log->lines()) EXPECT_EQ(l.find("noat"), std::string::npos) << l;
  EXPECT_EQ(erl_h().eval("net_adm:ping('" + ours.node->name() + "')"), "pong");
}

TEST(HandshakeBeam, FragmentWithSequenceIdZeroIsRejected) {
  auto ours = start_our_node("cpp_hostile2", kCookie);
  RawPeer raw(ours.node->listen_port());
  ASSERT_TRUE(raw.handshake(node_at_host("raw_frag"), ours.node->name(), proto::Cookie(kCookie)));
  ASSERT_TRUE(ours.log->wait_for("connection up: " + node_at_host("raw_frag"), 2s));
  // 131 'E' SequenceId 0 FragmentId 2, no cache refs, then {6, Pid, '', 'Elixir.PingPong'} would
  // follow: OTP 25.2.3 segfaults here. The prefix is enough for the check.
  std::vector<std::uint8_t> packet{131, 'E', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0,
                                   104, 1, 97, 6};
  std::vector<std::uint8_t> framed{0, 0, 0, std::uint8_t(packet.size())};
  framed.insert(framed.end(), packet.begin(), packet.end());
  raw.send(framed);
  EXPECT_TRUE(raw.closed_within(3s));
  EXPECT_TRUE(ours.log->wait_for("closing connection to " + node_at_host("raw_frag") + ": fragment with SequenceId 0", 2s));
  EXPECT_EQ(erl_h().eval("net_adm:ping('" + ours.node->name() + "')"), "pong");
}

TEST(HandshakeBeam, HugeAnnouncedLengthIsRejectedBeforeAnyPayload) {
  auto ours = start_our_node("cpp_hostile3", kCookie);
  RawPeer raw(ours.node->listen_port());
  ASSERT_TRUE(raw.handshake(node_at_host("raw_len"), ours.node->name(), proto::Cookie(kCookie)));
  std::vector<std::uint8_t> length{0x7f, 0xff, 0xff, 0xff};  // 2 GiB announced, nothing follows
  raw.send(length);
  EXPECT_TRUE(raw.closed_within(3s));
  EXPECT_TRUE(ours.log->wait_for("closing connection to " + node_at_host("raw_len") + ": packet length above the configured maximum", 2s));
  EXPECT_EQ(erl_h().eval("net_adm:ping('" + ours.node->name() + "')"), "pong");
}

}  // namespace
}  // namespace distspec::node::testing
