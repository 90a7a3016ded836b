#include "distspec/scenario/result.hpp"

#include <cstdio>

namespace distspec::scenario {

const char* status_name(Status status) {
  switch (status) {
    case Status::passed: return "passed";
    case Status::failed: return "failed";
    case Status::flaky: return "flaky";
    case Status::skipped: return "skipped";
  }
  return "?";
}

std::string AttemptResult::transcript() const {
  std::string out;
  char head[64];
  for (const auto& step : steps) {
    std::snprintf(head, sizeof head, "[%8.1f ms] #%d ", step.start_ms, step.index);
    out += head + step.action + (step.node.empty() ? "" : " on " + step.node);
    if (!step.note.empty()) out += "  (" + step.note + ")";
    out += "\n";
    if (!step.input.empty()) out += "    > " + step.input + "\n";
    if (!step.output.empty()) {
      std::string indented = "    < ";
      for (char c : step.output) indented += c == '\n' ? std::string("\n    < ") : std::string(1, c);
      out += indented + "\n";
    }
    if (!step.expected.empty()) out += "    expected " + step.expected + "\n";
    std::snprintf(head, sizeof head, "%.1f ms", step.duration_ms);
    out += std::string("    ") + (step.passed ? "ok" : "FAILED") + " (" + head + ")" +
           (step.message.empty() ? "" : ": " + step.message) + "\n";
  }
  if (!failure.empty()) out += "failure: " + failure + "\n";
  return out;
}

double ScenarioResult::duration_ms() const {
  double total = 0;
  for (const auto& a : attempts) total += a.duration_ms;
  return total;
}

RunResult::Counts RunResult::counts() const {
  Counts c;
  for (const auto& s : scenarios) {
    switch (s.status) {
      case Status::passed: ++c.passed; break;
      case Status::failed: ++c.failed; break;
      case Status::flaky: ++c.flaky; break;
      case Status::skipped: ++c.skipped; break;
    }
  }
  return c;
}

bool RunResult::all_must_passed() const {
  if (interrupted_by) return false;
  for (const auto& s : scenarios)
    if (s.level == Level::must && s.status != Status::passed && s.status != Status::skipped)
      return false;
  return true;
}

}  // namespace distspec::scenario
