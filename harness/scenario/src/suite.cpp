#include "distspec/scenario/suite.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "distspec/scenario/execute.hpp"
#include "distspec/process/child_process.hpp"
#include "distspec/scenario/run_context.hpp"

namespace distspec::scenario {

using process::Clock;
namespace {

namespace fs = std::filesystem;

bool is_scenario_file(const fs::path& p) {
  return p.extension() == ".yaml" || p.extension() == ".yml";
}

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buffer;
}

}  // namespace

Discovered discover(const std::vector<std::string>& paths) {
  Discovered out;
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_directory() && it->path().filename() == "apps") {
          it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file() && is_scenario_file(it->path())) files.push_back(it->path().string());
      }
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      out.errors.push_back({p, {0, 0}, "no such file or directory"});
    }
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  std::map<std::string, std::string> seen;
  for (const auto& file : files) {
    auto loaded = load_scenario_file(file);
    if (!loaded) {
      out.errors.insert(out.errors.end(), loaded.error().begin(), loaded.error().end());
      continue;
    }
    auto& s = loaded.value();
    if (auto it = seen.find(s.id); it != seen.end()) {
      out.errors.push_back({file, {1, 1}, "id '" + s.id + "' is also the id of " + it->second});
      continue;
    }
    seen[s.id] = file;
    out.scenarios.push_back(std::move(s));
  }
  std::sort(out.scenarios.begin(), out.scenarios.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

int shard_of(const std::string& id, int shard_count) {
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : id) hash = (hash ^ c) * 16777619u;
  return int(hash % std::uint32_t(shard_count)) + 1;
}

std::vector<const Scenario*> select(const std::vector<Scenario>& all, const Selection& selection) {
  std::vector<const Scenario*> out;
  for (const auto& s : all) {
    if (!selection.filter.empty() && ::fnmatch(selection.filter.c_str(), s.id.c_str(), 0) != 0)
      continue;
    if (!selection.tags.empty() &&
        std::none_of(selection.tags.begin(), selection.tags.end(),
                     [&](const auto& t) { return s.has_tag(t); }))
      continue;
    if (selection.shard_count > 1 && shard_of(s.id, selection.shard_count) != selection.shard_index)
      continue;
    out.push_back(&s);
  }
  return out;
}

RunResult run_suite(const std::vector<const Scenario*>& scenarios, const SuiteOptions& options,
                    const std::function<void(const ScenarioResult&, int, int)>& on_done) {
  RunResult run;
  run.started_at = now_iso8601();
  run.jobs = std::max(1, options.jobs);
  auto t0 = Clock::now();
  RunContext context({options.epmd_port, false, options.record_corpus_dir});
  run.epmd_port = context.epmd_port();
  run.own_epmd = context.own_epmd();

  std::vector<std::string> apps;
  for (const auto* s : scenarios)
    if (!s->skip)
      for (const auto& app : s->apps())
        if (std::find(apps.begin(), apps.end(), app) == apps.end()) apps.push_back(app);
  auto build_start = Clock::now();
  context.build_apps(apps);
  run.app_build_ms = std::chrono::duration<double, std::milli>(Clock::now() - build_start).count();

  struct Job {
    const Scenario* scenario;
    int repeat;
  };
  std::vector<Job> jobs;
  for (int r = 1; r <= std::max(1, options.repeat); ++r)
    for (const auto* s : scenarios) jobs.push_back({s, r});
  run.scenarios.resize(jobs.size());

  std::atomic<std::size_t> next{0};
  std::mutex done_mutex;
  int done = 0;
  auto worker = [&] {
    for (std::size_t i; (i = next++) < jobs.size();) {
      const Scenario& s = *jobs[i].scenario;
      ScenarioResult& r = run.scenarios[i];
      r.id = s.id;
      r.title = s.title;
      r.file = s.file;
      r.level = s.level;
      r.tags = s.tags;
      r.repeat = jobs[i].repeat;
      if (s.skip || process::interrupt_signal()) {
        r.status = Status::skipped;
        r.skip_reason = s.skip ? *s.skip : "the run was interrupted";
      } else {
        for (int attempt = 0; attempt <= options.retries; ++attempt) {
          r.attempts.push_back(run_scenario(s, context));
          if (r.attempts.back().passed || r.attempts.back().interrupted || process::interrupt_signal()) break;
        }
        bool last_passed = r.attempts.back().passed;
        r.status = !last_passed ? Status::failed
                   : r.attempts.size() > 1 ? Status::flaky : Status::passed;
      }
      std::lock_guard lock(done_mutex);
      on_done(r, ++done, int(jobs.size()));
    }
  };
  // Workers outlive every node they start (PR_SET_PDEATHSIG follows the starting thread).
  std::vector<std::thread> threads;
  for (int j = 1; j < run.jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();

  // With --repeat, a scenario that both passed and failed is flaky.
  if (options.repeat > 1) {
    std::map<std::string, std::pair<int, int>> tally;  // passed, failed
    for (const auto& r : run.scenarios) {
      if (r.status == Status::passed) ++tally[r.id].first;
      if (r.status == Status::failed || r.status == Status::flaky) ++tally[r.id].second;
    }
    for (auto& r : run.scenarios)
      if (r.status == Status::passed && tally[r.id].second > 0) r.status = Status::flaky;
  }
  run.interrupted_by = process::interrupt_signal();
  run.wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return run;
}

}  // namespace distspec::scenario
