// ChildProcess: one started program in its own process group, stdin and stdout as pipes. The
// runner starts its nodes with it, and tests their epmd and BEAM nodes (harness/testing).
//
// Every child: is the leader of a new process group (so a kill reaches what it started too);
// gets PR_SET_PDEATHSIG=SIGKILL, so it dies with the runner's thread that started it (start
// children from threads that outlive them); closes every inherited descriptor but 0, 1 and 2;
// is registered for kill_all_process_groups(), which the SIGINT/SIGTERM handler calls. Output
// (stdout and stderr merged) is read by a thread into an OutputLog.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "distspec/process/output_log.hpp"

namespace distspec::process {

struct ChildOptions {
  std::string program;  // a path, or a name looked up in PATH
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // set on top of the runner's environment
  std::string working_dir;
};

class ChildProcess {
 public:
  explicit ChildProcess(const ChildOptions& options);  // throws std::runtime_error
  ~ChildProcess();                                     // kills the group, reaps, joins
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool write(const std::string& text);  // false when the child no longer reads (EPIPE)
  void close_input();
  bool running();
  bool wait_exit(Clock::time_point deadline);  // true when it exited before the deadline
  int exit_code();                              // after it exited; -1 while it runs
  void kill_group();                            // SIGKILL to the group, then reaped
  void signal_group(int sig);                   // e.g. SIGTERM for an orderly stop
  pid_t pid() const { return pid_; }
  OutputLog& output() { return *output_; }

 private:
  void read_loop();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  pid_t pid_ = -1;
  bool group_gone_ = false;
  int input_fd_ = -1;
  int output_fd_ = -1;
  std::shared_ptr<OutputLog> output_;
  std::thread reader_;
};

// Async-signal-safe: SIGKILL to every process group registered by a live ChildProcess.
void kill_all_process_groups();

// SIGINT, SIGTERM and SIGHUP: kill every child group at once and remember the signal, so the
// run winds down and reports; a second signal exits at once. SIGPIPE is ignored (children get
// it back to default). Returns the signal received so far, or 0.
void install_interrupt_handlers();
int interrupt_signal();

}  // namespace distspec::process
