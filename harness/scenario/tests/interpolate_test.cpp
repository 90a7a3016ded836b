#include "distspec/scenario/interpolate.hpp"

#include <gtest/gtest.h>

namespace distspec::scenario {
namespace {

std::optional<std::string> names(const std::string& n) {
  if (n == "a") return std::string("a_x1@vm");
  if (n == "host") return std::string("vm");
  return std::nullopt;
}

TEST(Interpolate, ReplacesNodesAndHost) {
  EXPECT_EQ(interpolate("Node.connect(:'${a}')", names), "Node.connect(:'a_x1@vm')");
  EXPECT_EQ(interpolate("${a} on ${host}, ${a}", names), "a_x1@vm on vm, a_x1@vm");
  EXPECT_EQ(interpolate("no refs", names), "no refs");
  EXPECT_EQ(interpolate("${unknown} $ {a} ${a", names), "${unknown} $ {a} ${a");
  EXPECT_EQ(interpolate("#{x} ${a}", names), "#{x} a_x1@vm");  // Elixir's own #{} is left alone
}

TEST(Interpolate, FindsReferencesAndMalformedOnes) {
  auto r = find_references("${a} and ${host} and #{b}");
  EXPECT_EQ(r.names, (std::vector<std::string>{"a", "host"}));
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(find_references("x ${a").error);
  EXPECT_TRUE(find_references("x ${}").error);
}

}  // namespace
}  // namespace distspec::scenario
