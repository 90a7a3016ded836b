#include "distspec/node/processes.hpp"

#include <random>
#include <utility>
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

std::optional<ProcessTable::PidKey> ProcessTable::key_of(const etf::Pid& pid) const {
  if (pid.id >> kPidIdBits || pid.serial >> kPidSerialBits || !is_local(pid)) return std::nullopt;
  return pid.id | pid.serial << kPidIdBits;
}

etf::Pid ProcessTable::pid_of(PidKey key) const {
  return etf::Pid{node_atom_, key & ((1u << kPidIdBits) - 1), key >> kPidIdBits, creation_};
}

ProcessTable::Process* ProcessTable::find_process(const etf::Pid& pid) {
  return const_cast<Process*>(std::as_const(*this).find_process(pid));
}

const ProcessTable::Process* ProcessTable::find_process(const etf::Pid& pid) const {
  auto key = key_of(pid);
  if (!key) return nullptr;
  auto it = processes_.find(*key);
  return it == processes_.end() ? nullptr : &it->second;
}

etf::Pid ProcessTable::next_pid() {
  constexpr std::uint32_t kDataMask = (1u << (kPidIdBits + kPidSerialBits)) - 1;
  for (;;) {
    std::uint32_t data = next_pid_data_;
    next_pid_data_ = (next_pid_data_ + 1) & kDataMask;
    if (next_pid_data_ == 0) next_pid_data_ = 1;
    if (!processes_.count(data)) return pid_of(data);
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
  processes_.emplace(*key_of(pid), std::move(process));
  return pid;
}

bool ProcessTable::alive(const etf::Pid& pid) const { return find_process(pid) != nullptr; }

void ProcessTable::set_trap_exit(const etf::Pid& pid, bool trap) {
  if (Process* p = find_process(pid)) p->trap_exit = trap;
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
  Process* p = find_process(to);
  if (!p) return false;
  deliver(to, *p, message);
  return true;
}

bool ProcessTable::send(const etf::Pid& to, const etf::TermRef& message) {
  Process* p = find_process(to);
  if (!p) return false;
  deliver(*p, message);
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
  if (alive(owner)) aliases_.emplace(alias, owner);
}

void ProcessTable::remove_alias(const etf::Reference& alias) {
  aliases_.erase(alias);
}

bool ProcessTable::register_name(const std::string& name, const etf::Pid& pid) {
  Process* p = find_process(pid);
  if (!p || names_.count(name)) return false;
  names_.emplace(name, pid);
  p->names.insert(name);
  return true;
}

void ProcessTable::unregister_name(const std::string& name) {
  auto it = names_.find(name);
  if (it == names_.end()) return;
  if (Process* p = find_process(it->second)) p->names.erase(name);
  names_.erase(it);
}

std::optional<etf::Pid> ProcessTable::whereis(const std::string& name) const {
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

void ProcessTable::link(const etf::Pid& local, const etf::Pid& other) {
  Process* p = find_process(local);
  if (!p) return;
  if (is_local(other)) {
    Process* peer = find_process(other);
    if (!peer) {
      // link/1 to a dead local process: the linker gets an exit signal noproc.
      on_exit_signal(other, local, Term::atom("noproc"), false);
      return;
    }
    peer->links.insert(local);
  }
  p->links.insert(other);
}

void ProcessTable::unlink(const etf::Pid& local, const etf::Pid& other) {
  if (Process* p = find_process(local)) p->links.erase(other);
  if (Process* p = find_process(other)) p->links.erase(local);
}

bool ProcessTable::linked(const etf::Pid& a, const etf::Pid& b) const {
  const Process* p = find_process(a);
  return p && p->links.count(b);
}

void ProcessTable::on_remote_link(const etf::Pid& remote, const etf::Pid& local) {
  Process* p = find_process(local);
  if (!p) {
    remote_.send_exit(local, remote, Term::atom("noproc"));
    return;
  }
  p->links.insert(remote);
}

void ProcessTable::on_remote_unlink(const etf::Pid& remote, const etf::Pid& local) {
  if (Process* p = find_process(local)) p->links.erase(remote);
}

void ProcessTable::on_exit_signal(const etf::Pid& from, const etf::Pid& to, const etf::Term& reason,
                                  bool via_link) {
  Process* p = find_process(to);
  if (!p) return;
  if (via_link) {
    // A link exit for a link we do not hold is ignored (the link protocol's inactive state).
    if (!p->links.erase(from)) return;
  }
  bool kill = !via_link && reason.is_atom("kill");
  if (kill) {
    exit(to, Term::atom("killed"));
  } else if (p->trap_exit) {
    deliver(to, *p, exit_message(from, reason));
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
    Process* p = find_process(monitor.watcher);
    if (!p) return;
    deliver(monitor.watcher, *p, down_message(ref, down_object(monitor), reason));
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
  auto key = key_of(pid);
  auto it = key ? processes_.find(*key) : processes_.end();
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
  for (const auto& [key, process] : processes_)
    for (const auto& other : process.links)
      if (other.node.name == node) broken.emplace_back(other, pid_of(key));
  for (const auto& [remote, local] : broken) on_exit_signal(remote, local, noconnection, true);
}

}  // namespace distspec::node
