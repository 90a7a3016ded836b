// The C++ caller of the gen_call benchmark: our node makes GenServer.call({PingPong, Node}, :ping)
// round trips, as gen_call_bench.escript's BEAM caller does, so that bench/run_calls can report
// C++->C++ (and C++->BEAM, C++->ei) beside the BEAM caller's figures.
//
//   cpp_caller NAME SECONDS IN_FLIGHT NODE...
//
// For each NODE: a ping and 300 ms of warm-up calls; then, BENCH_ROUNDS times (default 1) with the
// nodes taking turns, sequential calls for SECONDS and IN_FLIGHT call loops at once for SECONDS.
// Prints "result NODE US_PER_CALL CALLS_PER_S IN_FLIGHT_CALLS_PER_S US_MIN US_MAX" (medians of the
// rounds and the range of US_PER_CALL; the escript's format) and "round R NODE US_PER_CALL
// IN_FLIGHT_CALLS_PER_S" per round, or "failed NODE REASON". Every
// loop runs on the node's I/O thread (Node::call_async starts the next call from the previous
// one's completion), so no thread
// hand-off is timed. The cookie is the one erl reads ($HOME/.erlang.cookie); epmd: ERL_EPMD_PORT.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "distspec/etf/text.hpp"
#include "distspec/node/cookie_source.hpp"
#include "distspec/node/host_name.hpp"
#include "distspec/node/node.hpp"

namespace {

using distspec::etf::Term;
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kCallTimeout{5000};

// One caller: calls until `deadline`, then reports its count through `finished`.
class CallLoop : public std::enable_shared_from_this<CallLoop> {
 public:
  CallLoop(distspec::node::Node& node, std::string target, Clock::time_point deadline)
      : node_(node), target_(std::move(target)), deadline_(deadline) {}

  std::future<long> start() {
    next();
    return finished_.get_future();
  }

 private:
  void next() {
    if (Clock::now() >= deadline_) return finished_.set_value(calls_);
    node_.call_async(target_, "Elixir.PingPong", Term::atom("ping"), kCallTimeout,
                     [self = shared_from_this()](auto reply) {
                       if (!reply || !reply.value().is_atom("pong")) {
                         std::string why = reply ? distspec::etf::format(reply.value())
                                                 : distspec::etf::format(reply.error().reason);
                         std::fprintf(stderr, "cpp_caller: call to %s: %s\n", self->target_.c_str(), why.c_str());
                         return self->finished_.set_value(-1);
                       }
                       ++self->calls_;
                       self->next();
                     });
  }

  distspec::node::Node& node_;
  std::string target_;
  Clock::time_point deadline_;
  long calls_ = 0;
  std::promise<long> finished_;
};

struct Run {
  long calls = 0;
  double seconds = 0;
};

// `loops` callers at once for `duration`; calls < 0 when one failed.
Run run_loops(distspec::node::Node& node, const std::string& target, int loops, Clock::duration duration) {
  auto begin = Clock::now();
  std::vector<std::future<long>> results;
  for (int i = 0; i < loops; ++i)
    results.push_back(std::make_shared<CallLoop>(node, target, begin + duration)->start());
  Run run;
  for (auto& r : results) {
    long n = r.get();
    run.calls = (n < 0 || run.calls < 0) ? -1 : run.calls + n;
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  return run;
}

int usage() {
  std::fprintf(stderr, "usage: cpp_caller NAME SECONDS IN_FLIGHT NODE...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) return usage();
  const double seconds = std::atof(argv[2]);
  const int in_flight = std::atoi(argv[3]);
  if (seconds <= 0 || in_flight <= 0) return usage();
  auto name = distspec::node::make_node_name(argv[1], distspec::proto::NameKind::Short,
                                             distspec::node::read_host_environment());
  auto cookie = distspec::node::resolve_cookie({});
  if (!name || !cookie) {
    std::fprintf(stderr, "cpp_caller: %s\n", !name ? name.error().message.c_str() : cookie.error().message.c_str());
    return 1;
  }
  distspec::node::NodeOptions options;
  options.name = name.value().full();
  options.cookie = std::move(cookie).value();
  options.register_with_epmd = false;
  options.host_ping_pong = false;
  options.log = [](distspec::node::LogLevel level, std::string_view line) {
    if (level >= distspec::node::LogLevel::Warning) std::fprintf(stderr, "cpp_caller: %.*s\n", int(line.size()), line.data());
  };
  auto created = distspec::node::Node::create(std::move(options));
  if (!created) {
    std::fprintf(stderr, "cpp_caller: %s\n", created.error().message.c_str());
    return 1;
  }
  auto node = std::move(created).value();
  node->start();

  const auto duration = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const char* rounds_text = std::getenv("BENCH_ROUNDS");
  const int rounds = rounds_text ? std::max(1, std::atoi(rounds_text)) : 1;
  struct Target {
    std::string name;
    std::vector<double> us_per_call, concurrent_per_s;
    bool failed = false;
  };
  std::vector<Target> targets;
  for (int i = 4; i < argc; ++i) {
    Target target{argv[i], {}, {}};
    if (!node->ping(target.name, kCallTimeout)) {
      std::printf("failed %s pang\n", target.name.c_str());
      continue;
    }
    if (run_loops(*node, target.name, 1, std::chrono::milliseconds(300)).calls < 0) {
      std::printf("failed %s call_failed\n", target.name.c_str());
      continue;
    }
    targets.push_back(std::move(target));
  }
  // Round after round over every target, so that a slow spell of the machine falls on all of them.
  for (int round = 0; round < rounds; ++round)
    for (Target& target : targets) {
      if (target.failed) continue;
      Run sequential = run_loops(*node, target.name, 1, duration);
      Run concurrent = run_loops(*node, target.name, in_flight, duration);
      if (sequential.calls <= 0 || concurrent.calls <= 0) {
        target.failed = true;
        continue;
      }
      target.us_per_call.push_back(sequential.seconds * 1e6 / double(sequential.calls));
      target.concurrent_per_s.push_back(double(concurrent.calls) / concurrent.seconds);
    }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[(v.size() - 1) / 2];
  };
  for (const Target& target : targets) {
    if (target.failed) {
      std::printf("failed %s call_failed\n", target.name.c_str());
      continue;
    }
    const double us = median(target.us_per_call);
    const auto [low, high] = std::minmax_element(target.us_per_call.begin(), target.us_per_call.end());
    std::printf("result %s %.2f %ld %ld %.2f %.2f\n", target.name.c_str(), us, std::lround(1e6 / us),
                std::lround(median(target.concurrent_per_s)), *low, *high);
    for (std::size_t round = 0; round < target.us_per_call.size(); ++round)
      std::printf("round %zu %s %.2f %ld\n", round + 1, target.name.c_str(), target.us_per_call[round],
                  std::lround(target.concurrent_per_s[round]));
  }
  std::fflush(stdout);
  node->stop();
  return 0;
}
