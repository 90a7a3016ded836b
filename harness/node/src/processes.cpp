#include "distspec/node/processes.hpp"

#include <random>
#include <string_view>
#include <tuple>

#include "distspec/etf/encode.hpp"

namespace distspec::node {

using etf::Term;

bool PidLess::operator()(const etf::Pid& a, const etf::Pid& b) const {
  return std::tie(a.id, a.serial, a.creation, a.node.name) < std::tie(b.id, b.serial, b.creation, b.node.name);
}

namespace {

std::size_t word_count(const etf::Reference& r) { return r.ids.size(); }
std::uint32_t word(const etf::Reference& r, std::size_t i) { return r.ids[i]; }
std::string_view node_of(const etf::Reference& r) { return r.node.name; }
std::size_t word_count(const etf::ReferenceView& r) { return r.word_count; }
std::uint32_t word(const etf::ReferenceView& r, std::size_t i) { return r.word(i); }
std::string_view node_of(const etf::ReferenceView& r) { return r.node; }

// Words (lexicographically), creation, node name.
template <class A, class B>
bool reference_less(const A& a, const B& b) {
  const std::size_t na = word_count(a), nb = word_count(b);
  for (std::size_t i = 0; i < na && i < nb; ++i)
    if (word(a, i) != word(b, i)) return word(a, i) < word(b, i);
  if (na != nb) return na < nb;
  if (a.creation != b.creation) return a.creation < b.creation;
  return node_of(a) < node_of(b);
}

}  // namespace

bool RefLess::operator()(const etf::Reference& a, const etf::Reference& b) const { return reference_less(a, b); }
bool RefLess::operator()(const etf::ReferenceView& a, const etf::Reference& b) const { return reference_less(a, b); }
bool RefLess::operator()(const etf::Reference& a, const etf::ReferenceView& b) const { return reference_less(a, b); }

etf::Term exit_message(const etf::Pid& from, const etf::Term& reason) {
  return Term::tuple({Term::atom("EXIT"), Term::pid(from), reason});
}

etf::Term down_message(const etf::Reference& ref, const etf::Term& object, const etf::Term& reason) {
  return Term::tuple({Term::atom("DOWN"), Term::reference(ref), Term::atom("process"), object, reason});
}

ProcessTable::ProcessTable(std::string node_name, std::uint32_t creation, RemoteSignals& remote)
    : node_(std::move(node_name)), node_atom_{node_}, creation_(creation), remote_(remote) {
  // Random start so that references of successive incarnations do not repeat.
  std::random_device device;
  ref_counter_ = (std::uint64_t(device()) << 32) | device();
}

bool ProcessTable::is_local(const etf::Pid& pid) const {
  return pid.node.name == node_ && pid.creation == creation_;
}

etf::Pid ProcessTable::next_pid() {
  constexpr std::uint32_t kDataMask = (1u << (kPidIdBits + kPidSerialBits)) - 1;
  for (;;) {
    std::uint32_t data = next_pid_data_;
    next_pid_data_ = (next_pid_data_ + 1) & kDataMask;
    if (next_pid_data_ == 0) next_pid_data_ = 1;
    etf::Pid pid{node_atom_, data & ((1u << kPidIdBits) - 1), data >> kPidIdBits, creation_};
    if (!processes_.count(pid)) return pid;
  }
}

etf::Pid ProcessTable::spawn(MessageHandler handler, bool trap_exit) {
  Process process;
  process.handler = std::make_shared<MessageHandler>(std::move(handler));
  return add_process(std::move(process), trap_exit);
}

etf::Pid ProcessTable::spawn_tape_reader(TapeMessageHandler handler, bool trap_exit) {
  Process process;
  process.tape_handler = std::make_shared<TapeMessageHandler>(std::move(handler));
  return add_process(std::move(process), trap_exit);
}

etf::Pid ProcessTable::add_process(Process process, bool trap_exit) {
  etf::Pid pid = next_pid();
  process.trap_exit = trap_exit;
  processes_.emplace(pid, std::move(process));
  return pid;
}

bool ProcessTable::alive(const etf::Pid& pid) const { return processes_.count(pid) != 0; }

void ProcessTable::set_trap_exit(const etf::Pid& pid, bool trap) {
  if (auto it = processes_.find(pid); it != processes_.end()) it->second.trap_exit = trap;
}

etf::Reference ProcessTable::make_ref() {
  std::uint64_t n = ref_counter_++;
  std::uint32_t high = std::uint32_t(n >> 32);
  return etf::Reference{node_atom_, creation_,
                        {high & ((1u << kRefFirstWordBits) - 1), std::uint32_t(n), high >> 18}};
}

void ProcessTable::deliver(const etf::Pid& to, Process& process, const etf::Term& message) {
  if (process.tape_handler) {  // rare: local sends, the EXIT/DOWN messages built here
    auto bytes = etf::encode(message);
    if (auto tape = etf::decode_tape(bytes)) deliver(process, tape->root());
    return;
  }
  auto handler = process.handler;  // keeps the handler alive if it ends its own process
  if (handler && *handler) (*handler)(message);
}

void ProcessTable::deliver(Process& process, const etf::TermRef& message) {
  if (auto handler = process.tape_handler) {  // a copy: the handler may end its own process
    (*handler)(message);
    return;
  }
  auto handler = process.handler;
  if (handler && *handler) (*handler)(message.to_term());
}

bool ProcessTable::send(const etf::Pid& to, const etf::Term& message) {
  auto it = processes_.find(to);
  if (it == processes_.end()) return false;
  deliver(to, it->second, message);
  return true;
}

bool ProcessTable::send(const etf::Pid& to, const etf::TermRef& message) {
  auto it = processes_.find(to);
  if (it == processes_.end()) return false;
  deliver(it->second, message);
  return true;
}

std::optional<etf::Pid> ProcessTable::alias_owner(const etf::Reference& alias) const {
  auto it = aliases_.find(alias);
  if (it == aliases_.end()) return std::nullopt;
  return it->second;
}

etf::Reference ProcessTable::create_alias(const etf::Pid& owner) {
  etf::Reference ref = make_ref();
  add_alias(owner, ref);
  return ref;
}

void ProcessTable::add_alias(const etf::Pid& owner, const etf::Reference& alias) {
  if (processes_.count(owner)) aliases_.emplace(alias, owner);
}

void ProcessTable::remove_alias(const etf::Reference& alias) {
  aliases_.erase(alias);
}

bool ProcessTable::register_name(const std::string& name, const etf::Pid& pid) {
  auto it = processes_.find(pid);
  if (it == processes_.end() || names_.count(name)) return false;
  names_.emplace(name, pid);
  it->second.names.insert(name);
  return true;
}

void ProcessTable::unregister_name(const std::string& name) {
  auto it = names_.find(name);
  if (it == names_.end()) return;
  if (auto p = processes_.find(it->second); p != processes_.end()) p->second.names.erase(name);
  names_.erase(it);
}

std::optional<etf::Pid> ProcessTable::whereis(const std::string& name) const {
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

void ProcessTable::link(const etf::Pid& local, const etf::Pid& other) {
  auto it = processes_.find(local);
  if (it == processes_.end()) return;
  if (is_local(other)) {
    auto peer = processes_.find(other);
    if (peer == processes_.end()) {
      // link/1 to a dead local process: the linker gets an exit signal noproc.
      on_exit_signal(other, local, Term::atom("noproc"), false);
      return;
    }
    peer->second.links.insert(local);
  }
  it->second.links.insert(other);
}

void ProcessTable::unlink(const etf::Pid& local, const etf::Pid& other) {
  if (auto it = processes_.find(local); it != processes_.end()) it->second.links.erase(other);
  if (is_local(other))
    if (auto it = processes_.find(other); it != processes_.end()) it->second.links.erase(local);
}

bool ProcessTable::linked(const etf::Pid& a, const etf::Pid& b) const {
  auto it = processes_.find(a);
  return it != processes_.end() && it->second.links.count(b);
}

void ProcessTable::on_remote_link(const etf::Pid& remote, const etf::Pid& local) {
  auto it = processes_.find(local);
  if (it == processes_.end()) {
    remote_.send_exit(local, remote, Term::atom("noproc"));
    return;
  }
  it->second.links.insert(remote);
}

void ProcessTable::on_remote_unlink(const etf::Pid& remote, const etf::Pid& local) {
  if (auto it = processes_.find(local); it != processes_.end()) it->second.links.erase(remote);
}

void ProcessTable::on_exit_signal(const etf::Pid& from, const etf::Pid& to, const etf::Term& reason,
                                  bool via_link) {
  auto it = processes_.find(to);
  if (it == processes_.end()) return;
  if (via_link) {
    // A link exit for a link we do not hold is ignored (the link protocol's inactive state).
    if (!it->second.links.erase(from)) return;
  }
  bool kill = !via_link && reason.is_atom("kill");
  if (kill) {
    exit(to, Term::atom("killed"));
  } else if (it->second.trap_exit) {
    deliver(to, it->second, exit_message(from, reason));
  } else if (!reason.is_atom("normal")) {
    exit(to, reason);
  }
}

etf::Term ProcessTable::down_object(const Monitor& monitor) const {
  if (monitor.target.get_if<etf::Atom>())
    return Term::tuple({monitor.target, Term::atom(monitor.target_node)});
  return monitor.target;
}

void ProcessTable::fire_down(const etf::Reference& ref, const Monitor& monitor,
                             const etf::Term& reason) {
  if (is_local(monitor.watcher)) {
    auto it = processes_.find(monitor.watcher);
    if (it == processes_.end()) return;
    deliver(monitor.watcher, it->second, down_message(ref, down_object(monitor), reason));
  } else {
    remote_.send_down(monitor.target, monitor.watcher, ref, reason);
  }
}

etf::Reference ProcessTable::monitor(const etf::Pid& watcher, const etf::Term& target,
                                     const std::string& target_node) {
  etf::Reference ref = make_ref();
  monitor(ref, watcher, target, target_node);
  return ref;
}

void ProcessTable::monitor(const etf::Reference& ref, const etf::Pid& watcher, const etf::Term& target,
                           const std::string& target_node) {
  Monitor m{watcher, target, target_node, std::nullopt};
  if (target_node == node_) {
    if (auto* pid = target.get_if<etf::Pid>(); pid && alive(*pid)) m.target_pid = *pid;
    if (auto* name = target.get_if<etf::Atom>()) m.target_pid = whereis(name->name);
    if (!m.target_pid) {
      fire_down(ref, m, Term::atom("noproc"));
      return;
    }
  }
  monitors_.emplace(ref, std::move(m));
}

std::optional<std::pair<etf::Term, std::string>> ProcessTable::demonitor(const etf::Reference& ref) {
  auto it = monitors_.find(ref);
  if (it == monitors_.end()) return std::nullopt;
  auto result = std::make_pair(std::move(it->second.target), std::move(it->second.target_node));  // erased below
  monitors_.erase(it);
  return result;
}

void ProcessTable::on_remote_monitor(const etf::Pid& watcher, etf::Term target_term, const etf::Reference& ref) {
  Monitor m{watcher, std::move(target_term), node_, std::nullopt};
  const etf::Term& target = m.target;
  if (auto* pid = target.get_if<etf::Pid>(); pid && alive(*pid)) m.target_pid = *pid;
  if (auto* name = target.get_if<etf::Atom>()) m.target_pid = whereis(name->name);
  if (!m.target_pid) {
    remote_.send_down(target, watcher, ref, Term::atom("noproc"));
    return;
  }
  monitors_.emplace(ref, std::move(m));
}

void ProcessTable::on_remote_demonitor(const etf::Reference& ref) {
  auto it = monitors_.find(ref);
  if (it != monitors_.end() && !is_local(it->second.watcher)) monitors_.erase(it);
}

void ProcessTable::on_remote_down(const etf::Reference& ref, const etf::Term& reason) {
  auto it = monitors_.find(ref);
  if (it == monitors_.end() || !is_local(it->second.watcher) || it->second.target_node == node_)
    return;
  Monitor m = std::move(it->second);
  monitors_.erase(it);
  fire_down(ref, m, reason);
}

void ProcessTable::exit(const etf::Pid& pid, const etf::Term& reason) {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return;
  Process process = std::move(it->second);
  processes_.erase(it);
  for (const auto& name : process.names) names_.erase(name);
  std::erase_if(aliases_, [&](const auto& alias) { return alias.second == pid; });
  // In one pass: the monitors it held (gone, with a DEMONITOR_P for each remote target) and the
  // monitors on it (they fire). Collected first: sending and delivering may reach back into the
  // table.
  std::vector<std::pair<etf::Reference, Monitor>> held, fired;
  for (auto m = monitors_.begin(); m != monitors_.end();) {
    auto* into = m->second.watcher == pid ? &held
                 : (m->second.target_pid && *m->second.target_pid == pid) ? &fired
                                                                           : nullptr;
    if (!into) {
      ++m;
      continue;
    }
    into->emplace_back(m->first, std::move(m->second));
    m = monitors_.erase(m);
  }
  for (const auto& [ref, m] : held)
    if (m.target_node != node_) remote_.send_demonitor(pid, m.target, m.target_node, ref);
  for (auto& [ref, m] : fired) fire_down(ref, m, reason);
  for (const auto& other : process.links) {
    if (is_local(other))
      on_exit_signal(pid, other, reason, true);
    else
      remote_.send_exit(pid, other, reason);
  }
}

void ProcessTable::node_down(const std::string& node) {
  Term noconnection = Term::atom("noconnection");
  std::vector<std::pair<etf::Reference, Monitor>> fired;
  for (auto m = monitors_.begin(); m != monitors_.end();) {
    bool watcher_there = m->second.watcher.node.name == node;
    bool target_there = m->second.target_node == node;
    if (target_there && is_local(m->second.watcher)) {
      fired.emplace_back(m->first, std::move(m->second));
      m = monitors_.erase(m);
    } else if (watcher_there) {
      m = monitors_.erase(m);
    } else {
      ++m;
    }
  }
  for (auto& [ref, m] : fired) fire_down(ref, m, noconnection);
  std::vector<std::pair<etf::Pid, etf::Pid>> broken;  // {remote, local}
  for (const auto& [pid, process] : processes_)
    for (const auto& other : process.links)
      if (other.node.name == node) broken.emplace_back(other, pid);
  for (const auto& [remote, local] : broken) on_exit_signal(remote, local, noconnection, true);
}

}  // namespace distspec::node
