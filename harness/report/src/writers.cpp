#include "distspec/report/writers.hpp"

#include <cstdio>
#include <filesystem>

#include "distspec/report/atomic_file.hpp"
#include "distspec/report/console.hpp"

namespace distspec::report {
namespace {

using scenario::RunResult;
using scenario::ScenarioResult;
using scenario::Status;

std::string seconds(double ms) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", ms / 1000);
  return buffer;
}

std::string case_name(const ScenarioResult& r) {
  return r.repeat > 1 ? r.id + " #" + std::to_string(r.repeat) : r.id;
}

std::string class_name(const std::string& id) {
  auto slash = id.rfind('/');
  std::string dir = slash == std::string::npos ? std::string("distspec") : id.substr(0, slash);
  for (auto& c : dir)
    if (c == '/') c = '.';
  return dir;
}

// Folder of a scenario in the report dir: its id, one level per '/', plus the repetition.
std::string scenario_dir(const ScenarioResult& r) {
  std::string path = "scenarios/" + r.id;
  if (r.repeat > 1) path += "/repeat-" + std::to_string(r.repeat);
  return path;
}

double startup_total(const RunResult& run, double* scenario_total) {
  double startup = 0, total = 0;
  for (const auto& s : run.scenarios)
    for (const auto& a : s.attempts) {
      startup += a.startup_ms;
      total += a.duration_ms;
    }
  if (scenario_total) *scenario_total = total;
  return startup;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') break;  // not allowed in XML 1.0
        out += char(c);
    }
  }
  return out;
}

