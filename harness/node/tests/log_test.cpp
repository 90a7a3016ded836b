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
