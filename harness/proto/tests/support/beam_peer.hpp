// Real BEAM peers for proto's beam tests, with plain POSIX (no Boost): an epmd on a free port, an
// `erl -sname` node that evaluates expressions sent on its stdin, loopback sockets, and a loop
// that runs a handshake machine over a socket.
//
// Every child runs in its own process group, is killed with the group (SIGKILL) when its object
// dies, and also when the test process dies (PR_SET_PDEATHSIG). Nodes get ERL_EPMD_PORT, a
// private HOME and -start_epmd false: the system epmd (4369) is never used.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "distspec/proto/handshake.hpp"

namespace distspec::proto::testing {

using Clock = std::chrono::steady_clock;
inline constexpr auto kBeamStepTimeout = std::chrono::seconds(10);

// An owned file descriptor.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();
  bool valid() const { return fd >= 0; }
};

class ChildProcess {
 public:
  // argv[0] is a path; env_extra ("K=V") overrides the inherited environment.
  ChildProcess(std::vector<std::string> argv, const std::vector<std::string>& env_extra,
               bool with_stdin);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void write_line(const std::string& line);
  // Waits until the output from byte `from` on contains `needle`; returns the offset just past it.
  std::optional<std::size_t> wait_for(const std::string& needle, std::size_t from = 0,
                                      Clock::duration timeout = kBeamStepTimeout);
  const std::string& output() const { return output_; }  // stdout and stderr, merged

 private:
  int pid_ = -1;
  int out_ = -1, in_ = -1;
  std::string output_;
};

std::uint16_t free_tcp_port();
std::string short_host();  // gethostname() up to the first '.', what -sname appends

Fd connect_loopback(std::uint16_t port);
Fd listen_loopback(std::uint16_t& port);  // on 127.0.0.1, port chosen by the kernel
Fd accept_within(int listener, Clock::duration timeout = kBeamStepTimeout);
void write_all(int fd, const std::vector<std::uint8_t>& bytes);
// What arrives within the timeout: empty on timeout, nullopt on EOF.
std::optional<std::vector<std::uint8_t>> read_some(int fd,
                                                   Clock::duration timeout = kBeamStepTimeout);

class EpmdDaemon {
 public:
  EpmdDaemon();  // `epmd -port P` in the foreground, P free; waits until it accepts
  std::uint16_t port() const { return port_; }
  // PORT_PLEASE2 with our codec; 0 if the name is not registered.
  std::uint16_t port_please(const std::string& alive) const;

  // ALIVE2 with our codec; the returned socket keeps the registration alive.
  struct Registration {
    Fd socket;
    std::uint32_t creation = 0;  // 0 if epmd refused
  };
  Registration register_node(const std::string& alive, std::uint16_t listen_port) const;

 private:
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
};

class ErlNode {
 public:
  // `erl -sname alive -setcookie cookie -noshell` + extra_args; waits until it is up.
  ErlNode(const EpmdDaemon& epmd, const std::string& alive, const std::string& cookie,
          const std::vector<std::string>& extra_args = {});
  bool up() const { return up_; }
  const std::string& node_name() const { return node_name_; }
  // Evaluates Erlang expressions (no trailing dot); returns the `~w` text of the value or
  // "<timeout>". send() does the same without waiting; wait_result() collects the answer.
  std::string eval(const std::string& expressions);
  std::size_t send(const std::string& expressions);  // returns the output offset to wait from
  std::string wait_result(std::size_t from);
  ChildProcess& process() { return *process_; }

 private:
  std::string node_name_;
  std::unique_ptr<ChildProcess> process_;
  bool up_ = false;
};

// Runs `machine` over a connected socket until Connected, Failed (EOF included), or a read that
// times out. Decisions: the acceptor's from `decision`, the initiator's alive answer `alive`.
// Returns every byte received; `after` gets the bytes that followed the handshake.
std::vector<std::uint8_t> drive_handshake(HandshakeMachine& machine, int fd,
                                          const AcceptDecision& decision = {}, bool alive = true,
                                          std::vector<std::uint8_t>* after = nullptr);

}  // namespace distspec::proto::testing
