// Private: the state behind Node, and one distribution connection. Everything here runs on the
// node's I/O thread.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "distspec/node/corpus.hpp"
#include "distspec/node/epmd_client.hpp"
#include "distspec/node/log.hpp"
#include "distspec/node/node.hpp"
#include "distspec/node/processes.hpp"
#include "distspec/proto/connection.hpp"
#include "distspec/proto/handshake.hpp"

namespace distspec::node {

namespace asio = boost::asio;
using asio::ip::tcp;

struct CallState;  // one gen:call in flight (gen_call.cpp)

// A monitor's target (pid or name atom) as the control messages carry it.
proto::ProcessId process_id_of(const etf::Term& term);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  enum class Role { Initiator, Acceptor };
  enum class Phase { Handshake, Up, Closed };

  // Initiator: `target` is the node dialled. Acceptor: target is empty.
  Connection(Node::Impl& node, tcp::socket socket, Role role, std::string target);

  void start();
  // Only when Up. `queued` = encoded as OTP does for messages queued before the connection was up.
  void send(const proto::DistMessage& message, bool queued = false);
  // A message whose payload is written from its fields: Payload is proto::TaggedReply (gen:reply's
  // {Tag, Reply}) or proto::GenCallRequest (instantiated in connection.cpp).
  template <class Payload>
  void send(const proto::ControlMessage& control, const Payload& payload);
  void close(const std::string& reason);

  Role role() const { return role_; }
  Phase phase() const { return phase_; }
  const std::string& peer_name() const { return peer_; }  // the target, or the name it sent
  proto::DistFlags flags() const { return flags_; }
  bool has(proto::DistFlags flag) const { return (flags_ & flag) == flag; }
  // Whether OTP would put `op` on this connection (control-messages.md §3): monitor signals only
  // with DIST_MONITOR and DIST_MONITOR_NAME, ALIAS_SEND(_TT) only with ALIAS; the rest always.
  bool carries(proto::ControlOp op) const;
  bool hidden() const { return !(flags_ & proto::dflag::published); }
  const std::string& endpoint() const { return endpoint_; }
  std::optional<proto::HandshakeStatus> status() const { return machine_->status(); }

 private:
  void read();
  void on_bytes(std::span<const std::uint8_t> bytes);
  bool handshake_input(std::span<const std::uint8_t>& bytes);
  void connected_input(std::span<const std::uint8_t> bytes);
  void handshake_failed();
  void become_up();
  void flush_handshake_output();
  void schedule_flush();
  void write_next();
  void finish_close(const std::string& reason);
  void arm_setup_timer();
  void arm_tick_timer();
  std::chrono::milliseconds now() const;

  Node::Impl& node_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  Role role_;
  Phase phase_ = Phase::Handshake;
  std::string peer_;
  std::string endpoint_;
  std::unique_ptr<proto::HandshakeMachine> machine_;
  std::optional<proto::ConnectionReceiver> receiver_;
  std::optional<proto::ConnectionSender> sender_;
  std::optional<proto::TickPolicy> ticks_;
  proto::DistFlags flags_ = 0;
  // Output is corked: what one event produces (a monitor and a request, replies to a batch of
  // messages) is appended to pending_ and leaves in one write after the handler returns: the
  // read handler writes at its end, other events through one posted flush.
  std::vector<std::uint8_t> pending_;
  std::vector<std::uint8_t> in_flight_;  // the buffer async_write is sending
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool handling_input_ = false;  // inside the read handler, which writes pending_ when done
  bool closing_ = false;       // close() called; finish_close() once the final status is out
  std::string close_reason_;
  std::array<std::uint8_t, 65536> buffer_{};
  std::string corpus_in_, corpus_out_;  // partial handshake messages for the corpus recorder
};

struct Node::Impl : RemoteSignals {
  explicit Impl(NodeOptions options);

