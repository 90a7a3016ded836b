#include "distspec/scenario/execute.hpp"

#include <cstdio>
#include <regex>
#include <thread>

#include "distspec/etf/text.hpp"
#include "distspec/scenario/interpolate.hpp"
#include "distspec/scenario/node_kind.hpp"
#include "distspec/process/child_process.hpp"

namespace distspec::scenario {
namespace {

// Lines of each node shown when a step times out or a node does not come up.
constexpr std::size_t kTailLines = 12;
constexpr std::chrono::milliseconds kWaitUntilPause{50};

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// What a peer step does, in Elixir words, for reports.
std::string describe_peer_step(const Step& step) {
  if (step.action == "ping") return ":net_adm.ping(:'" + step.text + "')";
  std::string to = step.peer_pid.empty() ? "{" + step.peer_name + ", :'" + step.peer_node + "'}"
                                         : step.peer_pid;
  if (step.action == "call")
    return "GenServer.call(" + to + ", " + step.text + ", " +
           std::to_string(step.call_timeout.count()) + ")  # Erlang term text";
  return "send(" + to + ", " + step.text + ")  # Erlang term text";
}

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& scenario, RunContext& context)
      : scenario_(scenario), context_(context), t0_(Clock::now()),
        deadline_(t0_ + scenario.timeout) {
    std::string suffix = context_.next_suffix();
    for (const auto& [key, spec] : scenario_.nodes) {
      std::string host = spec.names == NameKind::long_names ? "127.0.0.1" : context_.host();
      full_names_[key] = spec.base_name + "_" + suffix + "@" + host;
    }
  }

  ~ScenarioRun() { stop_all(); }

  AttemptResult run() {
    try {
      if (start_initial_nodes()) run_steps();
    } catch (const std::exception& e) {
      fail(0, std::string("runner error: ") + e.what());
    }
    stop_all();
    result_.passed = result_.failure.empty();
    result_.duration_ms = ms_between(t0_, Clock::now());
    collect_node_records();
    return std::move(result_);
  }

 private:
  std::string expand(const std::string& text) const {
    return interpolate(text, [this](const std::string& name) -> std::optional<std::string> {
      if (name == "host") return context_.host();
      auto it = full_names_.find(name);
      if (it == full_names_.end()) return std::nullopt;
      return it->second;
    });
  }

  void fail(int step_index, std::string message) {
    if (!result_.failure.empty()) return;
    if (int sig = process::interrupt_signal()) {
      result_.interrupted = true;
      message = "interrupted by signal " + std::to_string(sig) + " (" + message + ")";
    }
    result_.failed_step = step_index;
    result_.failure = context_.redact(message);
  }

  std::string node_tails() const {
    std::string out;
    for (const auto& [key, _] : scenario_.nodes) {
      out += "\n--- last lines of " + key + " (" + full_names_.at(key) + "):";
      auto it = drivers_.find(key);
      if (it == drivers_.end()) {
        out += " (not started)";
        continue;
      }
      for (const auto& line : it->second->output().last(kTailLines)) out += "\n  " + line;
    }
    return out;
  }

  NodeDriver& launch(const std::string& key) {
    const NodeSpec& spec = scenario_.nodes.at(key);
    NodeLaunch launch;
    launch.spec = &spec;
    launch.full_name = full_names_.at(key);
    launch.host = launch.full_name.substr(launch.full_name.find('@') + 1);
    launch.working_dir = spec.app ? spec.app_dir : context_.temp_dir();
    launch.env = context_.node_env(spec);
    launch.prevent_overlapping_partitions = scenario_.prevent_overlapping_partitions;
    launch.record_corpus_dir = context_.record_corpus_dir();
    auto& slot = drivers_[key];
    if (slot) retired_.push_back({key, std::move(slot)});
    slot = find_node_kind(spec.kind)->make(std::move(launch));
    launched_at_[key] = Clock::now();
    log_cursor_[key] = 0;
    slot->launch();
    return *slot;
  }

  bool wait_up(const std::string& key, Clock::time_point deadline) {
    bool up = drivers_.at(key)->wait_up(deadline);
    auto took = ms_between(launched_at_[key], Clock::now());
    if (up) up_ms_[key] = took;
    return up;
  }

  bool start_initial_nodes() {
    auto started = Clock::now();
    std::vector<std::string> keys;
    for (const auto& [key, spec] : scenario_.nodes)
      if (!spec.start_later) {
        launch(key);  // all launched before any is waited for: they start in parallel
        keys.push_back(key);
      }
    bool ok = true;
    for (const auto& key : keys)
      if (!wait_up(key, deadline_)) {
        fail(0, "node " + key + " (" + full_names_[key] + ") did not come up" +
                    (drivers_[key]->running() ? " before the scenario timeout" : ": it exited") +
                    node_tails());
        ok = false;
        break;
      }
    result_.startup_ms += ms_between(started, Clock::now());
    return ok;
  }

