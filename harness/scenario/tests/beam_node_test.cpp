// Prompt stripping and the text of an eval, on lines as iex and erl print them over pipes.
#include "beam_node.hpp"

#include <gtest/gtest.h>

namespace distspec::scenario {
namespace {

TEST(StripPrompts, RemovesIexErlAndContinuationPrompts) {
  EXPECT_EQ(strip_prompts("iex(a_x1@vm)1> :pong"), ":pong");
  EXPECT_EQ(strip_prompts("iex(a_x1@vm)2> __done_1__"), "__done_1__");
  EXPECT_EQ(strip_prompts("...(a_x1@vm)3> iex(a_x1@vm)4> true"), "true");
  EXPECT_EQ(strip_prompts("(e1@vm)12> '__done_3__'"), "'__done_3__'");
  EXPECT_EQ(strip_prompts("iex(l_1@127.0.0.1)1> :ok"), ":ok");
  EXPECT_EQ(strip_prompts("(not a prompt) x"), "(not a prompt) x");
  EXPECT_EQ(strip_prompts("true"), "true");
}

TEST(EvalText, DropsLoggerLinesAndErlangReports) {
  EXPECT_EQ(eval_text({"iex(a@h)1> ", "21:00:01.123 [error] boom", "", "false"}), "false");
  EXPECT_EQ(eval_text({"=ERROR REPORT==== 1-Jan-2026::00:00:00 ===", "** boom", "", "(a@h)2> ok"}), "ok");
  EXPECT_EQ(eval_text({"iex(a@h)1> [1,", " 2]"}), "[1,\n 2]");
  EXPECT_EQ(eval_text({}), "");
  EXPECT_EQ(eval_text({"Interactive Elixir (1.14.0) - press Ctrl+C to exit (type h() ENTER for help)",
                       "iex(a@h)1> true"}), "true");
  EXPECT_EQ(eval_text({"Eshell V13.1.5  (abort with ^G)", "(e@h)1> true"}), "true");
}

}  // namespace
}  // namespace distspec::scenario
