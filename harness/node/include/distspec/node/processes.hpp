// The node-local process model: pids, mailboxes, registered names, aliases, links and monitors.
//
// Pure bookkeeping with no I/O and no threads: the node calls it from its one I/O thread and
// receives, through RemoteSignals, the signals that must leave for other nodes. Semantics follow
// the Erlang ones that peers can observe:
// - Pids use OTP 25's external ranges: ID < 2^15, Serial < 2^13 (the 28-bit pid data split as
//   erts does); allocation walks the 28-bit space and skips live pids, so a pid is not reused
//   until the space wraps. References have 3 words, the first below 2^18, as OTP 25 makes them.
// - A process that exits breaks its links (exit signal with its reason), fires the monitors on it
//   ({'DOWN', Ref, process, Pid | {Name, Node}, Reason} locally, a DOWN signal to remote
//   watchers) and loses its names and aliases.
// - node_down(N) acts as if every process of N exited with `noconnection`, for the links and
//   monitors held here, and forgets monitors that processes of N held on ours.
// - An exit signal to a process that does not trap exits kills it unless the reason is `normal`
//   (`kill` kills even a trapping process, with reason `killed`).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "distspec/etf/tape.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::node {

inline constexpr std::uint32_t kPidIdBits = 15;      // OTP 25: _PID_NUM_SIZE
inline constexpr std::uint32_t kPidSerialBits = 13;  // OTP 25: _PID_DATA_SIZE 28 - 15
inline constexpr std::uint32_t kRefFirstWordBits = 18;

// Compares pids/references by value, for use as map keys.
struct TermLess {
  bool operator()(const etf::Term& a, const etf::Term& b) const { return compare(a, b) < 0; }
};
// The numbers come first and the node name last: keys of one node differ in their numbers, so a
// lookup rarely compares names (strings, on the heap past 15 bytes). Nothing relies on the order.
struct PidLess {
  bool operator()(const etf::Pid& a, const etf::Pid& b) const;
};
// Transparent: a reference read in place (a reply's tag) finds its entry without being copied.
struct RefLess {
  using is_transparent = void;
  bool operator()(const etf::Reference& a, const etf::Reference& b) const;
  bool operator()(const etf::ReferenceView& a, const etf::Reference& b) const;
  bool operator()(const etf::Reference& a, const etf::ReferenceView& b) const;
};

// Signals that the process table wants delivered to processes of other nodes.
class RemoteSignals {
 public:
  virtual ~RemoteSignals() = default;
  // A link broke (or a LINK arrived for a pid that does not exist: reason noproc).
  virtual void send_exit(const etf::Pid& from, const etf::Pid& to, const etf::Term& reason) = 0;
  // A monitored local process (named `monitored`: pid or name atom, as the watcher asked) is gone.
  virtual void send_down(const etf::Term& monitored, const etf::Pid& watcher,
                         const etf::Reference& ref, const etf::Term& reason) = 0;
  // A local watcher exited while monitoring `target` (pid or atom) on another node.
  virtual void send_demonitor(const etf::Pid& watcher, const etf::Term& target,
                              const std::string& target_node, const etf::Reference& ref) = 0;
};

using MessageHandler = std::function<void(const etf::Term& message)>;
// A handler that reads its messages in place (the node's own servers and callers): a message
// from another node reaches it as the receiver decoded it, without an owned Term. A Term sent
// to such a process (a local send, the table's EXIT/DOWN messages) is encoded and read back.
using TapeMessageHandler = std::function<void(const etf::TermRef& message)>;

class ProcessTable {
 public:
  ProcessTable(std::string node_name, std::uint32_t creation, RemoteSignals& remote);

  const std::string& node_name() const { return node_; }
  std::uint32_t creation() const { return creation_; }
  bool is_local(const etf::Pid& pid) const;

  etf::Pid spawn(MessageHandler handler, bool trap_exit = false);
  etf::Pid spawn_tape_reader(TapeMessageHandler handler, bool trap_exit = false);
  bool alive(const etf::Pid& pid) const;
  void set_trap_exit(const etf::Pid& pid, bool trap);
  // The process ends with `reason` (links, monitors, names and aliases as described above).
  void exit(const etf::Pid& pid, const etf::Term& reason);

  etf::Reference make_ref();

  // Names: false when the name is taken or the process is not alive.
  bool register_name(const std::string& name, const etf::Pid& pid);
  void unregister_name(const std::string& name);
  std::optional<etf::Pid> whereis(const std::string& name) const;

  // Mailbox delivery; false (message dropped, as the runtime does) when nobody is there. A
  // message on a tape (from another node) is valid only during the call.
  bool send(const etf::Pid& to, const etf::Term& message);
  bool send(const etf::Pid& to, const etf::TermRef& message);
  // To a registered name or an alias; Message is etf::Term or etf::TermRef.
  // (The pid is looked up, not copied: a node name past 15 bytes is a heap string. send() reads
  // `to` only to find the process, before the handler may change the table.)
  template <class Message>
  bool send_named(const std::string& name, const Message& message) {
    auto it = names_.find(name);
    return it != names_.end() && send(it->second, message);
  }
  template <class Message>
  bool send_alias(const etf::Reference& alias, const Message& message) {
    auto it = aliases_.find(alias);
    return it != aliases_.end() && send(it->second, message);
  }
  std::optional<etf::Pid> alias_owner(const etf::Reference& alias) const;

