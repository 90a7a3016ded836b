// Real BEAM processes for beam tests: an epmd on a free port, and erl / elixir nodes that
// evaluate Erlang expressions sent on their stdin and print each value as a line `=> ~w`.
//
// Every child runs in its own process group, is killed with the group (SIGKILL) when its object
// dies or kill() is called, and also when the test process dies (PR_SET_PDEATHSIG). Nodes get the
// test epmd's ERL_EPMD_PORT, -start_epmd false and a private HOME (no test writes
// ~/.erlang.cookie): the system epmd (4369) is never used.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "distspec/process/child_process.hpp"
#include "distspec/process/local_host.hpp"
#include "distspec/process/private_epmd.hpp"

namespace distspec::testing {

using process::Clock;
using process::short_host_name;

// A fresh directory under the build tree (removed by nobody: it is small and helps debugging).
std::string make_temp_dir(const std::string& tag);

// A child process (harness/process: own process group, killed with it) whose output is read as
// one text: stdout and stderr merged, each line followed by '\n'.
class ChildProcess {
 public:
  // exe is a path; env entries override the inherited environment.
  ChildProcess(const std::string& exe, const std::vector<std::string>& args,
               const std::vector<std::pair<std::string, std::string>>& env, bool with_stdin);
  ~ChildProcess();  // kill()
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // False if the child has no stdin (or kill() closed it): a later wait_for then times out.
  bool write_line(const std::string& line);
  // Waits until the output from byte `from` on contains `needle`; returns the offset just past
  // it, nullopt on timeout or when the child closed its output without printing it.
  std::optional<std::size_t> wait_for(const std::string& needle, Clock::duration timeout,
                                      std::size_t from = 0);
  std::string output() const;  // everything printed so far (complete lines)
  int pid() const;
  bool running();
  void kill();  // SIGKILL to the process group, reaped; the output stays readable

 private:
  std::unique_ptr<process::ChildProcess> child_;
  bool has_input_ = false;
};

// The tests' epmd: `epmd -port P` on a free P, ours alone.
using process::PrivateEpmd;

struct BeamNodeOptions {
  std::string name;              // alive part; -sname unless long_name
  bool long_name = false;        // -name
  std::string cookie;            // -setcookie / --cookie
  bool hidden = false;
  bool elixir = false;           // `elixir --sname` with the tutorial's PingPong module loaded
  bool start_ping_pong = false;  // elixir only: PingPong.start_link/1 before the eval loop
  std::vector<std::string> extra_erl_args{};  // e.g. {"-kernel", "net_ticktime", "4"}
  bool wait_ready = true;        // false for a node that is expected not to come up
};

class BeamNode {
 public:
  // With wait_ready, returns once the eval loop answers (distribution is up and registered in
  // epmd) and throws std::runtime_error with the node's output if it does not within 60 s.
  BeamNode(const PrivateEpmd& epmd, BeamNodeOptions options);
  const std::string& node_name() const { return node_name_; }
  // Evaluates Erlang expressions (one line, without the final '.'); returns the `~w` text of the
  // value ({eval_error, Class, Reason} if it raised) or "<timeout>". send() does the same without
  // waiting and returns where to wait from; wait_result() collects the answer.
  std::string eval(const std::string& expressions,
                   Clock::duration timeout = std::chrono::seconds(15));
  std::size_t send(const std::string& expressions);
  std::string wait_result(std::size_t from, Clock::duration timeout = std::chrono::seconds(15));
  ChildProcess& process() { return *process_; }
  void kill() { process_->kill(); }

 private:
  std::string node_name_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace distspec::testing
