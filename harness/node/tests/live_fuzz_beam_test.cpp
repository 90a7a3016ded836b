// The live-node fuzzer against real targets: a short campaign against an erl node (no finding,
// no crash report, bounded atoms, the node still answers a correct peer), and against a target
// that dies on one input (our C++ node behind a proxy that drops everything, listener and epmd
// registration included, on a send_name with bytes after the name).
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "distspec/node/epmd_client.hpp"
#include "distspec/node/live_fuzz.hpp"
#include "distspec/proto/handshake_messages.hpp"
#include "support/node_fixture.hpp"

// g++ 12 flags Boost 1.74's coroutine frame allocator (a false positive).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace distspec::node::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

const std::string kCookie = "live_fuzz_cookie";

std::uint64_t test_seed() {
  static const std::uint64_t seed = std::random_device{}();
  return seed;
}

LiveFuzzOptions campaign(const std::string& target, const std::string& out) {
  LiveFuzzOptions o;
  o.target_node = target;
  o.cookie = proto::Cookie(kCookie);
  o.epmd_port = test_epmd().port();
  o.plan.seed = test_seed();
  o.concurrency = 4;
  o.duration = 2s;
  o.out_dir = out;
  return o;
}

std::string host_of(const std::string& node) { return node.substr(node.find('@') + 1); }

TEST(LiveFuzzBeam, ShortCampaignAgainstErlFindsNothingAndTheNodeStillAnswers) {
  SCOPED_TRACE("seed " + std::to_string(test_seed()));
  BeamNode erl(test_epmd(), BeamNodeOptions{.name = "lf_erl", .cookie = kCookie});
  // Short campaigns first make erl load the modules its error paths use: each module loaded adds
  // its atoms (about 600 in all, seen as 635 atoms made against 372 paid for when a loaded
  // machine ran few rounds), which are not the campaign's inputs. They run until one loads no
  // module (at most 5: a slow machine runs few rounds in each), with other seeds: the same
  // inputs would find their atoms already made. The budget is checked on the campaign after.
  auto loaded_modules = [&] { return erl.eval("length(code:all_loaded())"); };
  std::string loaded = loaded_modules();
  for (int warm_up_round = 1; warm_up_round <= 5; ++warm_up_round) {
    auto warm_up = campaign(erl.node_name(), make_temp_dir("live_fuzz_erl_warm_up"));
    warm_up.duration = 1s;
    warm_up.plan.seed = test_seed() + warm_up_round;
    ASSERT_TRUE(run_live_fuzz(warm_up));
    std::string now = loaded_modules();
    std::printf("warm-up campaign %d: %s modules loaded on erl\n", warm_up_round, now.c_str());
    if (now == loaded) break;
    loaded = now;
  }
  const auto atoms_before = std::stoul(erl.eval("erlang:system_info(atom_count)"));
  const auto out = make_temp_dir("live_fuzz_erl");

  auto result = run_live_fuzz(campaign(erl.node_name(), out));
  ASSERT_TRUE(result) << result.error().message;
  const auto& summary = result.value();
  std::printf("live fuzz vs erl: %llu rounds in %.1f s, %.0f rounds/s, %.0f complete handshakes/s\n",
              (unsigned long long)summary.rounds, summary.seconds, summary.rounds_per_second,
              summary.handshakes_per_second);
  for (const auto& f : summary.findings)
    ADD_FAILURE() << f.kind << " round " << f.round << " " << f.mutation << ": " << f.detail;
  EXPECT_FALSE(summary.target_died);
  EXPECT_GT(summary.rounds, 100u);
  EXPECT_GT(summary.complete_handshakes, 10u);
  EXPECT_GT(summary.handshakes_per_second, 0.0);
  EXPECT_GE(summary.checks, 2u);
  // Every phase ran, and the known crashers were planned but not sent.
  for (const char* phase : {"send_name.", "challenge_reply.", "connected."}) {
    bool seen = false;
    for (const auto& [key, count] : summary.outcomes) seen |= key.rfind(phase, 0) == 0;
    EXPECT_TRUE(seen) << phase;
  }
  EXPECT_FALSE(summary.withheld.empty());
  EXPECT_TRUE(std::filesystem::exists(out + "/observed"));

  // Still up for a correct peer, nothing crashed, and the atoms made stay within what was paid for.
  EXPECT_TRUE(check_correct_peer(host_of(erl.node_name()),
                                 epmd_port_please(host_of(erl.node_name()), test_epmd().port(), "lf_erl")
                                     .value().node.port,
                                 erl.node_name(), "lf_after@" + host_of(erl.node_name()),
                                 proto::Cookie(kCookie), 5s));
  const auto atoms_after = std::stoul(erl.eval("erlang:system_info(atom_count)"));
  std::printf("atoms made on erl: %lu, paid for by the budget: %zu\n", atoms_after - atoms_before,
              summary.atoms_spent);
  // Pool names (4 slots x 8) + the checkers + what the budget paid for + the node's own churn.
  EXPECT_LE(atoms_after - atoms_before, summary.atoms_spent + 32 + 2 + 200);
  EXPECT_EQ(erl.process().output().find("CRASH REPORT"), std::string::npos);
}

