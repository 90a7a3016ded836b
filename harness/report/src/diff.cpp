#include "distspec/report/diff.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace distspec::report {
namespace {

struct Summary {
  std::string status;  // passed, failed, flaky, skipped: the worst over repetitions
  double duration_ms = 0;
  int runs = 0;
};

int rank(const std::string& status) {
  if (status == "failed") return 3;
  if (status == "flaky") return 2;
  if (status == "passed") return 1;
  return 0;  // skipped
}

std::map<std::string, Summary> summarise(const nlohmann::json& run, const char* which) {
  if (!run.is_object() || run.value("schema", "") != "distspec-run/1" || !run.contains("scenarios"))
    throw std::runtime_error(std::string(which) + " is not a distspec run report (schema distspec-run/1)");
  std::map<std::string, Summary> out;
  for (const auto& s : run.at("scenarios")) {
    auto& sum = out[s.at("id").get<std::string>()];
    std::string status = s.at("status").get<std::string>();
    if (rank(status) > rank(sum.status) || sum.runs == 0) sum.status = status;
    if (status != "skipped") sum.duration_ms += s.value("duration_ms", 0.0);
    ++sum.runs;
  }
  for (auto& [_, sum] : out) sum.duration_ms /= std::max(1, sum.runs);
  return out;
}

void section(std::string& out, const char* title, const std::vector<std::string>& items) {
  if (items.empty()) return;
  out += std::string(title) + " (" + std::to_string(items.size()) + "):\n";
  for (const auto& item : items) out += "  " + item + "\n";
}

}  // namespace

RunDiff diff_runs(const nlohmann::json& old_run, const nlohmann::json& new_run) {
  auto before = summarise(old_run, "the old report");
  auto after = summarise(new_run, "the new report");
  RunDiff d;
  for (const auto& [id, now] : after) {
    auto it = before.find(id);
    if (it == before.end()) {
      d.added.push_back(id + " (" + now.status + ")");
      if (now.status == "failed") d.newly_failing.push_back(id + " (new, failed)");
      continue;
    }
    const auto& was = it->second;
    if (now.status == "failed" && was.status != "failed") d.newly_failing.push_back(id + " (" + was.status + " -> failed)");
    else if (now.status == "flaky" && was.status == "passed") d.newly_flaky.push_back(id);
    else if (now.status == "passed" && (was.status == "failed" || was.status == "flaky")) d.fixed.push_back(id + " (" + was.status + " -> passed)");
    else if (now.status == "failed") d.still_failing.push_back(id);
    if (was.status == "skipped" || now.status == "skipped" || was.duration_ms <= 0) continue;
    double change = now.duration_ms - was.duration_ms;
    if (std::fabs(change) >= kTimingMinMs && std::fabs(change) >= kTimingMinFraction * was.duration_ms) {
      char line[256];
      std::snprintf(line, sizeof line, "%s: %.2f s -> %.2f s (%+.0f%%)", id.c_str(),
                    was.duration_ms / 1000, now.duration_ms / 1000, 100 * change / was.duration_ms);
      d.timing.push_back(line);
    }
  }
  for (const auto& [id, was] : before)
    if (!after.count(id)) d.removed.push_back(id + " (was " + was.status + ")");
  return d;
}

std::string RunDiff::to_text() const {
  std::string out;
  section(out, "newly failing", newly_failing);
  section(out, "newly flaky", newly_flaky);
  section(out, "fixed", fixed);
  section(out, "still failing", still_failing);
  section(out, "added", added);
  section(out, "removed", removed);
  section(out, "timing changes", timing);
  if (out.empty()) out = "no changes\n";
  out += regressed() ? "regressed\n" : "no regression\n";
  return out;
}

}  // namespace distspec::report
