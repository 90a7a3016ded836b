// Node kinds and step actions: the two tables that say what a scenario may ask for.
//
// To add a kind: give its row a `make` function that returns a NodeDriver (the C++ `peer` is
// src/peer_node.cpp, which implements NodeDriver::peer_action), and leave `unavailable` empty. The
// loader rejects kinds whose `unavailable` is set and steps whose action the node's kind lacks
// (ping/call/send need `peer_actions`, eval/wait_until need `evaluates`), so a scenario that
// cannot run fails validation with a message instead of pretending.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "distspec/scenario/model.hpp"
#include "distspec/process/output_log.hpp"

namespace distspec::scenario {

// The runner's child processes and their output are harness/process's.
using process::Clock;
using process::OutputLog;

// What a node needs from the run to start: its full name, environment and working directory.
struct NodeLaunch {
  const NodeSpec* spec = nullptr;
  std::string full_name;      // a_x3k9@vm
  std::string host;           // the host part of full_name
  std::string working_dir;    // the app's directory for `app:` nodes, else the run's temp dir
  std::map<std::string, std::string> env;  // added to the runner's environment
  bool prevent_overlapping_partitions = false;
  std::optional<std::string> record_corpus_dir;  // peer nodes record what they see (RunContextOptions)
};

struct EvalResult {
  enum class Status { ok, timeout, node_down, unsupported } status = Status::ok;
  std::string output;  // what the node printed for it, prompts removed
};

// One running node. Launch returns at once, so a scenario's nodes start in parallel; wait_up
// then waits for each (the app's names registered, or the first answer).
class NodeDriver {
 public:
  virtual ~NodeDriver() = default;
  virtual void launch() = 0;
  // True once up; false when the node exited or the deadline passed (see running()).
  virtual bool wait_up(Clock::time_point deadline) = 0;
  virtual EvalResult eval(const std::string& expression, Clock::time_point deadline);
  // ping / call / send for peer nodes; the step's texts are already interpolated.
  virtual EvalResult peer_action(const Step& step, Clock::time_point deadline);
  virtual void stop(Clock::time_point deadline) = 0;  // orderly: end of input, then kill
  virtual void kill() = 0;                            // SIGKILL to its whole process group
  virtual bool running() = 0;
  virtual bool wait_exit(Clock::time_point deadline) = 0;  // true once the process has exited
  virtual OutputLog& output() = 0;
  virtual std::string command_line() const = 0;       // for reports (cookies redacted later)
};

struct NodeKindInfo {
  std::string_view name;
  std::string_view unavailable;  // empty when this kind can run; else the validation message
  bool evaluates;                // eval, wait_until
  bool peer_actions;             // ping, call, send
  std::unique_ptr<NodeDriver> (*make)(NodeLaunch launch);
};

std::span<const NodeKindInfo> node_kinds();
const NodeKindInfo* find_node_kind(std::string_view name);

enum class StepNeeds { nothing, evaluating_node, peer_node };

struct StepActionInfo {
  std::string_view name;
  StepNeeds needs;
  bool node_in_value;  // start/stop/kill: `start: b`; the others use `on: b`
  bool takes_expectation;
  std::string_view help;
};

std::span<const StepActionInfo> step_actions();
const StepActionInfo* find_step_action(std::string_view name);

}  // namespace distspec::scenario
