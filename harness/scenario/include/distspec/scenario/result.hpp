// The runner's result model: what happened in a run, read by the report writers.
//
// Every text here is already redacted: no cookie of the run or of a scenario appears in it.
#pragma once

#include <string>
#include <vector>

#include "distspec/scenario/model.hpp"

namespace distspec::scenario {

struct StepResult {
  int index = 0;       // 1-based, as in the file
  int line = 0;        // where the step is in its file
  std::string action;  // eval, log, ...
  std::string node;    // the node key ("" for sleep)
  std::string input;   // the interpolated expression / line / node
  std::string expected;  // a description of what was expected ("" when nothing)
  std::string output;    // what the node printed for it
  std::string note;
  bool passed = false;
  bool timed_out = false;
  std::string message;  // why it failed
  double start_ms = 0;  // since the attempt started
  double duration_ms = 0;
};

struct NodeRecord {
  std::string key;
  std::string full_name;
  std::string kind;
  std::string command;  // the command line that started it (cookies redacted)
  double startup_ms = -1;  // launch to up; -1 when it never came up
  std::vector<std::string> log;  // everything it printed, "+12.345s " prefixed
};

struct AttemptResult {
  bool passed = false;
  bool interrupted = false;
  int failed_step = 0;  // 0: failed before the steps (a node did not come up) or passed
  std::string failure;  // the message, with the last lines of every node on a timeout
  double duration_ms = 0;
  double startup_ms = 0;  // time spent starting nodes (initial start-up and start steps)
  std::vector<StepResult> steps;
  std::vector<NodeRecord> nodes;
  std::string transcript() const;  // the steps with inputs and outputs, as text
};

enum class Status { passed, failed, flaky, skipped };
const char* status_name(Status status);

struct ScenarioResult {
  std::string id;
  std::string title;
  std::string file;
  Level level = Level::must;
  std::vector<std::string> tags;
  int repeat = 1;  // which repetition (--repeat), 1-based
  Status status = Status::skipped;
  std::string skip_reason;
  std::vector<AttemptResult> attempts;  // more than one with --retries
  double duration_ms() const;
  const AttemptResult* last_attempt() const { return attempts.empty() ? nullptr : &attempts.back(); }
};

struct RunResult {
  std::string started_at;  // ISO 8601, UTC
  double wall_ms = 0;
  double app_build_ms = 0;  // compiling the mix projects once
  int jobs = 1;
  int epmd_port = 0;
  bool own_epmd = true;
  int interrupted_by = 0;  // the signal, or 0
  std::vector<ScenarioResult> scenarios;

  struct Counts {
    int passed = 0, failed = 0, flaky = 0, skipped = 0;
  };
  Counts counts() const;
  bool all_must_passed() const;  // the exit status: 0 only when this holds
};

}  // namespace distspec::scenario