  // --- setup (before the I/O thread runs) ---
  Result<std::monostate, NodeError> open();
  void install_builtin_processes();

  // --- connections ---
  using ConnectDone = std::function<void(bool up)>;
  void connect_async(const std::string& node, ConnectDone done);
  void dial(const std::string& node);
  void accept_next();
  proto::ExistingConnection existing(const std::string& peer) const;
  void on_simultaneous(const std::string& peer, const Connection* keep);
  void on_up(const std::shared_ptr<Connection>& connection);
  void on_closed(const std::shared_ptr<Connection>& connection, const std::string& reason);
  void fail_pending(const std::string& node);
  std::shared_ptr<Connection> up_connection(std::string_view node) const;

  // --- messages ---
  void dispatch(Connection& connection, const proto::MessageView& message);
  // The line of a received message, built only when the message log budget admits it.
  template <class MakeLine>
  void log_message(MakeLine&& make_line) {
    std::size_t dropped = 0;
    bool admitted = message_log_budget.admit(MessageLogBudget::Clock::now(), dropped);
    log_dropped_message_lines(dropped);
    if (admitted) log.info(make_line());
    else if (!message_log_timer_armed) arm_message_log_timer();
  }
  void log_dropped_message_lines(std::size_t dropped);
  void arm_message_log_timer();  // reports the lines left out when their second ends
  // Sends (or queues while connecting, connecting if needed) a message to `node`; local delivery
  // when node is our own name.
  void route(const std::string& node, proto::DistMessage message);
  // The same, the message built by `make` only if it is to leave (or wait for the connection):
  // a monitor signal that the peer's flags rule out is not even built.
  // (A template, not a std::function: the callers' closures would not fit its inline buffer.)
  template <class Make>
  void route(const std::string& node, proto::ControlOp op, Make&& make);
  // (Messages by value: what leaves for another node is moved into the outgoing message.)
  void send_to_pid(const etf::Pid& from, const etf::Pid& to, etf::Term message);
  void send_to_name(const etf::Pid& from, const std::string& name, const std::string& node,
                    etf::Term message);
  void send_to_alias(const etf::Pid& from, const etf::Reference& alias, etf::Term message);
  // gen:reply(From, Reply): to the alias when the tag is [alias|Ref] and the caller's node has
  // ALIAS (as gen:reply does), else to the caller's pid.
  void gen_reply(const etf::Pid& server, const etf::TermRef& from, const etf::Term& reply);
  using CallDone = Node::CallDone;
  void gen_call(const std::string& node, const etf::Term& server, const etf::Term& request,
                std::chrono::milliseconds timeout, CallDone done);
  // gen:call's caller: one process makes every call (as an Erlang process calling servers one
  // after another), with a fresh monitor and alias per call; replies and DOWNs find their call by
  // its reference. Spawned on the first call, and again if something killed it.
  const etf::Pid& caller_process();
  void on_caller_message(const etf::TermRef& message);
  void start_call(const std::shared_ptr<CallState>& state, const etf::Term& server,
                  const etf::Term& request, std::chrono::milliseconds timeout);
  // Ends a call once (demonitor unless `down`, the alias goes, `done` runs).
  void finish_call(const std::shared_ptr<CallState>& state, Result<etf::Term, CallFailure> result,
                   bool down);
  void on_call_timer(boost::system::error_code ec);
  // Monitors `target` on `node` for `watcher` under `ref` (a fresh table->make_ref()); MONITOR_P
  // when the node is another.
  void monitor_remote(const etf::Reference& ref, const etf::Pid& watcher, const etf::Term& target,
                      const std::string& node);

  // RemoteSignals
  void send_exit(const etf::Pid& from, const etf::Pid& to, const etf::Term& reason) override;
  void send_down(const etf::Term& monitored, const etf::Pid& watcher, const etf::Reference& ref,
                 const etf::Term& reason) override;
  void send_demonitor(const etf::Pid& watcher, const etf::Term& target,
                      const std::string& target_node, const etf::Reference& ref) override;

