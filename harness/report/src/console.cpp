#include "distspec/report/console.hpp"

namespace distspec::report {
namespace {

constexpr std::size_t kFailureLinesShown = 24;

const char* colour_of(scenario::Status status) {
  switch (status) {
    case scenario::Status::passed: return "\033[32m";
    case scenario::Status::failed: return "\033[31m";
    case scenario::Status::flaky: return "\033[33m";
    case scenario::Status::skipped: return "\033[90m";
  }
  return "";
}

const char* word_of(scenario::Status status) {
  switch (status) {
    case scenario::Status::passed: return "PASS ";
    case scenario::Status::failed: return "FAIL ";
    case scenario::Status::flaky: return "FLAKY";
    case scenario::Status::skipped: return "SKIP ";
  }
  return "?";
}

}  // namespace

std::string progress_line(const scenario::ScenarioResult& r, int done, int total, bool colour) {
  char head[64];
  int width = int(std::to_string(total).size());
  std::snprintf(head, sizeof head, "[%*d/%d] ", width, done, total);
  std::string line = head;
  line += colour ? std::string(colour_of(r.status)) + word_of(r.status) + "\033[0m" : word_of(r.status);
  line += " " + r.id;
  if (r.repeat > 1) line += " #" + std::to_string(r.repeat);
  if (r.status == scenario::Status::skipped) return line + "  (" + r.skip_reason + ")\n";
  char time[48];
  std::snprintf(time, sizeof time, "  (%.2f s", r.duration_ms() / 1000);
  line += time;
  if (r.attempts.size() > 1) line += ", " + std::to_string(r.attempts.size()) + " attempts";
  if (r.level != scenario::Level::must) line += std::string(", ") + scenario::level_name(r.level);
  line += ")\n";
  const auto* last = r.last_attempt();
  const auto* failed = r.status == scenario::Status::flaky ? &r.attempts.front() : last;
  if (failed && !failed->passed) {
    std::size_t shown = 0, start = 0;
    const std::string& text = failed->failure;
    while (start < text.size() && shown < kFailureLinesShown) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      line += "        " + text.substr(start, end - start) + "\n";
      start = end + 1;
      ++shown;
    }
  }
  return line;
}

std::string summary_line(const scenario::RunResult& run) {
  auto c = run.counts();
  std::string line = std::to_string(c.passed) + " passed, " + std::to_string(c.failed) + " failed";
  if (c.flaky) line += ", " + std::to_string(c.flaky) + " flaky";
  if (c.skipped) line += ", " + std::to_string(c.skipped) + " skipped";
  return line;
}

}  // namespace distspec::report