TEST(LiveFuzzBeam, KnownCrashersAreSentOnlyWhenAllowedAndThenReportedAsFindings) {
  // Our own node rejects these cleanly, so it can take them (an OTP 25.2.3 node would not).
  auto target = start_our_node("lf_known", kCookie, [](NodeOptions& o) {
    o.log = [](LogLevel, std::string_view) {};
  });
  auto options = campaign(target.node->name(), make_temp_dir("live_fuzz_known"));
  options.plan.mutations = {"send_name.short_fields", "connected.fragment_seq0", "connected.frame_huge"};
  options.duration = 1s;

  auto careful = run_live_fuzz(options);
  ASSERT_TRUE(careful) << careful.error().message;
  EXPECT_TRUE(careful.value().findings.empty());
  EXPECT_EQ(careful.value().withheld.size(), 3u);

  options.plan.allow_known_crashers = true;
  auto bold = run_live_fuzz(options);
  ASSERT_TRUE(bold) << bold.error().message;
  std::set<std::string> mutations;
  for (const auto& f : bold.value().findings) {
    EXPECT_EQ(f.kind, "known_crasher") << f.detail;
    EXPECT_TRUE(std::filesystem::exists(f.record_path));
    mutations.insert(f.mutation);
  }
  EXPECT_EQ(mutations, std::set<std::string>(options.plan.mutations.begin(), options.plan.mutations.end()));
  // Every one counted, a few of each saved.
  EXPECT_GT(bold.value().finding_counts.at("known_crasher"), bold.value().findings.size());
  EXPECT_LE(bold.value().findings.size(), 3 * 2 * options.samples_per_class);
  EXPECT_FALSE(bold.value().target_died);
}

