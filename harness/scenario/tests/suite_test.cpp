// Discovery, selection and sharding (no node is started here).
#include "distspec/scenario/suite.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

namespace distspec::scenario {
namespace {

std::vector<Scenario> many(int n) {
  std::vector<Scenario> out;
  for (int i = 0; i < n; ++i) {
    Scenario s;
    s.id = "group" + std::to_string(i % 4) + "/scenario-" + std::to_string(i);
    s.tags = {i % 2 ? "odd" : "even"};
    out.push_back(s);
  }
  return out;
}

TEST(Shard, EveryScenarioInExactlyOneShardAndStable) {
  auto all = many(200);
  for (int count : {1, 2, 3, 7}) {
    std::multiset<std::string> seen;
    for (int index = 1; index <= count; ++index) {
      auto chosen = select(all, {"", {}, index, count});
      auto again = select(all, {"", {}, index, count});
      ASSERT_EQ(chosen, again);
      for (const auto* s : chosen) seen.insert(s->id);
      if (count > 1) {
        EXPECT_GT(chosen.size(), 200u / count / 3) << "shards should be roughly even";
      }
    }
    EXPECT_EQ(seen.size(), all.size());
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), all.size());
  }
}

TEST(Shard, DependsOnlyOnTheIdNotOnTheOtherScenarios) {
  auto all = many(60);
  std::mt19937 gen(12345);
  std::printf("shuffle seed 12345\n");
  auto shuffled = all;
  std::shuffle(shuffled.begin(), shuffled.end(), gen);
  shuffled.resize(30);
  for (const auto& s : shuffled) EXPECT_EQ(shard_of(s.id, 5), shard_of(s.id, 5));
  for (const auto* s : select(shuffled, {"", {}, 2, 5})) EXPECT_EQ(shard_of(s->id, 5), 2);
}

TEST(Select, FilterGlobAndTags) {
  auto all = many(20);
  auto g1 = select(all, {"group1/*", {}, 1, 1});
  EXPECT_EQ(g1.size(), 5u);
  for (const auto* s : g1) EXPECT_EQ(s->id.rfind("group1/", 0), 0u);
  EXPECT_EQ(select(all, {"", {"odd"}, 1, 1}).size(), 10u);
  EXPECT_EQ(select(all, {"", {"odd", "even"}, 1, 1}).size(), 20u);
  EXPECT_EQ(select(all, {"*-1?", {"odd"}, 1, 1}).size(), 5u);
}

TEST(Discover, ReadsFoldersSkipsAppsAndReportsDuplicateIds) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("distspec-discover-" + std::to_string(::getpid()));
  fs::create_directories(dir / "x");
  fs::create_directories(dir / "apps" / "y");
  const char* body = "title: t\nnodes: {a: {kind: iex}}\nsteps: []\n";
  std::ofstream(dir / "x" / "one.yaml") << "id: same\n" << body;
  std::ofstream(dir / "x" / "two.yml") << "id: same\n" << body;
  std::ofstream(dir / "x" / "three.yaml") << "id: other\n" << body;
  std::ofstream(dir / "x" / "notes.txt") << "not a scenario";
  std::ofstream(dir / "apps" / "y" / "ignored.yaml") << "not: [a scenario";
  auto found = discover({dir.string()});
  ASSERT_EQ(found.errors.size(), 1u);
  EXPECT_NE(found.errors[0].message.find("id 'same' is also the id of"), std::string::npos);
  ASSERT_EQ(found.scenarios.size(), 2u);
  EXPECT_EQ(found.scenarios[0].id, "other");
  auto missing = discover({(dir / "nope").string()});
  EXPECT_EQ(missing.errors.size(), 1u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace distspec::scenario
