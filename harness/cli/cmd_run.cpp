// distspec run: runs scenario files against real nodes and writes the reports.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "command.hpp"
#include "distspec/report/atomic_file.hpp"
#include "distspec/report/console.hpp"
#include "distspec/report/writers.hpp"
#include "distspec/process/child_process.hpp"
#include "distspec/scenario/suite.hpp"

namespace distspec::cli {
namespace {

namespace sc = distspec::scenario;

// After SIGINT/SIGTERM the run gets this long to stop and write its reports.
constexpr std::chrono::seconds kInterruptGrace{10};

constexpr const char* kUsage =
    "usage: distspec run [PATH...] [options]\n"
    "  PATH              scenario files or folders (default: ./scenarios)\n"
    "  -j N, --jobs N    run N scenarios at a time (default 1)\n"
    "  --filter GLOB     only scenarios whose id matches GLOB (e.g. 'tutorial/*')\n"
    "  --tag T           only scenarios tagged T (repeatable: any of them)\n"
    "  --list            list the chosen scenarios (after checking them) and exit\n"
    "  --junit FILE      write JUnit XML\n"
    "  --json FILE       write the JSON report (schema in scenarios/README.md)\n"
    "  --report DIR      write report.md and every scenario's node logs and transcript\n"
    "  --repeat N        run every scenario N times (flake hunting)\n"
    "  --retries N       rerun a failing scenario up to N times; passing late is 'flaky'\n"
    "  --shard I/N       run only shard I of N (1 <= I <= N), split by id\n"
    "  --epmd-port P     use the epmd on port P (e.g. 4369) instead of a private one\n"
    "  --record-corpus DIR\n"
    "                    peer nodes write every handshake message and term they see into\n"
    "                    DIR/handshake/ and DIR/term/ (content-hash named fuzz seeds)\n"
    "exit status: 0 every `must` scenario passed, 1 one did not, 2 usage or scenario errors,\n"
    "128+signal when interrupted\n";

struct Options {
  std::vector<std::string> paths;
  sc::Selection selection;
  sc::SuiteOptions suite;
  bool list = false;
  std::string junit, json, report_dir;
};

bool parse_int(std::string_view text, int& out, int min) {
  try {
    std::size_t used = 0;
    int v = std::stoi(std::string(text), &used);
    if (used != text.size() || v < min) return false;
    out = v;
    return true;
  } catch (...) {
    return false;
  }
}

// Returns an error message, or "" when the arguments are good.
std::string parse(std::span<const std::string_view> args, Options& o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    auto value = [&](std::string_view& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string_view v;
    if (a == "--list") {
      o.list = true;
    } else if (a.rfind("-j", 0) == 0 && a.size() > 2 && a != "-j") {
      if (!parse_int(a.substr(2), o.suite.jobs, 1)) return "-j: expected a number >= 1";
    } else if (a == "-j" || a == "--jobs") {
      if (!value(v) || !parse_int(v, o.suite.jobs, 1)) return "-j: expected a number >= 1";
    } else if (a == "--filter") {
      if (!value(v)) return "--filter: expected a glob";
      o.selection.filter = v;
    } else if (a == "--tag") {
      if (!value(v)) return "--tag: expected a tag";
      o.selection.tags.emplace_back(v);
    } else if (a == "--junit" || a == "--json" || a == "--report") {
      if (!value(v)) return std::string(a) + ": expected a path";
      (a == "--junit" ? o.junit : a == "--json" ? o.json : o.report_dir) = v;
    } else if (a == "--repeat") {
      if (!value(v) || !parse_int(v, o.suite.repeat, 1)) return "--repeat: expected a number >= 1";
    } else if (a == "--retries") {
      if (!value(v) || !parse_int(v, o.suite.retries, 0)) return "--retries: expected a number >= 0";
    } else if (a == "--shard") {
      auto slash = value(v) ? v.find('/') : std::string_view::npos;
      if (slash == std::string_view::npos || !parse_int(v.substr(0, slash), o.selection.shard_index, 1) ||
          !parse_int(v.substr(slash + 1), o.selection.shard_count, 1) ||
          o.selection.shard_index > o.selection.shard_count)
        return "--shard: expected I/N with 1 <= I <= N";
    } else if (a == "--epmd-port") {
      int port = 0;
      if (!value(v) || !parse_int(v, port, 1) || port > 65535) return "--epmd-port: expected a port";
      o.suite.epmd_port = port;
    } else if (a == "--record-corpus") {
      if (!value(v) || v.empty()) return "--record-corpus: expected a directory";
      o.suite.record_corpus_dir = std::string(v);
    } else if (!a.empty() && a[0] == '-') {
      return "unknown option " + std::string(a);
    } else {
      o.paths.emplace_back(a);
    }
  }
  if (o.paths.empty()) {
    if (!std::filesystem::is_directory("scenarios")) return "no PATH given and no ./scenarios folder";
    o.paths.push_back("scenarios");
  }
  return {};
}

void write_reports(const sc::RunResult& run, const Options& o) {
  if (!o.junit.empty()) report::write_file_atomically(o.junit, report::junit_xml(run));
  if (!o.json.empty()) report::write_file_atomically(o.json, report::run_json(run).dump(2) + "\n");
  if (!o.report_dir.empty()) report::write_report_dir(run, o.report_dir);
}

int run_command(std::span<const std::string_view> args) {
  for (auto a : args)
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
  Options o;
  if (auto error = parse(args, o); !error.empty()) {
    std::fprintf(stderr, "distspec run: %s\n%s", error.c_str(), kUsage);
    return kExitUsage;
  }
  auto found = sc::discover(o.paths);
  if (!found.errors.empty()) {
    for (const auto& e : found.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    std::fprintf(stderr, "distspec run: %zu error(s) in scenario files; nothing was started\n",
                 found.errors.size());
    return kExitUsage;
  }
  auto chosen = sc::select(found.scenarios, o.selection);
  if (o.list) {
    for (const auto* s : chosen) {
      std::string tags;
      for (const auto& t : s->tags) tags += (tags.empty() ? "" : ",") + t;
      std::printf("%-56s %-6s %s%s\n", s->id.c_str(), sc::level_name(s->level), tags.c_str(),
                  s->skip ? "  (skipped)" : "");
    }
    std::printf("%zu scenario(s)\n", chosen.size());
    return kExitOk;
  }
  if (chosen.empty()) {
    std::fprintf(stderr, "distspec run: no scenario matches\n");
    return kExitUsage;
  }

  process::install_interrupt_handlers();
  std::atomic<bool> finished{false};
  std::thread watchdog([&] {  // a run that does not wind down after a signal is cut short
    while (!finished && !process::interrupt_signal()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (finished) return;
    auto until = std::chrono::steady_clock::now() + kInterruptGrace;
    while (!finished && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (finished) return;
    process::kill_all_process_groups();
    _exit(128 + process::interrupt_signal());
  });
  const bool colour = ::isatty(STDOUT_FILENO);
  int exit_code = kExitFailure;
  try {
    auto run = sc::run_suite(chosen, o.suite, [&](const sc::ScenarioResult& r, int done, int total) {
      std::fputs(report::progress_line(r, done, total, colour).c_str(), stdout);
      std::fflush(stdout);
    });
    write_reports(run, o);
    std::printf("%s\n%s\n", report::summary_line(run).c_str(), report::timing_line(run).c_str());
    if (!o.report_dir.empty()) std::printf("report: %s/report.md\n", o.report_dir.c_str());
    if (run.interrupted_by) {
      std::printf("interrupted by signal %d\n", run.interrupted_by);
      exit_code = 128 + run.interrupted_by;
    } else {
      exit_code = run.all_must_passed() ? kExitOk : kExitFailure;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "distspec run: %s\n", e.what());
    exit_code = process::interrupt_signal() ? 128 + process::interrupt_signal() : kExitFailure;
  }
  finished = true;
  watchdog.join();
  return exit_code;
}

const CommandRegistration kRegistration{
    {"run", "run scenario files against real iex/erl nodes and write reports", &run_command}};

}  // namespace
}  // namespace distspec::cli
