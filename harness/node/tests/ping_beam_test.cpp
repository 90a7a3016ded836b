// Ping and connection life against real OTP 25 nodes: same and wrong cookie in both directions
// (with the acceptor's log line on each side), Node.list visible vs hidden, node-down seen by
// the other side, a name already registered in epmd, and erl's own -sname host.
#include <gtest/gtest.h>

#include "distspec/node/host_name.hpp"
#include "support/node_fixture.hpp"

namespace distspec::node::testing {
namespace {

using namespace std::chrono_literals;

const std::string kCookie = "secret_token";

// One erl node with the shared cookie, reused by the cases of this process.
BeamNode& erl_a() {
  static std::unique_ptr<BeamNode> node =
      std::make_unique<BeamNode>(test_epmd(), BeamNodeOptions{.name = "erl_a", .cookie = kCookie});
  return *node;
}

TEST(PingBeam, ErlPingsUsWithTheSameCookie) {
  auto ours = start_our_node("cpp_p1", kCookie);
  EXPECT_EQ(erl_a().eval("net_adm:ping('" + ours.node->name() + "')"), "pong");
  EXPECT_TRUE(ours.log->wait_for("connection up: " + erl_a().node_name(), 5s));
  EXPECT_EQ(erl_a().eval("lists:member('" + ours.node->name() + "', nodes())"), "true");
  EXPECT_EQ(ours.node->nodes(), std::vector<std::string>{erl_a().node_name()});
}

TEST(PingBeam, ErlWithAnotherCookieGetsPangAndWeLogTheRejection) {
  auto ours = start_our_node("cpp_p2", "another_secret");
  EXPECT_EQ(erl_a().eval("net_adm:ping('" + ours.node->name() + "')"), "pang");
  std::string line = "** Connection attempt from node " + erl_a().node_name() +
                     " rejected. Invalid challenge reply. **";
  EXPECT_TRUE(ours.log->wait_for(line, 5s));
  EXPECT_EQ(ours.log->count(line), 1u);
  for (const auto& l : ours.log->lines()) {
    EXPECT_EQ(l.find(kCookie), std::string::npos) << l;
    EXPECT_EQ(l.find("another_secret"), std::string::npos) << l;
  }
  EXPECT_TRUE(ours.node->nodes().empty());
}

TEST(PingBeam, WePingErlWithTheSameCookie) {
  auto ours = start_our_node("cpp_p3", kCookie);
  EXPECT_TRUE(ours.node->ping(erl_a().node_name(), 10s));
  EXPECT_EQ(ours.node->nodes(), std::vector<std::string>{erl_a().node_name()});
  EXPECT_EQ(erl_a().eval("lists:member('" + ours.node->name() + "', nodes())"), "true");
}

TEST(PingBeam, WePingErlWithAnotherCookieGetPangAndErlLogsTheRejection) {
  auto ours = start_our_node("cpp_p4", "wrong_cookie");
  auto from = erl_a().process().output().size();
  EXPECT_FALSE(ours.node->ping(erl_a().node_name(), 10s));
  std::string line = "** Connection attempt from node " + ours.node->name() +
                     " rejected. Invalid challenge reply. **";
  EXPECT_TRUE(erl_a().process().wait_for(line, 5s, from)) << erl_a().process().output();
  EXPECT_TRUE(ours.node->nodes().empty());
}

TEST(PingBeam, UnknownNodeIsPang) {
  auto ours = start_our_node("cpp_p5", kCookie);
  EXPECT_FALSE(ours.node->ping(node_at_host("nobody_here"), 5s));
}

TEST(PingBeam, VisibleNodeInNodesHiddenOnlyInNodesHidden) {
  auto visible = start_our_node("cpp_vis", kCookie);
  auto hidden = start_our_node("cpp_hid", kCookie, [](NodeOptions& o) { o.hidden = true; });
  EXPECT_TRUE(visible.node->ping(erl_a().node_name(), 10s));
  EXPECT_TRUE(hidden.node->ping(erl_a().node_name(), 10s));
  EXPECT_EQ(erl_a().eval("lists:member('" + visible.node->name() + "', nodes())"), "true");
  EXPECT_EQ(erl_a().eval("lists:member('" + hidden.node->name() + "', nodes())"), "false");
  EXPECT_EQ(erl_a().eval("lists:member('" + hidden.node->name() + "', nodes(hidden))"), "true");
  // Our side: a hidden node sees erl as a hidden connection.
  EXPECT_EQ(hidden.node->nodes(true), std::vector<std::string>{erl_a().node_name()});
  EXPECT_TRUE(hidden.node->nodes(false).empty());
}

TEST(PingBeam, ErlSeesNodedownWhenWeStop) {
  auto ours = start_our_node("cpp_down", kCookie);
  std::string name = ours.node->name();
  EXPECT_EQ(erl_a().eval("net_adm:ping('" + name + "')"), "pong");
  // A process on erl that monitors our node and reports the nodedown it gets.
  erl_a().eval("register(watch_down, spawn(fun() -> monitor_node('" + name +
               "', true), receive {nodedown, N} -> receive {report, P} -> P ! {got, N} end end end))");
  ours.node->stop();
  EXPECT_EQ(erl_a().eval("watch_down ! {report, self()}, receive {got, N} -> N after 5000 -> timeout end"),
            name);
  EXPECT_EQ(erl_a().eval("lists:member('" + name + "', nodes())"), "false");
}

TEST(PingBeam, WeSeeNodedownWhenErlIsKilled) {
  BeamNode doomed(test_epmd(), {.name = "erl_doomed", .cookie = kCookie});
  auto ours = start_our_node("cpp_watch", kCookie);
  ASSERT_TRUE(ours.node->ping(doomed.node_name(), 10s));
  auto mailbox = ours.node->make_mailbox();
  doomed.eval("register(victim, self())");
  auto ref = ours.node->monitor(mailbox->pid(), etf::Term::atom("victim"), doomed.node_name());
  doomed.kill();
  auto down = mailbox->receive(10s);
  ASSERT_TRUE(down);
  const auto& t = down->as_tuple().elements;
  EXPECT_TRUE(t[0].is_atom("DOWN"));
  EXPECT_TRUE(t[1].as_reference() == ref);
  EXPECT_TRUE(t[4].is_atom("noconnection"));
  EXPECT_TRUE(ours.log->wait_for("node down: " + doomed.node_name(), 5s));
  EXPECT_TRUE(ours.node->nodes().empty());
}

TEST(PingBeam, NameAlreadyRegisteredInEpmdIsRefused) {
  erl_a().eval("ok");  // make sure erl_a is registered
  NodeOptions options;
  options.name = erl_a().node_name();
  options.cookie = proto::Cookie(kCookie);
  options.epmd_port = test_epmd().port();
  options.start_epmd = false;
  options.log = [](LogLevel, std::string_view) {};
  auto created = Node::create(std::move(options));
  ASSERT_FALSE(created);
  EXPECT_NE(created.error().message.find("the name erl_a seems to be in use by another Erlang node"),
            std::string::npos)
      << created.error().message;
  // And the other way round: erl refuses a name we hold.
  auto ours = start_our_node("cpp_taken", kCookie);
  BeamNode clash(test_epmd(), {.name = "cpp_taken", .cookie = kCookie, .wait_ready = false});
  EXPECT_TRUE(clash.process().wait_for("the name cpp_taken@" + short_host_name() +
                                           " seems to be in use by another Erlang node", 15s))
      << clash.process().output();
}

TEST(PingBeam, ShortHostIsTheOneErlUses) {
  auto name = make_node_name("erl_a", proto::NameKind::Short, read_host_environment());
  ASSERT_TRUE(name);
  EXPECT_EQ(erl_a().eval("node()"), name.value().full());
}

// A burst over the message log budget: the count of the lines left out is logged when their second
// ends, not held back until some later message arrives.
TEST(PingBeam, MessageLinesLeftOutAreCountedWhenTheirSecondEnds) {
  auto ours = start_our_node("cpp_p_burst", kCookie, [](NodeOptions& o) { o.message_lines_per_second = 2; });
  EXPECT_EQ(erl_a().eval("[{nobody_here, '" + ours.node->name() + "'} ! I || I <- lists:seq(1, 10)], ok"), "ok");
  // (What net_kernel sends while connecting counts too, so at least 10 - 2 are left out.)
  const std::string tail = " message lines left out (over 2 a second)";
  ASSERT_TRUE(ours.log->wait_for(tail, 3s));
  for (const auto& line : ours.log->lines()) {
    if (auto at = line.find(tail); at != std::string::npos) {
      EXPECT_GE(std::stoul(line.substr(line.rfind(' ', at - 1) + 1)), 8u) << line;
    }
  }
}

}  // namespace
}  // namespace distspec::node::testing
