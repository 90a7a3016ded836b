#include "distspec/node/live_fuzz.hpp"

// g++ 12 flags Boost 1.74's coroutine frame allocator (a false positive, GCC bug 100485-like).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "distspec/node/epmd_client.hpp"
#include "distspec/node/epmd_daemon.hpp"
#include "distspec/proto/dist_header.hpp"
#include "live_fuzz_io.hpp"
#include "live_fuzz_record.hpp"

namespace distspec::node {

namespace {

using namespace livefuzz;
using asio::ip::tcp;

constexpr std::size_t kMaxSuspects = 512;  // rounds kept since the last good check
constexpr int kCheckAttempts = 3;          // failed checks in a row before the target is given up
constexpr std::uintmax_t kMaxCorpusFile = 1 << 20;  // corpus files are small; skip anything else

struct RoundRecord {
  PlannedRound plan;
  RoundInput input;
  std::string outcome;
  bool complete_handshake = false;
  bool refused = false;
  bool infrastructure = false;  // the round never got to its mutation (handshake failed, ...)
  std::chrono::microseconds took{0};
  std::uint64_t accounted = 0;  // order in which rounds finished
};

bool matches(Expectation expect, const std::string& outcome) {
  switch (expect) {
    case Expectation::Any: return true;
    // 'alive' / 'nok' answer a pooled name whose previous connection is still up / pending.
    case Expectation::Accept:
      return outcome == "challenge" || outcome == "ack" || outcome == "open" ||
             outcome == "status_alive" || outcome == "status_nok";
    case Expectation::Reject:
      return outcome == "closed" || (outcome.rfind("status_", 0) == 0 && outcome != "status_ok");
    case Expectation::Silence: return outcome == "silent" || outcome == "open";
  }
  return true;
}

class Campaign {
 public:
  Campaign(LiveFuzzOptions options, tcp::endpoint endpoint, std::string host)
      : options_(std::move(options)), endpoint_(endpoint), host_(std::move(host)),
        planner_(options_.plan), wake_checker_(io_) {}

  LiveFuzzSummary run();

 private:
  asio::awaitable<void> slot(std::size_t index);
  asio::awaitable<RoundRecord> play(PlannedRound plan);
  asio::awaitable<std::string> observe_send_name(FuzzConnection& c, Clock::time_point deadline);
  asio::awaitable<std::string> observe_reply(FuzzConnection& c, Clock::time_point deadline);
  asio::awaitable<std::string> observe_connected(FuzzConnection& c, Clock::time_point deadline);
  asio::awaitable<void> checker();
  asio::awaitable<bool> check_once();
  asio::awaitable<void> give_up();
  asio::awaitable<void> progress();
  void account(RoundRecord& record);
  void add_finding(const std::string& kind, const RoundRecord* record, const std::string& detail,
                   const nlohmann::json& suspects = nullptr);
  nlohmann::json base_record(const RoundRecord& record) const;
  bool running() const {
    return !stop_ && Clock::now() < end_ &&
           (!options_.max_rounds || next_round_ < *options_.max_rounds);
  }

