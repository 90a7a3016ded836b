// Live-node fuzzing (`distspec fuzz node`, issue 5): the Boost.Asio driver around RoundPlanner.
//
// run_live_fuzz() finds the target's port through epmd once, checks that a correct peer is
// accepted, then keeps `concurrency` TCP connections busy, one round per connection (see
// live_fuzz_plan.hpp for the phases). Every check_interval, and at once when a connection is
// refused, a correct peer does a full handshake and asks net_kernel {is_auth, Node} (what
// net_adm:ping does); when that fails three times in a row the campaign stops with a finding:
// "target_died" (gone from epmd, or connections refused) or "target_unresponsive", listing the
// rounds sent since the last good check as suspects, each saved with its input.
//
// Findings (exit status 1 of the CLI): the two above; "auth_bypass" (the node sent 'a' for a
// challenge reply whose digest is wrong); "valid_reply_refused" (it closed on a correct reply);
// and "known_crasher" (an input OTP 25.2.3 is known to mishandle was sent, with what the node did).
// Everything else the node did is counted per (mutation, outcome) and a few inputs of each class
// are kept under observed/, with the expectation when the node did something else than it.
//
// Output folder: findings/<sha256>.bin (the bytes of the round: the whole first write for
// send_name rounds, the mutated reply, or the packets sent after a correct handshake) and
// findings/<sha256>.json {round, phase, mutation, expect, outcome, kind, detail, seed}; the same
// pair under observed/. Never a cookie.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "distspec/etf/result.hpp"
#include "distspec/node/live_fuzz_plan.hpp"
#include "distspec/proto/cookie.hpp"

namespace distspec::node {

struct LiveFuzzOptions {
  std::string target_node;  // alive@host
  proto::Cookie cookie;
  std::uint16_t epmd_port = 0;                // 0: $ERL_EPMD_PORT or 4369
  std::optional<std::uint16_t> target_port;   // skips the epmd lookup
  PlanOptions plan;                           // target_name and slots are filled in
  std::string corpus_dir;  // files whose embedded send_names seed send_name.corpus ("" = none)
  std::size_t concurrency = 16;
  std::chrono::milliseconds duration{10'000};
  std::optional<std::uint64_t> max_rounds;
  std::string out_dir = "fuzz-node";
  std::chrono::milliseconds check_interval{250};
  std::chrono::milliseconds reply_timeout{2'000};  // an answer the node owes us
  std::chrono::milliseconds linger{20};            // watching a connection that should stay open
  std::size_t samples_per_class = 2;               // observed/ inputs per (mutation, outcome)
  std::function<void(const std::string&)> progress;  // about one line per second
};

struct LiveFuzzFinding {
  std::string kind;  // target_died, target_unresponsive, auth_bypass, valid_reply_refused, known_crasher
  std::uint64_t round = 0;
  std::string mutation;
  std::string outcome;
  std::string detail;
  std::string record_path;  // the .json written for it
};

struct LiveFuzzSummary {
  std::uint64_t seed = 0;
  std::uint64_t rounds = 0;
  std::uint64_t complete_handshakes = 0;  // handshakes that ended with a verified 'a'
  std::uint64_t checks = 0;
  double seconds = 0;
  double rounds_per_second = 0;
  double handshakes_per_second = 0;
  std::map<std::string, std::uint64_t> outcomes;  // "send_name.tag -> closed" -> count
  std::map<std::string, std::chrono::microseconds> outcome_time;  // the same rounds' total time
  std::uint64_t unexpected = 0;                   // outcomes that differ from the expectation
  std::vector<LiveFuzzFinding> findings;  // saved ones: samples_per_class per (kind, mutation, outcome)
  std::map<std::string, std::uint64_t> finding_counts;  // every occurrence, by kind
  bool target_died = false;
  std::map<std::string, std::size_t> withheld;    // known crashers not sent, by kind
  std::size_t atoms_spent = 0;
  std::size_t seed_send_names = 0;  // found in corpus_dir
};

struct LiveFuzzError {
  std::string message;
};

Result<LiveFuzzSummary, LiveFuzzError> run_live_fuzz(LiveFuzzOptions options);

// One correct peer: full handshake as `own_name` (hidden), then {is_auth, own_name} to net_kernel;
// true when the reply `yes` arrives within `timeout`. Blocking; for tests and the CLI.
bool check_correct_peer(const std::string& host, std::uint16_t port, const std::string& target_node,
                        const std::string& own_name, const proto::Cookie& cookie,
                        std::chrono::milliseconds timeout);

}  // namespace distspec::node
