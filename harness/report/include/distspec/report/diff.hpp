// Comparing two runs' JSON reports: what newly fails, what was fixed, what turned flaky, and
// which scenarios got markedly slower or faster.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace distspec::report {

struct RunDiff {
  std::vector<std::string> newly_failing;  // passed (or new) before, failed now
  std::vector<std::string> newly_flaky;    // passed before, flaky now
  std::vector<std::string> fixed;          // failed or flaky before, passed now
  std::vector<std::string> still_failing;
  std::vector<std::string> added, removed;
  std::vector<std::string> timing;  // "id: 1.20 s -> 2.50 s (+108%)"
  bool regressed() const { return !newly_failing.empty() || !newly_flaky.empty(); }
  std::string to_text() const;
};

// Timing changes are listed when a scenario's time changes by at least this fraction and
// at least kTimingMinMs (smaller swings are noise on a shared machine).
inline constexpr double kTimingMinFraction = 0.25;
inline constexpr double kTimingMinMs = 200;

// Throws std::runtime_error when a document is not a distspec-run/1 report.
RunDiff diff_runs(const nlohmann::json& old_run, const nlohmann::json& new_run);

}  // namespace distspec::report