  void run_steps() {
    int index = 0;
    for (const auto& step : scenario_.steps) {
      ++index;
      StepResult record;
      record.index = index;
      record.line = step.mark.line;
      record.action = step.action;
      record.node = step.node;
      record.note = step.note;
      auto started = Clock::now();
      record.start_ms = ms_between(t0_, started);
      auto timeout = step.timeout.value_or(kDefaultStepTimeout);
      bool capped = started + timeout > deadline_;
      auto deadline = capped ? deadline_ : started + timeout;
      if (process::interrupt_signal()) {
        record.message = "interrupted";
      } else {
        run_step(step, deadline, record);
      }
      record.duration_ms = ms_between(started, Clock::now());
      if (!record.passed && record.timed_out) {
        record.message = "step " + std::to_string(index) + " (" + step.action +
                         (step.node.empty() ? "" : " on " + step.node) + ") timed out after " +
                         std::to_string(capped ? scenario_.timeout.count() : timeout.count()) +
                         " ms" + (capped ? " (the scenario's timeout)" : "") + ": " + record.message +
                         node_tails();
      }
      record.input = context_.redact(record.input);
      record.output = context_.redact(record.output);
      record.expected = context_.redact(record.expected);
      record.message = context_.redact(record.message);
      record.note = context_.redact(record.note);
      bool passed = record.passed;
      std::string message = record.message;
      result_.steps.push_back(std::move(record));
      if (!passed) {
        fail(index, "step " + std::to_string(index) + " (" + step.action +
                        (step.node.empty() ? "" : " on " + step.node) + ", line " +
                        std::to_string(step.mark.line) + ") failed: " + message);
        return;
      }
    }
  }

