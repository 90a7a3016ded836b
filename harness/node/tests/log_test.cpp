// The message log budget: the first N message lines of each second, then a count of the rest.
#include "distspec/node/log.hpp"

#include <gtest/gtest.h>

namespace distspec::node {
namespace {

using Clock = MessageLogBudget::Clock;
using std::chrono::milliseconds;

TEST(MessageLogBudget, AdmitsTheFirstLinesOfEachSecondAndCountsTheRest) {
  MessageLogBudget budget(3);
  const Clock::time_point start = Clock::now();
  std::size_t dropped = 99;
  int admitted = 0;
  for (int i = 0; i < 10; ++i) {
    if (budget.admit(start + milliseconds(i), dropped)) ++admitted;
    EXPECT_EQ(dropped, 0u) << i;
  }
  EXPECT_EQ(admitted, 3);
  // A new second: the 7 left out are reported with its first line, which is admitted.
  EXPECT_TRUE(budget.admit(start + milliseconds(1000), dropped));
  EXPECT_EQ(dropped, 7u);
  EXPECT_TRUE(budget.admit(start + milliseconds(1001), dropped));
  EXPECT_EQ(dropped, 0u);
  // A quiet second with nothing left out reports nothing.
  EXPECT_TRUE(budget.admit(start + milliseconds(5000), dropped));
  EXPECT_EQ(dropped, 0u);
}

TEST(MessageLogBudget, LinesLeftOutAreTakenOnceTheirSecondEnds) {
  MessageLogBudget budget(2);
  const Clock::time_point start = Clock::now();
  std::size_t dropped = 0;
  for (int i = 0; i < 5; ++i) budget.admit(start + milliseconds(i), dropped);
  EXPECT_EQ(budget.second_end(), start + milliseconds(1000));
  EXPECT_EQ(budget.take_dropped(start + milliseconds(999)), 0u);  // the second still runs
  EXPECT_EQ(budget.take_dropped(start + milliseconds(1000)), 3u);
  EXPECT_EQ(budget.take_dropped(start + milliseconds(1500)), 0u);  // taken once
  // Taken already: the next second's first line reports nothing more.
  EXPECT_TRUE(budget.admit(start + milliseconds(1600), dropped));
  EXPECT_EQ(dropped, 0u);
  // Reported by admit() first (1600 and 1700 admitted, 1701-1703 left out): nothing left to take.
  for (int i = 0; i < 4; ++i) budget.admit(start + milliseconds(1700 + i), dropped);
  EXPECT_TRUE(budget.admit(start + milliseconds(2700), dropped));
  EXPECT_EQ(dropped, 3u);
  EXPECT_EQ(budget.take_dropped(start + milliseconds(4000)), 0u);
}

TEST(MessageLogBudget, ZeroAdmitsEveryLine) {
  MessageLogBudget budget(0);
  std::size_t dropped = 1;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(budget.admit(Clock::now(), dropped));
    EXPECT_EQ(dropped, 0u);
  }
}

}  // namespace
}  // namespace distspec::node