  LiveFuzzOptions options_;
  tcp::endpoint endpoint_;
  std::string host_;
  asio::io_context io_;
  RoundPlanner planner_;
  asio::steady_timer wake_checker_;
  asio::steady_timer progress_timer_{io_};
  LiveFuzzSummary summary_;
  Clock::time_point start_, end_, finished_;
  std::uint64_t next_round_ = 0;
  std::uint64_t accounted_ = 0;
  std::size_t active_slots_ = 0;
  bool stop_ = false;
  std::deque<RoundRecord> suspects_;
  std::map<std::string, std::size_t> samples_;  // per class, inputs saved under observed/
  std::map<std::string, std::size_t> findings_saved_;
};

asio::awaitable<std::string> Campaign::observe_send_name(FuzzConnection& c,
                                                         Clock::time_point deadline) {
  Bytes buffer;
  bool got_ok = false;
  for (;;) {
    while (auto frame = take_frame2(buffer)) {
      if (!frame->empty() && (*frame)[0] == 's') {
        std::string status(frame->begin() + 1, frame->end());
        if (status.rfind("named:", 0) == 0) status = "named";
        if (status != "ok" && status != "ok_simultaneous") co_return "status_" + status;
        got_ok = true;
      } else if (got_ok && !frame->empty() && (*frame)[0] == 'N') {
        co_return "challenge";
      } else {
        co_return "unexpected_message";
      }
    }
    switch (co_await c.read_some(buffer, deadline)) {
      case ReadStatus::Data: break;
      case ReadStatus::Timeout: co_return got_ok ? "status_ok" : "silent";
      default: co_return "closed";
    }
  }
}

asio::awaitable<std::string> Campaign::observe_reply(FuzzConnection& c, Clock::time_point deadline) {
  Bytes buffer;
  for (;;) {
    if (auto frame = take_frame2(buffer))
      co_return !frame->empty() && (*frame)[0] == 'a' ? "ack" : "unexpected_message";
    switch (co_await c.read_some(buffer, deadline)) {
      case ReadStatus::Data: break;
      case ReadStatus::Timeout: co_return "silent";
      default: co_return "closed";
    }
  }
}

asio::awaitable<std::string> Campaign::observe_connected(FuzzConnection& c,
                                                         Clock::time_point deadline) {
  Bytes buffer;
  for (;;) {
    buffer.clear();  // what the node sends back (exits, monitor downs) is not examined
    switch (co_await c.read_some(buffer, deadline)) {
      case ReadStatus::Data: break;
      case ReadStatus::Timeout: co_return "open";
      default: co_return "closed";
    }
  }
}

asio::awaitable<RoundRecord> Campaign::play(PlannedRound plan) {
  RoundRecord record;
  record.plan = plan;
  auto connection = std::make_shared<FuzzConnection>(io_.get_executor());
  auto& c = *connection;
  bool refused = false;
  if (!co_await c.connect(endpoint_, Clock::now() + options_.reply_timeout, refused)) {
    record.outcome = refused ? "refused" : "connect_failed";
    record.refused = true;
    record.infrastructure = true;
    co_return record;
  }
  HandshakeIdentity id{plan.own_name,     options_.target_node, options_.cookie,
                       plan.own_creation, plan.own_challenge,   kLiveFuzzFlags};
  if (plan.phase == FuzzPhase::SendName) {
    record.input = planner_.send_name_input(plan);
    if (!co_await c.write(record.input.bytes)) record.outcome = "closed";
    // An accepted send_name is answered at once; waiting reply_timeout for it only costs time
    // when the node stays silent, which is itself worth seeing.
    else record.outcome = co_await observe_send_name(
        c, Clock::now() + (record.input.expect == Expectation::Silence ? options_.linger
                                                                       : options_.reply_timeout));
  } else {
    auto run = co_await run_handshake(c, id, plan.phase == FuzzPhase::ChallengeReply,
                                      options_.reply_timeout);
    if (plan.phase == FuzzPhase::ChallengeReply && run.at_reply) {
      record.input = planner_.challenge_reply_input(plan, run.reply);
      if (!co_await c.write(record.input.bytes)) record.outcome = "closed";
      else record.outcome = co_await observe_reply(
          c, Clock::now() + (record.input.expect == Expectation::Silence ? options_.linger
                                                                         : options_.reply_timeout));
      record.complete_handshake = record.outcome == "ack" && record.input.expect == Expectation::Accept;
    } else if (plan.phase == FuzzPhase::Connected && run.connected) {
      record.complete_handshake = true;
      const auto mode = proto::header_mode_from_flags(run.effective_flags);
      record.input = planner_.connected_input(plan, mode);
      if (record.input.expect == Expectation::Silence) {
        // The node waits for the rest of a frame: only time tells.
        if (!co_await c.write(record.input.bytes)) record.outcome = "closed";
        else record.outcome = co_await observe_connected(c, Clock::now() + options_.linger);
      } else {
        // A correct call after the mutated packets: its reply proves the node read them all and
        // kept the connection, without waiting for a close that does not come.
        auto bytes = record.input.bytes;
        const auto probe = is_auth_call(mode, id, plan.own_challenge);
        bytes.insert(bytes.end(), probe.begin(), probe.end());
        if (!co_await c.write(bytes)) {
          record.outcome = "closed";
        } else {
          switch (co_await await_is_auth_reply(c, mode, id, plan.own_challenge, std::move(run.leftover),
                                               Clock::now() + options_.reply_timeout)) {
            case ProbeResult::Yes: record.outcome = "open"; break;
            case ProbeResult::Closed: record.outcome = "closed"; break;
            case ProbeResult::Timeout: record.outcome = "silent"; break;
            case ProbeResult::Undecodable:  // something we cannot decode: watch for a close
              record.outcome = co_await observe_connected(c, Clock::now() + options_.linger);
              break;
          }
        }
      }
    } else {
      record.outcome = "handshake_failed_" + run.failure;
      record.infrastructure = true;
    }
  }
  c.close();
  co_return record;
}

nlohmann::json Campaign::base_record(const RoundRecord& record) const {
  return {{"round", record.plan.round},
          {"phase", to_string(record.plan.phase)},
          {"mutation", record.plan.mutation + (record.input.withheld ? " (withheld: valid sent)" : "")},
          {"expect", to_string(record.input.expect)},
          {"outcome", record.outcome},
          {"known_crasher", to_string(record.input.known)},
          {"seed", summary_.seed},
          {"target", options_.target_node}};
}

void Campaign::add_finding(const std::string& kind, const RoundRecord* record,
                           const std::string& detail, const nlohmann::json& suspects) {
  ++summary_.finding_counts[kind];
  // The same finding round after round: keep a few of each (kind, mutation, outcome).
  if (record && findings_saved_[kind + " " + record->plan.mutation + " " + record->outcome]++ >=
                    options_.samples_per_class)
    return;
  LiveFuzzFinding finding;
  finding.kind = kind;
  finding.detail = detail;
  nlohmann::json json = record ? base_record(*record) : nlohmann::json::object();
  json["kind"] = kind;
  json["detail"] = detail;
  if (!suspects.is_null()) json["suspects"] = suspects;
  Bytes bytes;
  if (record) {
    finding.round = record->plan.round;
    finding.mutation = record->plan.mutation;
    finding.outcome = record->outcome;
    bytes = record->input.bytes;
  } else {
    const std::string text = kind + "\n" + detail + "\n" + suspects.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    bytes.assign(text.begin(), text.end());  // the record of a death is named by its content too
  }
  finding.record_path = save_record(options_.out_dir + "/findings", bytes, json);
  summary_.findings.push_back(std::move(finding));
}

void Campaign::account(RoundRecord& record) {
  ++summary_.rounds;
  record.accounted = accounted_++;
  if (record.complete_handshake) ++summary_.complete_handshakes;
  const std::string mutation = record.plan.mutation + (record.input.withheld ? "(withheld)" : "");
  ++summary_.outcomes[mutation + " -> " + record.outcome];
  summary_.outcome_time[mutation + " -> " + record.outcome] += record.took;
  if (record.refused) wake_checker_.cancel();
  if (record.infrastructure) return;

  const auto expect = record.input.expect;
  if (record.plan.phase == FuzzPhase::ChallengeReply) {
    if (record.outcome == "ack" && expect == Expectation::Reject)
      add_finding("auth_bypass", &record, "the node sent 'a' for a challenge reply it must refuse");
    if (record.outcome == "closed" && expect == Expectation::Accept)
      add_finding("valid_reply_refused", &record, "the node closed on a correct challenge reply");
  }
  if (record.input.known != KnownCrasher::None)
    add_finding("known_crasher", &record, std::string(describe(record.input.known)));

  const bool surprise = !matches(expect, record.outcome);
  if (surprise) ++summary_.unexpected;
  const std::string sample_class = mutation + "." + record.outcome;
  if (samples_[sample_class]++ < options_.samples_per_class) {
    auto json = base_record(record);
    json["unexpected"] = surprise ? "yes" : "no";
    save_record(options_.out_dir + "/observed", record.input.bytes, json);
  }
  suspects_.push_back(std::move(record));
  if (suspects_.size() > kMaxSuspects) suspects_.pop_front();
}

asio::awaitable<void> Campaign::slot(std::size_t index) {
  while (running()) {
    auto plan = planner_.plan(next_round_++, index);
    const auto started = Clock::now();
    auto record = co_await play(std::move(plan));
    record.took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
    if (stop_) break;  // the target is gone: this round's outcome says nothing more
    account(record);
  }
  if (--active_slots_ == 0) {
    finished_ = Clock::now();
    wake_checker_.cancel();
    progress_timer_.cancel();
  }
}

asio::awaitable<bool> Campaign::check_once() {
  ++summary_.checks;
  HandshakeIdentity id{"dsfuzzcheck@" + planner_.options().own_host, options_.target_node,
                       options_.cookie, 0x5eed0004, std::uint32_t(summary_.checks * 2654435761u),
                       kLiveFuzzFlags};
  const bool ok = co_await correct_peer_check(io_.get_executor(), endpoint_, id,
                                              options_.reply_timeout);
  if (ok) ++summary_.complete_handshakes;
  co_return ok;
}

asio::awaitable<void> Campaign::give_up() {
  stop_ = true;
  // Dead or deaf? Gone from epmd or refusing connections is a death.
  std::string kind = "target_unresponsive";
  std::string detail = "a correct peer was refused " + std::to_string(kCheckAttempts) +
                       " times in a row (handshake or {is_auth, Node} failed)";
  if (!options_.target_port) {
    const auto alive = options_.target_node.substr(0, options_.target_node.find('@'));
    auto port = epmd_port_please(host_, options_.epmd_port, alive);
    if (!port) {
      kind = "target_died", detail = "epmd does not answer: " + port.error().message;
    } else if (port.value().result != 0) {
      kind = "target_died", detail = "the node is no longer registered with epmd";
    }
  }
  if (kind != "target_died") {
    auto probe = std::make_shared<FuzzConnection>(io_.get_executor());
    bool refused = false;
    if (!co_await probe->connect(endpoint_, Clock::now() + options_.reply_timeout, refused) && refused)
      kind = "target_died", detail = "connections to its port are refused";
    probe->close();
  }
  summary_.target_died = kind == "target_died";
  auto suspects = nlohmann::json::array();
  for (const auto& s : suspects_) {
    auto path = save_record(options_.out_dir + "/findings/suspects", s.input.bytes, base_record(s));
    suspects.push_back({{"round", s.plan.round},
                        {"mutation", s.plan.mutation + (s.input.withheld ? " (withheld: valid sent)" : "")},
                        {"outcome", s.outcome},
                        {"file", path}});
  }
  add_finding(kind, nullptr,
              detail + "; " + std::to_string(suspects_.size()) +
                  " rounds since the last good check are suspects",
              suspects);
  if (!summary_.findings.empty() && !suspects_.empty()) {
    summary_.findings.back().round = suspects_.back().plan.round;
    summary_.findings.back().mutation = suspects_.back().plan.mutation;
  }
}

asio::awaitable<void> Campaign::checker() {
  for (;;) {
    const bool last = active_slots_ == 0;
    if (!last) {
      boost::system::error_code ec;
      wake_checker_.expires_after(options_.check_interval);
      co_await wake_checker_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (stop_) co_return;
    // A good check clears only the rounds that had finished before it started: a round that
    // finishes during the check may have hit the node after the check's handshake.
    const std::uint64_t cleared_before = accounted_;
    bool ok = false;
    for (int attempt = 0; attempt < kCheckAttempts && !ok; ++attempt) {
      if (attempt > 0) {
        asio::steady_timer pause(io_, std::chrono::milliseconds(200));
        boost::system::error_code ec;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      ok = co_await check_once();
    }
    if (!ok) {
      co_await give_up();
      co_return;
    }
    while (!suspects_.empty() && suspects_.front().accounted < cleared_before) suspects_.pop_front();
    if (last) co_return;  // the final check after the last round
  }
}

asio::awaitable<void> Campaign::progress() {
  while (active_slots_ > 0 && !stop_) {
    boost::system::error_code ec;
    progress_timer_.expires_after(std::chrono::seconds(1));
    co_await progress_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!options_.progress || stop_ || active_slots_ == 0) continue;
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    char line[200];
    std::snprintf(line, sizeof line, "%.1f s: %llu rounds (%.0f/s), %llu complete handshakes (%.0f/s), %zu findings",
                  s, (unsigned long long)summary_.rounds, summary_.rounds / s,
                  (unsigned long long)summary_.complete_handshakes, summary_.complete_handshakes / s,
                  summary_.findings.size());
    options_.progress(line);
  }
}

LiveFuzzSummary Campaign::run() {
  summary_.seed = options_.plan.seed;
  start_ = Clock::now();
  end_ = start_ + options_.duration;
  active_slots_ = options_.concurrency;
  for (std::size_t i = 0; i < options_.concurrency; ++i)
    asio::co_spawn(io_, slot(i), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  asio::co_spawn(io_, checker(), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  asio::co_spawn(io_, progress(), [](std::exception_ptr e) { if (e) std::rethrow_exception(e); });
  io_.run();
  // The fuzzing window: from the first round to the end of the last one.
  if (finished_ == Clock::time_point{}) finished_ = Clock::now();
  summary_.seconds = std::chrono::duration<double>(finished_ - start_).count();
  if (summary_.seconds > 0) {
    summary_.rounds_per_second = summary_.rounds / summary_.seconds;
    summary_.handshakes_per_second = summary_.complete_handshakes / summary_.seconds;
  }
  for (auto k : {KnownCrasher::MalformedSendName, KnownCrasher::FragmentSequenceZero,
                 KnownCrasher::HugePacketLength})
    if (planner_.withheld(k)) summary_.withheld[std::string(to_string(k))] = planner_.withheld(k);
  summary_.atoms_spent = planner_.atoms_spent();
  summary_.seed_send_names = options_.plan.seed_send_names.size();
  return summary_;
}

}  // namespace

Result<LiveFuzzSummary, LiveFuzzError> run_live_fuzz(LiveFuzzOptions options) {
  const auto at = options.target_node.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == options.target_node.size())
    return LiveFuzzError{"invalid node name " + options.target_node};
  const std::string alive = options.target_node.substr(0, at);
  const std::string host = options.target_node.substr(at + 1);
  if (options.epmd_port == 0) options.epmd_port = epmd_port_from_environment();
  options.concurrency = std::max<std::size_t>(options.concurrency, 1);
  options.plan.target_name = options.target_node;
  options.plan.slots = options.concurrency;

  if (!options.corpus_dir.empty()) {
    std::set<std::vector<std::uint8_t>> seeds;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(options.corpus_dir, ec)) {
      if (!entry.is_regular_file(ec) || entry.file_size(ec) > kMaxCorpusFile) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
      for (auto& m : extract_send_names(bytes)) seeds.insert(std::move(m));
    }
    if (ec) return LiveFuzzError{"cannot read " + options.corpus_dir + ": " + ec.message()};
    options.plan.seed_send_names.assign(seeds.begin(), seeds.end());
  }
  std::uint16_t port = 0;
  if (options.target_port) {
    port = *options.target_port;
  } else {  // once: every round reuses the port
    auto reply = epmd_port_please(host, options.epmd_port, alive);
    if (!reply) return LiveFuzzError{reply.error().message};
    if (reply.value().result != 0)
      return LiveFuzzError{"epmd at " + host + ":" + std::to_string(options.epmd_port) +
                           " does not know " + alive};
    port = reply.value().node.port;
  }
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(tcp::v4(), host, std::to_string(port), ec);
  if (ec || endpoints.empty()) return LiveFuzzError{"cannot resolve " + host + ": " + ec.message()};
  const tcp::endpoint endpoint = *endpoints.begin();

  if (!check_correct_peer(host, port, options.target_node, "dsfuzzcheck@" + host, options.cookie,
                          options.reply_timeout))
    return LiveFuzzError{"the target does not accept a correct peer before fuzzing (wrong cookie?)"};
  std::error_code fs_ec;
  std::filesystem::create_directories(options.out_dir, fs_ec);
  if (fs_ec) return LiveFuzzError{"cannot create " + options.out_dir + ": " + fs_ec.message()};
  Campaign campaign(std::move(options), endpoint, host);
  return campaign.run();
}

}  // namespace distspec::node
