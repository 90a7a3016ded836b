// ChildProcess against real programs (sh, cat): output capture, input, exit codes, and that a
// kill reaches what the child started in its group.
#include "distspec/process/child_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace distspec::process {
namespace {

using namespace std::chrono_literals;

auto any_line = [](const std::string&) { return true; };

TEST(ChildProcess, MergesStdoutAndStderrIntoLines) {
  ChildProcess child({"sh", {"-c", "echo one; echo two >&2; printf 'three\\r\\nno newline'"}, {}, {}});
  ASSERT_TRUE(child.wait_exit(Clock::now() + 10s));
  ASSERT_TRUE(child.output().wait_for(3, Clock::now() + 10s, any_line));
  // The reader closes the log after the last (unterminated) line; wait for that.
  for (auto deadline = Clock::now() + 10s; !child.output().closed() && Clock::now() < deadline;)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(child.output().text(), "one\ntwo\nthree\nno newline\n");
  EXPECT_EQ(child.exit_code(), 0);
}

TEST(ChildProcess, EnvironmentEntriesOverrideInheritedOnes) {
  ::setenv("DISTSPEC_PROCESS_TEST", "inherited", 1);
  ChildProcess child({"sh", {"-c", "echo $DISTSPEC_PROCESS_TEST $DISTSPEC_ONLY_CHILD"},
                      {{"DISTSPEC_PROCESS_TEST", "overridden"}, {"DISTSPEC_ONLY_CHILD", "x"}},
                      {}});
  ASSERT_TRUE(child.output().wait_for(0, Clock::now() + 10s, any_line));
  EXPECT_EQ(child.output().last(1).at(0), "overridden x");
}

TEST(ChildProcess, WritesInputAndReportsExitCode) {
  ChildProcess child({"sh", {"-c", "read line; echo got $line; exit 3"}, {}, {}});
  ASSERT_TRUE(child.write("hello\n"));
  ASSERT_TRUE(child.wait_exit(Clock::now() + 10s));
  EXPECT_EQ(child.exit_code(), 3);
  ASSERT_TRUE(child.output().wait_for(0, Clock::now() + 10s, any_line));
  EXPECT_EQ(child.output().last(1).at(0), "got hello");
}

TEST(ChildProcess, ClosingInputEndsAReader) {
  ChildProcess child({"cat", {}, {}, {}});
  ASSERT_TRUE(child.write("line\n"));
  child.close_input();
  EXPECT_TRUE(child.wait_exit(Clock::now() + 10s));
  EXPECT_EQ(child.output().text(), "line\n");
}

TEST(ChildProcess, KillReachesGrandchildrenInTheGroup) {
  ChildProcess child({"sh", {"-c", "sleep 60 & echo $!; wait"}, {}, {}});
  ASSERT_TRUE(child.output().wait_for(0, Clock::now() + 10s, any_line));
  const pid_t grandchild = std::stoi(child.output().last(1).at(0));
  ASSERT_EQ(::kill(grandchild, 0), 0) << "the grandchild should be alive before the kill";
  child.kill_group();
  EXPECT_FALSE(child.running());
  // Reaped by nobody but init (its parent sh is gone): wait until it is no longer there.
  bool gone = false;
  for (auto deadline = Clock::now() + 10s; !gone && Clock::now() < deadline;) {
    gone = ::kill(grandchild, 0) != 0 && errno == ESRCH;
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "sleep " << grandchild << " survived the group kill";
}

TEST(ChildProcess, UnknownProgramThrows) {
  EXPECT_THROW(ChildProcess({"distspec-no-such-program", {}, {}, {}}), std::runtime_error);
}

}  // namespace
}  // namespace distspec::process
