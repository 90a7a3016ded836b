// Real BEAM processes for the node's beam tests: an epmd on a free port, and erl / elixir nodes
// that evaluate Erlang expressions sent on their stdin and print each result as `=> ~w`.
//
// Every process is started with PR_SET_PDEATHSIG, killed (SIGKILL) by its destructor, and given a
// private HOME so no test writes ~/.erlang.cookie. Nodes use -start_epmd false and the test's
// ERL_EPMD_PORT, never the system epmd.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/process.hpp>

namespace distspec::node::testing {

std::uint16_t free_tcp_port();
std::string short_host();  // what erl -sname appends after '@'
// A fresh directory under the build tree (removed by nobody: it is small and helps debugging).
std::string make_temp_dir(const std::string& tag);

// A child process whose merged stdout/stderr is collected line by line.
class ChildProcess {
 public:
  ChildProcess(const std::string& exe, const std::vector<std::string>& args,
               const std::vector<std::pair<std::string, std::string>>& env, bool with_stdin);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void write_line(const std::string& line);
  // Waits for an output line containing `needle` (searching from line `from`); returns its index.
  std::optional<std::size_t> wait_for(const std::string& needle,
                                      std::chrono::milliseconds timeout, std::size_t from = 0);
  std::vector<std::string> lines() const;
  std::string output() const;  // all lines joined, for failure messages
  bool running();
  int pid();
  void kill();

 private:
  void read_loop();
  boost::process::ipstream out_;
  boost::process::opstream in_;
  boost::process::child child_;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
};

class EpmdProcess {
 public:
  EpmdProcess();  // epmd -port P (foreground child), waits until it answers
  std::uint16_t port() const { return port_; }
  std::string port_text() const { return std::to_string(port_); }

 private:
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
};

struct BeamNodeOptions {
  std::string name;             // alive part; -sname unless long_name
  bool long_name = false;       // -name
  std::string cookie;           // -setcookie / --cookie
  bool hidden = false;
  bool elixir = false;          // `elixir --sname` with the tutorial's PingPong module loaded
  bool start_ping_pong = false; // elixir only: PingPong.start_link/1 before the eval loop
  std::vector<std::string> extra_erl_args;  // e.g. {"-kernel", "net_ticktime", "4"}
  bool wait_ready = true;       // false for a node that is expected not to come up
};

class BeamNode {
 public:
  BeamNode(const EpmdProcess& epmd, BeamNodeOptions options);
  const std::string& node_name() const { return node_name_; }
  // Evaluates Erlang expressions (one line, ending without '.'), returns the `~w` text of the
  // value; "<timeout>" if nothing came back in time.
  std::string eval(const std::string& expressions,
                   std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ChildProcess& process() { return *process_; }
  void kill() { process_->kill(); }

 private:
  std::string node_name_;
  std::unique_ptr<ChildProcess> process_;
  std::size_t consumed_ = 0;  // output lines already matched by eval()
};

}  // namespace distspec::node::testing
