// Suites: finding scenario files, choosing which run (filter, tag, shard), and running them on
// N worker threads with repeats and retries.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "distspec/scenario/load.hpp"
#include "distspec/scenario/result.hpp"

namespace distspec::scenario {

struct Discovered {
  std::vector<Scenario> scenarios;  // sorted by id
  std::vector<Diagnostic> errors;   // every file's errors, and duplicate ids
};

// Files (any extension) and directories (their *.yaml / *.yml, recursively, but not apps/).
Discovered discover(const std::vector<std::string>& paths);

struct Selection {
  std::string filter;             // a glob on the id ("" = all)
  std::vector<std::string> tags;  // any of these ("" = all)
  int shard_index = 1;            // 1..shard_count
  int shard_count = 1;
};

// Deterministic: a scenario's shard depends only on its id (FNV-1a), so adding a scenario
// moves no other one.
int shard_of(const std::string& id, int shard_count);  // 1..shard_count
std::vector<const Scenario*> select(const std::vector<Scenario>& all, const Selection& selection);

struct SuiteOptions {
  int jobs = 1;
  int repeat = 1;
  int retries = 0;
  std::optional<int> epmd_port;
  std::optional<std::string> record_corpus_dir;  // see RunContextOptions
};

// Runs the scenarios; `on_done` is called (serialised) as each one ends. Throws
// std::runtime_error when the run cannot be set up (epmd, mix compile).
RunResult run_suite(const std::vector<const Scenario*>& scenarios, const SuiteOptions& options,
                    const std::function<void(const ScenarioResult&, int done, int total)>& on_done);

}  // namespace distspec::scenario
