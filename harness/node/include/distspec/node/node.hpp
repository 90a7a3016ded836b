// The C++ peer: a distribution node on Boost.Asio around the sans-I/O proto layer.
//
// A Node registers with epmd (starting `epmd -daemon` as erl does when none answers), listens,
// dials other nodes by name, runs the handshake machines (version 6; version 5 'n' on request),
// keeps every connection ticking, and routes control messages to its process table. It hosts
// `net_kernel` (answers {is_auth, Node} so :net_adm.ping gets pong) and, unless disabled, a
// registered 'Elixir.PingPong' answering :ping with :pong (and :count with the number of pings).
//
// Threading: all node state lives on one I/O thread. start() launches it; the blocking methods
// below may be called from any other thread (never from a message handler on the I/O thread).
// Logging: one line per event through NodeOptions::log; never a cookie, never a peer's raw bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "distspec/etf/result.hpp"
#include "distspec/etf/term.hpp"
#include "distspec/node/log.hpp"
#include "distspec/proto/cookie.hpp"
#include "distspec/proto/dist_flags.hpp"

namespace distspec::node {

// What this node implements, so what it advertises: OTP 25's set without SPAWN (no distributed
// spawn; rpc:call into us fails with notsup as OTP arranges), and without PUBLISHED when hidden.
proto::DistFlags node_flags(bool hidden);

struct NodeOptions {
  std::string name;  // alive@host (see host_name.hpp for how erl derives it)
  proto::Cookie cookie;
  bool hidden = false;
  std::uint16_t listen_port = 0;  // 0: any free port
  std::chrono::milliseconds net_ticktime{60'000};
  std::uint16_t epmd_port = 0;    // 0: $ERL_EPMD_PORT or 4369
  bool register_with_epmd = true; // clients (ping/call) may skip it; they then pick a creation
  bool start_epmd = true;         // run `epmd -daemon` when no epmd answers
  std::uint16_t send_name_version = 6;  // 5: dial with the OTP 23/24 'n' send_name
  bool accept_v5 = true;
  // Advertised flags (default node_flags(hidden)) and what a peer must have. Tests lower these to
  // run a pure version-5 handshake (no HANDSHAKE_23) between two of our nodes.
  std::optional<proto::DistFlags> flags;
  proto::DistFlags required_flags = proto::kOtp25MandatoryFlags;
  bool host_ping_pong = true;
  std::chrono::milliseconds setup_time{7'000};  // net_setuptime: per handshake step
  std::optional<std::string> record_corpus_dir;  // every handshake message and term seen
  LogSink log = stderr_log_sink();
  // Lines for received messages: the first this many of each second, then a count (see
  // MessageLogBudget); 0 logs every message.
  std::size_t message_lines_per_second = 20;
};

struct NodeError {
  std::string message;
};

// Why a call failed, as the Erlang exit reason gen:call would raise: {nodedown, Node}, noproc,
// timeout, or the monitored server's exit reason.
struct CallFailure {
  etf::Term reason;
};

// A process whose messages queue up for receive() on another thread (the CLI, tests).
class Mailbox {
 public:
  virtual ~Mailbox() = default;
  virtual const etf::Pid& pid() const = 0;
  // The next message, or nullopt after `timeout`.
  virtual std::optional<etf::Term> receive(std::chrono::milliseconds timeout) = 0;
};

class Node {
 public:
  // Creates the node: starts epmd if needed, listens, registers. Does not start the I/O thread.
  static Result<std::unique_ptr<Node>, NodeError> create(NodeOptions options);
  ~Node();  // stops the I/O thread, closes every connection, unregisters

  void start();                      // runs the I/O thread in the background
  void run_until_signal();           // runs in the calling thread until SIGINT/SIGTERM
  void stop();                       // closes everything; the I/O thread ends

  const std::string& name() const;
  std::uint32_t creation() const;
  std::uint16_t listen_port() const;

  // Blocking, from a non-I/O thread.
  bool connect(const std::string& node, std::chrono::milliseconds timeout);  // Node.connect
  bool ping(const std::string& node, std::chrono::milliseconds timeout);      // :net_adm.ping
  // GenServer.call({name, node}, request, timeout).
  Result<etf::Term, CallFailure> call(const std::string& node, const std::string& name,
                                      const etf::Term& request, std::chrono::milliseconds timeout);
  // The same call without blocking: `done` runs on the I/O thread, so it may start the next call
  // at once (a caller loop that lives on the I/O thread pays no thread hand-off per call). Callable
  // from any thread, including from inside `done`; `done` must not block.
  using CallDone = std::function<void(Result<etf::Term, CallFailure>)>;
  void call_async(const std::string& node, const std::string& name, const etf::Term& request,
                  std::chrono::milliseconds timeout, CallDone done);
  // Connected nodes (visible ones; with hidden = true, only the hidden ones), as Node.list does.
  std::vector<std::string> nodes(bool hidden = false);
  void disconnect(const std::string& node);

  std::shared_ptr<Mailbox> make_mailbox(std::optional<std::string> registered_name = {});
  // Sends from `from` (a mailbox pid) to a pid or to {name, node}; connects if needed.
  void send(const etf::Pid& from, const etf::Pid& to, const etf::Term& message);
  void send_named(const etf::Pid& from, const std::string& name, const std::string& node,
                  const etf::Term& message);
  // Monitors a process (pid or name atom) on `node` for `watcher`; DOWN arrives in the mailbox.
  etf::Reference monitor(const etf::Pid& watcher, const etf::Term& target, const std::string& node);

  struct Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The registered atom a user means by NAME: an Elixir alias such as PingPong is the atom
// 'Elixir.PingPong' (as GenServer.call({PingPong, node}, ...) sends it); anything else is as given.
std::string registered_name_atom(std::string_view name);

}  // namespace distspec::node
