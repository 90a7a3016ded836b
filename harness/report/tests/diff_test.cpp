#include "distspec/report/diff.hpp"

#include <gtest/gtest.h>

namespace distspec::report {
namespace {

nlohmann::json run(std::vector<std::tuple<std::string, std::string, double>> scenarios) {
  nlohmann::json j = {{"schema", "distspec-run/1"}, {"scenarios", nlohmann::json::array()}};
  for (auto& [id, status, ms] : scenarios)
    j["scenarios"].push_back({{"id", id}, {"status", status}, {"duration_ms", ms}});
  return j;
}

TEST(Diff, NewlyFailingFixedFlakyAndTiming) {
  auto old_run = run({{"a", "passed", 1000}, {"b", "failed", 1000}, {"c", "passed", 1000},
                      {"d", "passed", 1000}, {"gone", "passed", 10}, {"e", "failed", 5}});
  auto new_run = run({{"a", "failed", 1000}, {"b", "passed", 1000}, {"c", "flaky", 1000},
                      {"d", "passed", 3000}, {"new", "passed", 10}, {"e", "failed", 5}});
  auto d = diff_runs(old_run, new_run);
  EXPECT_EQ(d.newly_failing, (std::vector<std::string>{"a (passed -> failed)"}));
  EXPECT_EQ(d.fixed, (std::vector<std::string>{"b (failed -> passed)"}));
  EXPECT_EQ(d.newly_flaky, (std::vector<std::string>{"c"}));
  EXPECT_EQ(d.still_failing, (std::vector<std::string>{"e"}));
  EXPECT_EQ(d.added, (std::vector<std::string>{"new (passed)"}));
  EXPECT_EQ(d.removed, (std::vector<std::string>{"gone (was passed)"}));
  ASSERT_EQ(d.timing.size(), 1u);
  EXPECT_EQ(d.timing[0], "d: 1.00 s -> 3.00 s (+200%)");
  EXPECT_TRUE(d.regressed());
  EXPECT_NE(d.to_text().find("newly failing (1):\n  a (passed -> failed)"), std::string::npos);
}

TEST(Diff, NoRegressionWhenOnlyFixedOrSmallTimingNoise) {
  auto d = diff_runs(run({{"a", "failed", 1000}, {"b", "passed", 1000}}),
                     run({{"a", "passed", 1000}, {"b", "passed", 1150}}));
  EXPECT_FALSE(d.regressed());
  EXPECT_TRUE(d.timing.empty());
}

TEST(Diff, RepetitionsCountTheWorstStatus) {
  auto d = diff_runs(run({{"a", "passed", 100}, {"a", "passed", 100}}),
                     run({{"a", "passed", 100}, {"a", "failed", 100}}));
  EXPECT_EQ(d.newly_failing.size(), 1u);
}

TEST(Diff, RejectsWhatIsNotARunReport) {
  EXPECT_THROW(diff_runs(nlohmann::json::object(), run({})), std::runtime_error);
  EXPECT_THROW(diff_runs(run({}), nlohmann::json::array()), std::runtime_error);
}

}  // namespace
}  // namespace distspec::report