  void record_term(const etf::Term& term) {
    if (corpus) corpus->record_term(term);
  }
  void shutdown();

  NodeOptions options;
  Logger log;
  MessageLogBudget message_log_budget;
  // Only the I/O thread touches sockets and timers (other threads post to it; open() runs before
  // the thread starts): the reactor may skip its per-operation locks.
  asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  tcp::acceptor acceptor;
  std::uint16_t listening_port = 0;  // set by open(): other threads read it, not the acceptor
  std::shared_ptr<EpmdRegistration> registration;
  std::uint32_t creation = 0;
  std::unique_ptr<ProcessTable> table;
  // Deadlines of the calls in flight, under one timer armed at the earliest: a timer per call
  // would update the timerfd (a syscall) on every call.
  using CallDeadlines = std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<CallState>>;
  CallDeadlines call_deadlines;
  std::optional<etf::Pid> caller;  // see caller_process()
  using Calls = std::map<etf::Reference, std::shared_ptr<CallState>, RefLess>;
  Calls calls;  // in flight, by monitor reference (also the alias and the tag)
  // gen_reply's message, kept across replies (assigned in place: no allocation per reply).
  proto::ControlMessage reply_control;
  etf::Reference reply_tag;
  asio::steady_timer call_timer{io};
  asio::steady_timer message_log_timer{io};
  bool message_log_timer_armed = false;
  std::chrono::steady_clock::time_point call_timer_at = std::chrono::steady_clock::time_point::max();
  std::optional<CorpusRecorder> corpus;
  std::mt19937 random;
  std::thread thread;
  bool stopping = false;

  std::set<std::shared_ptr<Connection>> connections;             // every live connection
  std::map<std::string, std::shared_ptr<Connection>, std::less<>> up;  // by peer name (also found by string_view)
  struct Pending {
    std::shared_ptr<Connection> connection;  // null while asking epmd or after 'nok'
    // Set when we answered the peer's own attempt with ok_simultaneous: our dial stops wherever it
    // is, and the waiters wait for that incoming connection (or fail with it).
    const Connection* peer_attempt = nullptr;
    std::vector<ConnectDone> waiters;
    std::vector<proto::DistMessage> queued;  // sent in order once up
  };
  // The attempt to `node` while our own dial to it should go on (not abandoned to the peer's).
  Pending* dialling(const std::string& node);
  std::map<std::string, Pending> pending;                        // outgoing attempts by target
};

template <class Make>
void Node::Impl::route(const std::string& node, proto::ControlOp op, Make&& make) {
  // Signals the peer's flags rule out are not sent, as OTP does; queued ones are checked when
  // the connection is up (on_up).
  if (auto c = up_connection(node)) {
    if (c->carries(op)) c->send(make());
    return;
  }
  auto it = pending.find(node);
  if (it == pending.end()) {
    connect_async(node, [](bool) {});
    it = pending.find(node);
    if (it == pending.end()) {  // failed at once (bad name): the message is dropped, as OTP does
      if (auto c = up_connection(node); c && c->carries(op)) c->send(make());
      return;
    }
  }
  it->second.queued.push_back(make());
}

// A tuple of the given terms, moved in (a braced list would copy each one deeply).
template <class... Terms>
etf::Term tuple_of(Terms&&... elements) {
  std::vector<etf::Term> v;
  v.reserve(sizeof...(Terms));
  (v.push_back(std::forward<Terms>(elements)), ...);
  return etf::Term::tuple(std::move(v));
}

// The Ref of a gen:call tag [alias | Ref], read in place; nullopt for any other term.
std::optional<etf::TermRef> alias_of_tag(const etf::TermRef& tag);

// "Name" for a log line: the pid as <node.id.serial> or the atom text.
std::string describe_pid(const etf::Pid& pid);

}  // namespace distspec::node
