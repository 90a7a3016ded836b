// Report writers on a hand-built RunResult: JUnit is well-formed XML (parsed back), JSON has
// the documented fields, the report dir holds node logs, files are replaced atomically.
#include "distspec/report/writers.hpp"

#include <gtest/gtest.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "distspec/report/atomic_file.hpp"
#include "distspec/report/console.hpp"

namespace distspec::report {
namespace {

using namespace distspec::scenario;

RunResult sample_run() {
  RunResult run;
  run.started_at = "2026-01-01T00:00:00Z";
  run.wall_ms = 1234;
  run.jobs = 2;
  ScenarioResult pass{"t/pass", "Passes", "t/pass.yaml", Level::must, {"x"}, 1, Status::passed, "", {}};
  AttemptResult ok;
  ok.passed = true;
  ok.duration_ms = 500;
  ok.startup_ms = 300;
  ok.steps.push_back({1, 5, "eval", "a", "Node.self", "':a@h'", ":a@h", "", true, false, "", 300, 2});
  ok.nodes.push_back({"a", "a_x@h", "iex", "iex --sname a_x@h --cookie <cookie>", 280, {"+0.1s hello"}});
  pass.attempts.push_back(ok);
  ScenarioResult fail{"t/fail & <odd> \"name\"", "Fails", "t/fail.yaml", Level::must, {}, 1, Status::failed, "", {}};
  AttemptResult bad;
  bad.failed_step = 1;
  bad.failure = "step 1 (eval on a, line 7) failed: expected 'true', got: <false> \x1b[31m&";
  bad.duration_ms = 700;
  bad.steps.push_back({1, 7, "eval", "a", "x < y", "'true'", "<false>", "", false, false, bad.failure, 1, 3});
  fail.attempts.push_back(bad);
  ScenarioResult flaky{"t/flaky", "Flaky", "t/flaky.yaml", Level::should, {}, 1, Status::flaky, "", {}};
  flaky.attempts = {bad, ok};
  ScenarioResult skip{"t/skip", "Skipped", "t/skip.yaml", Level::info, {}, 1, Status::skipped, "not yet", {}};
  run.scenarios = {pass, fail, flaky, skip};
  return run;
}

TEST(JUnit, IsWellFormedAndHasOneTestcasePerScenario) {
  std::string xml = junit_xml(sample_run());
  std::istringstream in(xml);
  boost::property_tree::ptree tree;
  ASSERT_NO_THROW(boost::property_tree::read_xml(in, tree)) << xml;
  auto& suite = tree.get_child("testsuites.testsuite");
  EXPECT_EQ(suite.get<int>("<xmlattr>.tests"), 4);
  EXPECT_EQ(suite.get<int>("<xmlattr>.failures"), 2);
  EXPECT_EQ(suite.get<int>("<xmlattr>.skipped"), 1);
  int cases = 0, failures = 0;
  for (auto& [name, child] : suite) {
    if (name != "testcase") continue;
    ++cases;
    if (auto f = child.get_child_optional("failure")) {
      ++failures;
      EXPECT_NE(f->data().find("transcript:"), std::string::npos);
      EXPECT_NE(f->get<std::string>("<xmlattr>.message").find("step 1 (eval on a, line 7)"), std::string::npos);
    }
  }
  EXPECT_EQ(cases, 4);
  EXPECT_EQ(failures, 2);
  EXPECT_NE(xml.find("name=\"t/fail &amp; &lt;odd&gt; &quot;name&quot;\""), std::string::npos);
  EXPECT_NE(xml.find("type=\"flaky\""), std::string::npos);
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
}

TEST(Json, HasSchemaSummaryAndEveryStepsTiming) {
  auto j = run_json(sample_run());
  EXPECT_EQ(j["schema"], "distspec-run/1");
  EXPECT_EQ(j["summary"]["passed"], 1);
  EXPECT_EQ(j["summary"]["failed"], 1);
  EXPECT_EQ(j["summary"]["flaky"], 1);
  EXPECT_EQ(j["summary"]["skipped"], 1);
  EXPECT_EQ(j["summary"]["all_must_passed"], false);
  ASSERT_EQ(j["scenarios"].size(), 4u);
  auto& step = j["scenarios"][0]["attempts"][0]["steps"][0];
  EXPECT_EQ(step["action"], "eval");
  EXPECT_EQ(step["start_ms"], 300);
  EXPECT_EQ(step["duration_ms"], 2);
  EXPECT_EQ(j["scenarios"][0]["attempts"][0]["nodes"][0]["startup_ms"], 280);
  EXPECT_EQ(j["scenarios"][3]["skip_reason"], "not yet");
}

TEST(Console, SummaryAndProgress) {
  auto run = sample_run();
  EXPECT_EQ(summary_line(run), "1 passed, 1 failed, 1 flaky, 1 skipped");
  run.scenarios.resize(2);
  EXPECT_EQ(summary_line(run), "1 passed, 1 failed");
  auto line = progress_line(run.scenarios[1], 2, 10, false);
  EXPECT_EQ(line.rfind("[ 2/10] FAIL  t/fail", 0), 0u) << line;
  EXPECT_NE(line.find("step 1 (eval on a, line 7)"), std::string::npos);
  EXPECT_NE(progress_line(run.scenarios[0], 1, 2, true).find("\033[32mPASS"), std::string::npos);
}

TEST(ReportDir, HoldsReportAndNodeLogsAndNoTempFiles) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("distspec-report-" + std::to_string(::getpid()));
  write_report_dir(sample_run(), dir.string());
  EXPECT_TRUE(fs::exists(dir / "report.md"));
  std::ifstream log(dir / "scenarios/t/pass/a.log");
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "+0.1s hello");
  EXPECT_TRUE(fs::exists(dir / "scenarios/t/flaky/attempt-2/transcript.txt"));
  for (auto& entry : fs::recursive_directory_iterator(dir))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  fs::remove_all(dir);
}

TEST(AtomicFile, ReplacesWholeFiles) {
  namespace fs = std::filesystem;
  fs::path file = fs::temp_directory_path() / ("distspec-atomic-" + std::to_string(::getpid())) / "a" / "f.txt";
  write_file_atomically(file.string(), "first");
  write_file_atomically(file.string(), "second");
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text, "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()), 1);
  EXPECT_THROW(write_file_atomically("/proc/no/such/dir/f", "x"), std::exception);
  fs::remove_all(file.parent_path().parent_path());
}

}  // namespace
}  // namespace distspec::report