  etf::Reference create_alias(const etf::Pid& owner);
  // Makes an existing reference (e.g. a monitor reference, as gen:call does) an alias of owner.
  void add_alias(const etf::Pid& owner, const etf::Reference& alias);
  void remove_alias(const etf::Reference& alias);

  // Links. `other` may be remote: the caller sends the LINK signal itself.
  void link(const etf::Pid& local, const etf::Pid& other);
  void unlink(const etf::Pid& local, const etf::Pid& other);
  bool linked(const etf::Pid& a, const etf::Pid& b) const;
  // A LINK signal from a remote process (answers noproc when `local` is gone).
  void on_remote_link(const etf::Pid& remote, const etf::Pid& local);
  void on_remote_unlink(const etf::Pid& remote, const etf::Pid& local);
  // An exit signal; `via_link` = EXIT (link broke), otherwise EXIT2 (exit/2).
  void on_exit_signal(const etf::Pid& from, const etf::Pid& to, const etf::Term& reason,
                      bool via_link);

  // Monitors by local watchers. target is a pid or a name atom; target_node is where it lives.
  // Returns the monitor reference (the caller sends MONITOR_P when the target is remote).
  etf::Reference monitor(const etf::Pid& watcher, const etf::Term& target,
                         const std::string& target_node);
  // The same under `ref`, a fresh make_ref() the caller keeps: it knows the reference before a
  // local target that does not exist fires its DOWN (at once, from inside this call).
  void monitor(const etf::Reference& ref, const etf::Pid& watcher, const etf::Term& target,
               const std::string& target_node);
  // Removes a monitor held by a local watcher; returns {target, target_node} if it existed.
  std::optional<std::pair<etf::Term, std::string>> demonitor(const etf::Reference& ref);
  // MONITOR_P / DEMONITOR_P / DOWN from a remote node.
  void on_remote_monitor(const etf::Pid& watcher, etf::Term target, const etf::Reference& ref);
  void on_remote_demonitor(const etf::Reference& ref);
  void on_remote_down(const etf::Reference& ref, const etf::Term& reason);

  void node_down(const std::string& node);

  std::size_t process_count() const { return processes_.size(); }
  std::size_t monitor_count() const { return monitors_.size(); }

 private:
  struct Process {
    // One of the two is set. Shared: a handler may end its own process.
    std::shared_ptr<MessageHandler> handler;
    std::shared_ptr<TapeMessageHandler> tape_handler;
    bool trap_exit = false;
    std::set<etf::Pid, PidLess> links;
    std::set<std::string> names;
    // (Its aliases and the monitors it holds are found by a scan of aliases_ / monitors_ when it
    // exits: a process that makes a monitor and an alias per call, as gen:call does, keeps no
    // second copy of each.)
  };
  struct Monitor {
    etf::Pid watcher;
    etf::Term target;         // pid or name atom, as given
    std::string target_node;
    std::optional<etf::Pid> target_pid;  // resolved when the target is local
  };

  // Processes are keyed by their pid's 28 bits of data (ID | Serial << 15): every one of them
  // is local, so a pid of another node or incarnation is no key at all, and a lookup compares
  // the node name once instead of at every step of the tree (a heap string past 15 bytes).
  using PidKey = std::uint32_t;
  std::optional<PidKey> key_of(const etf::Pid& pid) const;
  etf::Pid pid_of(PidKey key) const;
  Process* find_process(const etf::Pid& pid);
  const Process* find_process(const etf::Pid& pid) const;

  etf::Pid next_pid();
  etf::Pid add_process(Process process, bool trap_exit);  // under a fresh pid
  void deliver(const etf::Pid& to, Process& process, const etf::Term& message);
  void deliver(Process& process, const etf::TermRef& message);
  void fire_down(const etf::Reference& ref, const Monitor& monitor, const etf::Term& reason);
  etf::Term down_object(const Monitor& monitor) const;

  std::string node_;
  etf::Atom node_atom_;
  std::uint32_t creation_;
  RemoteSignals& remote_;
  std::uint32_t next_pid_data_ = 1;  // <0.0.0> is init on a BEAM node; start after it
  std::uint64_t ref_counter_;
  std::map<PidKey, Process> processes_;
  std::unordered_map<std::string, etf::Pid> names_;
  std::map<etf::Reference, etf::Pid, RefLess> aliases_;
  std::map<etf::Reference, Monitor, RefLess> monitors_;
  // Links between a local process and a remote one, by remote node, for node_down.
};

// Messages the table builds: {'EXIT', From, Reason} and {'DOWN', Ref, process, Obj, Reason}.
etf::Term exit_message(const etf::Pid& from, const etf::Term& reason);
etf::Term down_message(const etf::Reference& ref, const etf::Term& object, const etf::Term& reason);

}  // namespace distspec::node