std::string junit_xml(const RunResult& run) {
  int failures = 0, skipped = 0;
  for (const auto& s : run.scenarios) {
    if (s.status == Status::failed || s.status == Status::flaky) ++failures;
    if (s.status == Status::skipped) ++skipped;
  }
  std::string tests = std::to_string(run.scenarios.size());
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"distspec\" tests=\"" + tests + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) +
         "\" time=\"" + seconds(run.wall_ms) + "\">\n";
  out += "  <testsuite name=\"distspec.scenarios\" tests=\"" + tests + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) +
         "\" time=\"" + seconds(run.wall_ms) + "\" timestamp=\"" + xml_escape(run.started_at) + "\">\n";
  for (const auto& s : run.scenarios) {
    out += "    <testcase classname=\"" + xml_escape(class_name(s.id)) + "\" name=\"" +
           xml_escape(case_name(s)) + "\" file=\"" + xml_escape(s.file) + "\" time=\"" +
           seconds(s.duration_ms()) + "\">\n";
    const auto* last = s.last_attempt();
    if (s.status == Status::skipped) {
      out += "      <skipped message=\"" + xml_escape(s.skip_reason) + "\"/>\n";
    } else if (s.status == Status::failed || s.status == Status::flaky) {
      const auto& failed = s.status == Status::flaky ? s.attempts.front() : *last;
      std::string first_line = failed.failure.substr(0, failed.failure.find('\n'));
      std::string type = s.status == Status::flaky ? "flaky" : scenario::level_name(s.level);
      std::string body;
      if (s.status == Status::flaky)
        body = "flaky: failed, then passed on attempt " + std::to_string(s.attempts.size()) + "\n\n";
      body += failed.failure + "\n\ntranscript:\n" + failed.transcript();
      out += "      <failure message=\"" + xml_escape(first_line) + "\" type=\"" + type + "\">" +
             xml_escape(body) + "</failure>\n";
    }
    if (last) out += "      <system-out>" + xml_escape(last->transcript()) + "</system-out>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

nlohmann::json run_json(const RunResult& run) {
  using nlohmann::json;
  auto c = run.counts();
  double scenario_ms = 0;
  double startup_ms = startup_total(run, &scenario_ms);
  json doc = {
      {"schema", "distspec-run/1"},
      {"started_at", run.started_at},
      {"wall_ms", run.wall_ms},
      {"app_build_ms", run.app_build_ms},
      {"jobs", run.jobs},
      {"epmd", {{"port", run.epmd_port}, {"own", run.own_epmd}}},
      {"interrupted_by", run.interrupted_by},
      {"summary",
       {{"passed", c.passed}, {"failed", c.failed}, {"flaky", c.flaky}, {"skipped", c.skipped},
        {"all_must_passed", run.all_must_passed()}, {"node_startup_ms", startup_ms},
        {"scenario_ms", scenario_ms}}},
      {"scenarios", json::array()},
  };
  for (const auto& s : run.scenarios) {
    json js = {{"id", s.id}, {"title", s.title}, {"file", s.file},
               {"level", scenario::level_name(s.level)}, {"tags", s.tags}, {"repeat", s.repeat},
               {"status", scenario::status_name(s.status)}, {"duration_ms", s.duration_ms()},
               {"attempts", json::array()}};
    if (s.status == Status::skipped) js["skip_reason"] = s.skip_reason;
    for (const auto& a : s.attempts) {
      json ja = {{"passed", a.passed}, {"interrupted", a.interrupted},
                 {"failed_step", a.failed_step}, {"failure", a.failure},
                 {"duration_ms", a.duration_ms}, {"startup_ms", a.startup_ms},
                 {"steps", json::array()}, {"nodes", json::array()}};
      for (const auto& st : a.steps)
        ja["steps"].push_back({{"index", st.index}, {"line", st.line}, {"action", st.action},
                               {"node", st.node}, {"input", st.input}, {"expected", st.expected},
                               {"output", st.output}, {"note", st.note}, {"passed", st.passed},
                               {"timed_out", st.timed_out}, {"message", st.message}, {"start_ms", st.start_ms},
                               {"duration_ms", st.duration_ms}});
      for (const auto& n : a.nodes)
        ja["nodes"].push_back({{"key", n.key}, {"full_name", n.full_name}, {"kind", n.kind},
                               {"command", n.command}, {"startup_ms", n.startup_ms},
                               {"log_lines", n.log.size()}});
      js["attempts"].push_back(std::move(ja));
    }
    doc["scenarios"].push_back(std::move(js));
  }
  return doc;
}

std::string timing_line(const RunResult& run) {
  double scenario_ms = 0;
  double startup_ms = startup_total(run, &scenario_ms);
  char buffer[256];
  std::snprintf(buffer, sizeof buffer,
                "wall %.2f s (-j%d): mix compile %.2f s; in scenarios %.2f s, of which node start-up "
                "%.2f s (%.0f%%) and steps %.2f s",
                run.wall_ms / 1000, run.jobs, run.app_build_ms / 1000, scenario_ms / 1000,
                startup_ms / 1000, scenario_ms > 0 ? 100 * startup_ms / scenario_ms : 0.0,
                (scenario_ms - startup_ms) / 1000);
  return buffer;
}

void write_report_dir(const RunResult& run, const std::string& dir) {
  std::string md = "# distspec run, " + run.started_at + "\n\n";
  md += "**" + summary_line(run) + "**" + (run.all_must_passed() ? "" : " (not every must passed)") + "\n\n";
  md += timing_line(run) + "\n\n";
  if (run.interrupted_by) md += "Interrupted by signal " + std::to_string(run.interrupted_by) + ".\n\n";
  md += "| scenario | level | status | time | attempts | logs |\n|---|---|---|---|---|---|\n";
  for (const auto& s : run.scenarios) {
    char time[32];
    std::snprintf(time, sizeof time, "%.2f s", s.duration_ms() / 1000);
    md += "| " + case_name(s) + " | " + scenario::level_name(s.level) + " | " +
          scenario::status_name(s.status) + " | " + time + " | " + std::to_string(s.attempts.size()) +
          " | [" + scenario_dir(s) + "](" + scenario_dir(s) + "/) |\n";
  }
  for (const auto& s : run.scenarios) {
    if (s.status != Status::failed && s.status != Status::flaky) continue;
    const auto& failed = s.status == Status::flaky ? s.attempts.front() : *s.last_attempt();
    md += "\n## " + std::string(s.status == Status::flaky ? "Flaky" : "Failed") + ": " + case_name(s) +
          "\n\n" + s.title + " (`" + s.file + "`)\n\n```\n" + failed.failure + "\n```\n\nTranscript:\n\n```\n" +
          failed.transcript() + "```\n";
  }
  for (const auto& s : run.scenarios) {
    std::string base = dir + "/" + scenario_dir(s);
    for (std::size_t i = 0; i < s.attempts.size(); ++i) {
      const auto& a = s.attempts[i];
      std::string at = s.attempts.size() > 1 ? base + "/attempt-" + std::to_string(i + 1) : base;
      std::string head = s.id + ": " + s.title + "\n" + (a.passed ? "passed" : "FAILED") + "\n\n";
      for (const auto& n : a.nodes) head += "node " + n.key + " = " + n.full_name + ": " + n.command + "\n";
      write_file_atomically(at + "/transcript.txt", head + "\n" + a.transcript());
      for (const auto& n : a.nodes) {
        std::string log;
        for (const auto& line : n.log) log += line + "\n";
        write_file_atomically(at + "/" + n.key + ".log", log);
      }
    }
  }
  write_file_atomically(dir + "/report.md", md);
}

}  // namespace distspec::report
