// gen_call both ways against real nodes: BEAM (erl's gen_server:call and Elixir's
// GenServer.call) calling our PingPong, and our node calling the tutorial's PingPong on an
// Elixir node; failures behave as GenServer.call's: noproc, nodedown when the node goes away
// (no hang), timeout.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include "distspec/etf/decode.hpp"

#include "distspec/etf/text.hpp"
#include "support/node_fixture.hpp"

namespace distspec::node::testing {
namespace {

using namespace std::chrono_literals;
using etf::Term;

const std::string kCookie = "secret_token";

BeamNode& elixir_a() {  // `iex --sname a -S mix` of the tutorial: PingPong registered
  static std::unique_ptr<BeamNode> node = std::make_unique<BeamNode>(
      test_epmd(), BeamNodeOptions{.name = "ex_a", .cookie = kCookie, .elixir = true,
                                   .start_ping_pong = true});
  return *node;
}

OurNode& ours() {
  static OurNode node = start_our_node("cpp_call", kCookie);
  return node;
}

TEST(CallBeam, ErlGenServerCallGetsPongFromOurPingPong) {
  BeamNode erl(test_epmd(), {.name = "erl_caller", .cookie = kCookie});
  std::string server = "{'Elixir.PingPong', '" + ours().node->name() + "'}";
  EXPECT_EQ(erl.eval("gen_server:call(" + server + ", ping)"), "pong");
  EXPECT_EQ(erl.eval("gen_server:call(" + server + ", ping)"), "pong");
  EXPECT_EQ(erl.eval("gen_server:call(" + server + ", count)"), "2");
  // A name we do not have: the MONITOR_P is answered with DOWN noproc, so the caller exits at
  // once with noproc instead of waiting for its timeout.
  EXPECT_EQ(erl.eval("catch gen_server:call({nosuch, '" + ours().node->name() + "'}, ping, 4000)"),
            "{'EXIT',{noproc,{gen_server,call,[{nosuch," + ours().node->name() + "},ping,4000]}}}");
}

TEST(CallBeam, ElixirGenServerCallGetsPongFromOurPingPong) {
  EXPECT_EQ(elixir_a().eval("'Elixir.GenServer':call({'Elixir.PingPong', '" + ours().node->name() + "'}, ping)"),
            "pong");
}

TEST(CallBeam, WeCallThePingPongOfTheElixirNode) {
  auto reply = ours().node->call(elixir_a().node_name(), "Elixir.PingPong", Term::atom("ping"), 5s);
  ASSERT_TRUE(reply) << etf::format(reply.error().reason);
  EXPECT_TRUE(reply.value().is_atom("pong"));
  auto count = ours().node->call(elixir_a().node_name(), "Elixir.PingPong", Term::atom("count"), 5s);
  ASSERT_TRUE(count);
  EXPECT_GE(count.value().as_integer(), 1);
}

TEST(CallBeam, CallToAnUnregisteredNameFailsWithNoproc) {
  const std::string server = elixir_a().node_name();  // both nodes up before the clock starts
  auto& caller = *ours().node;
  auto start = std::chrono::steady_clock::now();
  // noproc arrives as the monitor's DOWN, well before the call's 5-s timeout.
  auto reply = caller.call(server, "Elixir.NoSuchServer", Term::atom("ping"), 5s);
  ASSERT_FALSE(reply);
  EXPECT_TRUE(reply.error().reason.is_atom("noproc")) << etf::format(reply.error().reason);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(CallBeam, CallToANodeThatGoesAwayFailsWithNodedown) {
  BeamNode doomed(test_epmd(), {.name = "erl_doomed_srv", .cookie = kCookie});
  // A server that takes calls and never answers.
  doomed.eval("register(silent, spawn(fun() -> receive never -> ok end end))");
  std::optional<Result<Term, CallFailure>> result;
  std::thread caller([&] { result.emplace(ours().node->call(doomed.node_name(), "silent", Term::atom("ping"), 30s)); });
  ASSERT_TRUE(ours().log->wait_for("connection up: " + doomed.node_name(), 10s));
  std::this_thread::sleep_for(200ms);  // the request is on its way
  auto start = std::chrono::steady_clock::now();
  doomed.kill();
  caller.join();
  ASSERT_TRUE(result);
  ASSERT_FALSE(*result);
  EXPECT_TRUE(result->error().reason == Term::tuple({Term::atom("nodedown"), Term::atom(doomed.node_name())}))
      << etf::format(result->error().reason);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(CallBeam, CallToAServerThatNeverAnswersTimesOut) {
  elixir_a().eval("register(silent2, spawn(fun() -> receive never -> ok end end))");
  auto reply = ours().node->call(elixir_a().node_name(), "silent2", Term::atom("ping"), 300ms);
  ASSERT_FALSE(reply);
  EXPECT_TRUE(reply.error().reason.is_atom("timeout"));
}

// What a server sees of our calls, as of OTP's gen:call: the tag is [alias | Ref], the caller
// monitors the server for the call only (the DEMONITOR_P of the previous call, also of one that
// timed out, arrived before the next request), and a reply after the timeout is dropped (the
// alias is gone) instead of ending a later call.
TEST(CallBeam, OurCallsMonitorAndAliasOncePerCallAndDropLateReplies) {
  elixir_a().eval(
      "register(inspector, spawn(fun Loop() -> receive {'$gen_call', {Pid, Tag} = From, Req} -> "
      "Shape = case Tag of [alias | R] when is_reference(R) -> alias; R when is_reference(R) -> plain; _ -> other end, "
      "{monitored_by, By} = process_info(self(), monitored_by), "
      "Monitors = length([P || P <- By, P =:= Pid]), "
      "case Req of {late, Ms} -> spawn(fun() -> timer:sleep(Ms), gen:reply(From, {late, Ms}) end); "
      "_ -> gen:reply(From, {Shape, Monitors, node(Pid)}) end, Loop() end end))");
  auto& caller = *ours().node;
  const Term expected = Term::tuple({Term::atom("alias"), Term::integer(1), Term::atom(caller.name())});
  for (int i = 0; i < 3; ++i) {
    auto reply = caller.call(elixir_a().node_name(), "inspector", Term::atom("look"), 5s);
    ASSERT_TRUE(reply) << etf::format(reply.error().reason);
    EXPECT_TRUE(reply.value() == expected) << etf::format(reply.value());
  }
  auto late = caller.call(elixir_a().node_name(), "inspector",
                          Term::tuple({Term::atom("late"), Term::integer(300)}), 100ms);
  ASSERT_FALSE(late);
  EXPECT_TRUE(late.error().reason.is_atom("timeout"));
  std::this_thread::sleep_for(400ms);  // the late reply has come and gone
  auto reply = caller.call(elixir_a().node_name(), "inspector", Term::atom("look"), 5s);
  ASSERT_TRUE(reply) << etf::format(reply.error().reason);
  EXPECT_TRUE(reply.value() == expected) << etf::format(reply.value());
  // A late reply while the next call is in flight does not end that call either.
  late = caller.call(elixir_a().node_name(), "inspector", Term::tuple({Term::atom("late"), Term::integer(200)}), 50ms);
  ASSERT_FALSE(late);
  auto slow = caller.call(elixir_a().node_name(), "inspector", Term::tuple({Term::atom("late"), Term::integer(400)}), 5s);
  ASSERT_TRUE(slow) << etf::format(slow.error().reason);
  EXPECT_TRUE(slow.value() == Term::tuple({Term::atom("late"), Term::integer(400)})) << etf::format(slow.value());
}

// Monitor signals go only to a peer with DIST_MONITOR and DIST_MONITOR_NAME, and SEND_SENDER
// only to one with SEND_SENDER, as OTP sends them (control-messages.md §3), also when they
// waited for the connection to come up. Our node records every term it sends
// (record_corpus_dir): the watcher's record must hold the calls' REG_SENDs and the send's SEND,
// and no MONITOR_P (19), DEMONITOR_P (20) or SEND_SENDER (22).
TEST(CallBeam, SignalsFollowThePeersFlagsEvenWhenQueued) {
  const std::string corpus = make_temp_dir("monitor_flags");
  auto watcher = start_our_node("cpp_mon_w", kCookie, [&](NodeOptions& o) { o.record_corpus_dir = corpus; });
  auto peer = start_our_node("cpp_mon_p", kCookie, [](NodeOptions& o) {
    o.flags = node_flags(false) & ~proto::dflag::dist_monitor_name & ~proto::dflag::send_sender;
  });
  const std::string target = peer.node->name();
  auto mailbox = watcher.node->make_mailbox();
  // Not connected yet: the MONITOR_P and the send wait for the connection this starts.
  watcher.node->monitor(mailbox->pid(), Term::atom("net_kernel"), target);
  watcher.node->send(mailbox->pid(), etf::Pid{etf::Atom{target}, 1, 0, 1}, Term::atom("hello"));
  for (int i = 0; i < 100 && watcher.node->nodes().empty(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(watcher.node->nodes(), std::vector<std::string>{target});
  watcher.node->monitor(mailbox->pid(), Term::atom("net_kernel"), target);  // connected now
  for (int i = 0; i < 3; ++i) {
    auto reply = watcher.node->call(target, "Elixir.PingPong", Term::atom("ping"), 5s);  // monitor + demonitor
    ASSERT_TRUE(reply) << etf::format(reply.error().reason);
    EXPECT_TRUE(reply.value().is_atom("pong"));
  }
  watcher.node.reset();  // stopped: everything it sent is recorded
  std::map<std::int64_t, int> sent;  // control operation -> terms recorded
  for (const auto& file : std::filesystem::directory_iterator(std::filesystem::path(corpus) / "term")) {
    std::ifstream in(file.path(), std::ios::binary);
    std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    auto term = etf::decode(bytes);
    ASSERT_TRUE(term) << file.path();
    const Term& t = term->term;
    if (t.kind() == Term::Kind::Tuple && !t.as_tuple().elements.empty() && t.as_tuple().elements[0].kind() == Term::Kind::Integer)
      ++sent[t.as_tuple().elements[0].as_integer()];
  }
  EXPECT_GT(sent[6], 0) << "no REG_SEND recorded: the record does not show what was sent";
  EXPECT_GT(sent[2], 0) << "the send left as no SEND";
  EXPECT_EQ(sent[19], 0) << "MONITOR_P sent to a peer without DIST_MONITOR_NAME";
  EXPECT_EQ(sent[20], 0) << "DEMONITOR_P sent to a peer without DIST_MONITOR_NAME";
  EXPECT_EQ(sent[22], 0) << "SEND_SENDER sent to a peer without SEND_SENDER";
  std::filesystem::remove_all(corpus);
}

// A call to our own node ends inside the call that starts it (the local DOWN noproc, or the
// reply through the alias); each ends once, and the next call works.
TEST(CallBeam, CallsToOurOwnNodeAnswerOrFailWithNoprocAtOnce) {
  auto& node = *ours().node;
  for (int i = 0; i < 2; ++i) {
    auto reply = node.call(node.name(), "Elixir.PingPong", Term::atom("ping"), 5s);
    ASSERT_TRUE(reply) << etf::format(reply.error().reason);
    EXPECT_TRUE(reply.value().is_atom("pong"));
    auto start = std::chrono::steady_clock::now();
    auto missing = node.call(node.name(), "nosuch", Term::atom("ping"), 5s);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().reason.is_atom("noproc")) << etf::format(missing.error().reason);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  }
}

TEST(CallBeam, CallToAnUnknownNodeFailsWithNodedown) {
  auto reply = ours().node->call(node_at_host("nobody"), "Elixir.PingPong", Term::atom("ping"), 5s);
  ASSERT_FALSE(reply);
  EXPECT_TRUE(reply.error().reason == Term::tuple({Term::atom("nodedown"), Term::atom(node_at_host("nobody"))}));
}

}  // namespace
}  // namespace distspec::node::testing