// Our node, reachable only through a proxy registered in epmd under the node's name. The first
// send_name carrying bytes after the name makes the proxy "die": it unregisters, stops listening
// and drops every connection, as a crashed VM would.
class DyingProxy {
 public:
  DyingProxy(const std::string& alive, std::uint16_t backend_port)
      : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)), backend_port_(backend_port) {
    proto::epmd::NodeEntry entry;
    entry.port = acceptor_.local_endpoint().port();
    entry.name = alive;
    std::atomic<int> registered{0};
    registration_ = EpmdRegistration::start(io_, test_epmd().port(), entry,
                                            [&](auto result) { registered = result ? 1 : -1; });
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    while (registered == 0) std::this_thread::sleep_for(5ms);
    if (registered < 0) throw std::runtime_error("proxy registration failed");
  }
  ~DyingProxy() {
    asio::post(io_, [this] { die(); });
    io_.stop();
    thread_.join();
  }
  bool died() const { return died_; }
  std::vector<std::uint8_t> fatal_input() const {
    std::lock_guard lock(mutex_);
    return fatal_input_;
  }

 private:
  void die() {
    if (died_.exchange(true)) return;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (registration_) registration_->close();
    for (auto& weak : sockets_)
      if (auto s = weak.lock()) s->close(ignored);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      auto client = std::make_shared<tcp::socket>(co_await acceptor_.async_accept(
          asio::redirect_error(asio::use_awaitable, ec)));
      if (ec || died_) co_return;
      sockets_.push_back(client);
      asio::co_spawn(io_, session(client), asio::detached);
    }
  }

  static asio::awaitable<void> pipe(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
    std::vector<std::uint8_t> buffer(65536);
    for (;;) {
      boost::system::error_code ec;
      auto n = co_await from->async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      co_await asio::async_write(*to, asio::buffer(buffer.data(), n), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    boost::system::error_code ignored;
    to->shutdown(tcp::socket::shutdown_send, ignored);
    from->close(ignored);
  }

  asio::awaitable<void> session(std::shared_ptr<tcp::socket> client) {
    boost::system::error_code ec;
    std::vector<std::uint8_t> first(2);
    co_await asio::async_read(*client, asio::buffer(first), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    first.resize(2 + ((first[0] << 8) | first[1]));
    co_await asio::async_read(*client, asio::buffer(first.data() + 2, first.size() - 2),
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    auto parsed = proto::parse_send_name(std::span(first).subspan(2));
    if (parsed && parsed.value().version == 6 && first.size() > 2 + 15 + parsed.value().name.size()) {
      {
        std::lock_guard lock(mutex_);
        fatal_input_ = first;
      }
      die();
      co_return;
    }
    auto backend = std::make_shared<tcp::socket>(io_);
    co_await backend->async_connect({asio::ip::address_v4::loopback(), backend_port_},
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    sockets_.push_back(backend);
    co_await asio::async_write(*backend, asio::buffer(first), asio::redirect_error(asio::use_awaitable, ec));
    asio::co_spawn(io_, pipe(backend, client), asio::detached);
    co_await pipe(client, backend);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t backend_port_;
  std::shared_ptr<EpmdRegistration> registration_;
  std::vector<std::weak_ptr<tcp::socket>> sockets_;
  std::atomic<bool> died_{false};
  mutable std::mutex mutex_;
  std::vector<std::uint8_t> fatal_input_;
  std::thread thread_;
};

TEST(LiveFuzzBeam, ATargetThatDiesOnOneInputStopsTheCampaignWithThatInputSaved) {
  SCOPED_TRACE("seed " + std::to_string(test_seed()));
  auto target = start_our_node("lf_fake", kCookie, [](NodeOptions& o) {
    o.register_with_epmd = false;  // the proxy registers the name
    o.host_ping_pong = false;
    o.log = [](LogLevel, std::string_view) {};  // thousands of rejected inputs
  });
  DyingProxy proxy("lf_fake", target.node->listen_port());
  const auto out = make_temp_dir("live_fuzz_dying");
  auto options = campaign(target.node->name(), out);
  options.plan.phases = {FuzzPhase::SendName};  // send_name.trailing is 1 in 14 of its rounds
  options.duration = 20s;

  auto result = run_live_fuzz(std::move(options));
  ASSERT_TRUE(result) << result.error().message;
  const auto& summary = result.value();
  ASSERT_TRUE(proxy.died());
  EXPECT_TRUE(summary.target_died);
  EXPECT_LT(summary.seconds, 15.0);  // stopped at the death, not at the end of the run time
  ASSERT_EQ(summary.findings.size(), 1u);
  const auto& finding = summary.findings[0];
  EXPECT_EQ(finding.kind, "target_died");
  EXPECT_NE(finding.detail.find("no longer registered with epmd"), std::string::npos) << finding.detail;

  // The fatal input is among the suspects saved with the finding, and the finding names it.
  std::ifstream json(finding.record_path);
  const std::string record((std::istreambuf_iterator<char>(json)), {});
  std::string fatal_file;
  for (const auto& entry : std::filesystem::directory_iterator(out + "/findings/suspects")) {
    if (entry.path().extension() != ".bin") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    if (bytes == proxy.fatal_input()) fatal_file = entry.path().stem().string();
  }
  ASSERT_FALSE(fatal_file.empty());
  EXPECT_NE(record.find(fatal_file), std::string::npos) << record;
}

}  // namespace
}  // namespace distspec::node::testing