  void run_step(const Step& step, Clock::time_point deadline, StepResult& record) {
    const std::string& a = step.action;
    if (a == "sleep") {
      record.input = std::to_string(step.sleep.count()) + " ms";
      auto until = std::min(deadline, Clock::now() + step.sleep);
      while (Clock::now() < until && !process::interrupt_signal())  // a signal cuts a sleep short
        std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(), kWaitUntilPause));
      record.passed = !process::interrupt_signal();
      if (!record.passed) record.message = "interrupted";
      return;
    }
    if (a == "start") return start_step(step, deadline, record);
    record.input = a == "stop" || a == "kill" ? full_names_.at(step.node) : expand(step.text);
    auto found = drivers_.find(step.node);
    if (found == drivers_.end()) {
      record.message = "node " + step.node + " is not started (start: later needs a start step)";
      return;
    }
    NodeDriver& node = *found->second;
    if (a == "stop" || a == "kill") {
      a == "stop" ? node.stop(deadline) : node.kill();
      record.passed = true;
    } else if (a == "log") {
      log_step(step.node, node, record.input, deadline, record);
    } else if (a == "eval") {
      auto r = node.eval(record.input, deadline);
      judge(step, r, record);
    } else if (a == "wait_until") {
      wait_until_step(step, node, deadline, record);
    } else {  // ping, call, send: the peer actions
      Step expanded = step;
      expanded.text = record.input;
      expanded.peer_node = expand(step.peer_node);
      expanded.peer_pid = expand(step.peer_pid);
      record.input = describe_peer_step(expanded);
      auto r = node.peer_action(expanded, deadline);
      judge(step, r, record);
    }
  }

  void judge(const Step& step, const EvalResult& r, StepResult& record) {
    record.output = r.output;
    if (r.status == EvalResult::Status::timeout) {
      record.timed_out = true;
      record.message = "timed out waiting for the result";
    } else if (r.status == EvalResult::Status::node_down) {
      record.message = "the node went down";
    } else if (r.status == EvalResult::Status::unsupported) {
      record.message = r.output;
    } else if (!step.has_expectation()) {
      record.passed = true;
    } else {
      Step expanded = expanded_expectations(step);
      record.passed = output_matches(expanded, r.output, &record.expected);
      if (!record.passed) record.message = "expected " + record.expected + ", got: " + r.output;
    }
  }

  Step expanded_expectations(const Step& step) const {
    Step out = step;
    // A call's reply is printed by etf::format; an expected term is compared in that form too,
    // so `{ok, 1}` matches `{ok,1}`. Texts that are no term (`** (exit) ...`) stay as written.
    auto canonical = [&](const std::string& text) {
      if (step.action != "call") return text;
      auto term = etf::parse(text);
      return term ? etf::format(term.value()) : text;
    };
    if (out.expect) out.expect = canonical(expand(*out.expect));
    for (auto& e : out.expect_any) e = canonical(expand(e));
    if (out.expect_match) out.expect_match = expand(*out.expect_match);
    return out;
  }

  void wait_until_step(const Step& step, NodeDriver& node, Clock::time_point deadline,
                       StepResult& record) {
    Step expanded = expanded_expectations(step);
    int tries = 0;
    for (;;) {
      ++tries;
      auto r = node.eval(record.input, deadline);
      record.output = r.output;
      if (r.status != EvalResult::Status::ok) return judge(step, r, record);
      if (output_matches(expanded, r.output, &record.expected)) {
        record.passed = true;
        record.note += (record.note.empty() ? "" : "; ") + std::to_string(tries) + " tries";
        return;
      }
      if (Clock::now() + kWaitUntilPause >= deadline) {
        record.timed_out = true;
        record.message = "timed out after " + std::to_string(tries) + " tries; expected " +
                         record.expected + ", last result: " + r.output;
        return;
      }
      std::this_thread::sleep_for(kWaitUntilPause);
    }
  }

  void log_step(const std::string& key, NodeDriver& node, const std::string& line,
                Clock::time_point deadline, StepResult& record) {
    record.expected = "a line containing: " + line;
    auto at = node.output().wait_for(log_cursor_[key], deadline, [&](const std::string& text) {
      return text.find(line) != std::string::npos;
    });
    if (!at) {
      record.timed_out = !node.output().closed();
      record.message = node.output().closed() ? "the node exited without printing the line"
                                              : "timed out waiting for the line";
      return;
    }
    record.output = node.output().lines()[*at].text;
    log_cursor_[key] = *at + 1;
    record.passed = true;
  }

  void start_step(const Step& step, Clock::time_point deadline, StepResult& record) {
    record.input = full_names_.at(step.node);
    record.expected = step.expect_failure ? "the node fails to start" : "the node comes up";
    if (auto it = drivers_.find(step.node); it != drivers_.end() && it->second->running()) {
      record.message = "node " + step.node + " is already running";
      return;
    }
    auto started = Clock::now();
    auto& node = launch(step.node);
    bool up = wait_up(step.node, deadline);
    result_.startup_ms += ms_between(started, Clock::now());
    bool timed_out = !up && !node.wait_exit(deadline);
    record.timed_out = timed_out;
    if (step.expect_failure) {
      record.passed = !up && !timed_out;
      if (up) record.message = "the node came up, but it should have failed to start";
      if (timed_out) record.message = "timed out: the node neither came up nor exited";
    } else {
      record.passed = up;
      if (!up) record.message = timed_out ? "timed out: the node did not come up"
                                          : "the node exited before it was up";
    }
    auto tail = node.output().last(kTailLines);
    for (const auto& l : tail) record.output += (record.output.empty() ? "" : "\n") + l;
    if (record.passed) record.output.clear();  // its lines are in the node log
  }

  void stop_all() {
    for (auto& [_, driver] : drivers_)
      if (driver) driver->kill();
    for (auto& [_, driver] : retired_) driver->kill();
  }

  void collect_node_records() {
    auto add = [&](const std::string& key, NodeDriver& driver) {
      NodeRecord rec;
      rec.key = key;
      rec.full_name = full_names_.at(key);
      rec.kind = scenario_.nodes.at(key).kind;
      rec.command = context_.redact(driver.command_line());
      auto up = up_ms_.find(key);
      rec.startup_ms = up == up_ms_.end() ? -1 : up->second;
      char stamp[32];
      for (const auto& line : driver.output().lines()) {
        std::snprintf(stamp, sizeof stamp, "+%.3fs ", ms_between(t0_, line.at) / 1000);
        rec.log.push_back(stamp + context_.redact(line.text));
      }
      result_.nodes.push_back(std::move(rec));
    };
    int run = 0;
    for (auto& [key, driver] : retired_) {  // earlier runs of a restarted node (or name)
      add(key, *driver);
      result_.nodes.back().key = key + ".run" + std::to_string(++run);
    }
    for (auto& [key, driver] : drivers_) add(key, *driver);
  }

  const Scenario& scenario_;
  RunContext& context_;
  Clock::time_point t0_;
  Clock::time_point deadline_;
  std::map<std::string, std::string> full_names_;
  std::map<std::string, std::unique_ptr<NodeDriver>> drivers_;
  std::vector<std::pair<std::string, std::unique_ptr<NodeDriver>>> retired_;
  std::map<std::string, Clock::time_point> launched_at_;
  std::map<std::string, double> up_ms_;
  std::map<std::string, std::size_t> log_cursor_;
  AttemptResult result_;
};

}  // namespace

bool output_matches(const Step& step, const std::string& output, std::string* expected_text) {
  const std::string got = trim(output);
  if (step.expect) {
    if (expected_text) *expected_text = "'" + *step.expect + "'";
    return got == trim(*step.expect);
  }
  if (!step.expect_any.empty()) {
    std::string text = "one of [";
    bool any = false;
    for (const auto& e : step.expect_any) {
      text += (text.size() > 8 ? ", '" : "'") + e + "'";
      any = any || got == trim(e);
    }
    if (expected_text) *expected_text = text + "]";
    return any;
  }
  if (step.expect_match) {
    if (expected_text) *expected_text = "a match for /" + *step.expect_match + "/";
    return std::regex_search(got, std::regex(*step.expect_match));
  }
  return true;
}

AttemptResult run_scenario(const Scenario& scenario, RunContext& context) {
  context.add_secrets(scenario);
  return ScenarioRun(scenario, context).run();
}

}  // namespace distspec::scenario
