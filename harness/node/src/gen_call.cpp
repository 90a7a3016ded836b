// gen:call as a client (the monitor + alias path OTP uses for remote servers), the processes the
// node hosts (net_kernel, PingPong), mailboxes, and the blocking API around them.
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <utility>

#include "node_impl.hpp"

namespace distspec::node {

using etf::Term;

struct CallState {
  bool done = false;
  std::optional<Node::Impl::Calls::iterator> entry;  // in `calls`, under the call's reference
  bool alias_tag = false;  // the tag is [alias | Ref], else Ref
  std::string node;
  std::optional<Node::Impl::CallDeadlines::iterator> deadline;
  Node::Impl::CallDone callback;
};

namespace {

using etf::TermRef;
using Kind = Term::Kind;

struct GenCall {
  TermRef from;     // {Pid, Tag}
  TermRef request;
};

// {'$gen_call', From, Request}, read in place.
std::optional<GenCall> as_gen_call(const TermRef& message) {
  if (message.kind() != Kind::Tuple || message.arity() != 3) return std::nullopt;
  TermRef head = message.element(0);
  if (head.kind() != Kind::Atom || head.atom_name() != "$gen_call") return std::nullopt;
  TermRef from = head.next();
  return GenCall{from, from.next()};
}

bool is_atom(const TermRef& t, std::string_view name) {
  return t.kind() == Kind::Atom && t.atom_name() == name;
}

class MailboxImpl final : public Mailbox {
 public:
  const etf::Pid& pid() const override { return pid_; }
  std::optional<Term> receive(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return !queue_.empty(); })) return std::nullopt;
    Term t = std::move(queue_.front());
    queue_.pop_front();
    return t;
  }
  void push(const Term& t) {
    std::lock_guard lock(mutex_);
    queue_.push_back(t);
    changed_.notify_all();
  }
  etf::Pid pid_;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Term> queue_;
};

}  // namespace

void Node::Impl::install_builtin_processes() {
  // net_kernel: {is_auth, Node} -> yes, which is what makes :net_adm.ping answer pong.
  auto net_kernel = std::make_shared<etf::Pid>();
  *net_kernel = table->spawn_tape_reader([this, net_kernel](const TermRef& message) {
    auto call = as_gen_call(message);
    if (!call) return;
    const TermRef& request = call->request;
    if (request.kind() == Kind::Tuple && request.arity() == 2 && is_atom(request.element(0), "is_auth"))
      gen_reply(*net_kernel, call->from, Term::atom("yes"));
  });
  table->register_name("net_kernel", *net_kernel);

  if (!options.host_ping_pong) return;
  auto ping_pong = std::make_shared<etf::Pid>();
  auto pings = std::make_shared<std::int64_t>(0);
  *ping_pong = table->spawn_tape_reader([this, ping_pong, pings](const TermRef& message) {
    auto call = as_gen_call(message);
    if (!call) return;
    if (is_atom(call->request, "ping")) {
      ++*pings;
      static const Term pong = Term::atom("pong");
      gen_reply(*ping_pong, call->from, pong);
    } else if (is_atom(call->request, "count")) {
      gen_reply(*ping_pong, call->from, Term::integer(*pings));
    } else {
      gen_reply(*ping_pong, call->from, Term::tuple({Term::atom("error"), Term::atom("unknown_call")}));
    }
  });
  table->register_name("Elixir.PingPong", *ping_pong);
}

void Node::Impl::gen_call(const std::string& node, const Term& server, const Term& request,
                          std::chrono::milliseconds timeout, CallDone done) {
  auto state = std::make_shared<CallState>();
  state->node = node;
  state->callback = std::move(done);
  if (node == options.name || up.count(node)) return start_call(state, server, request, timeout);
  connect_async(node, [this, state, server, request, timeout](bool up) {
    if (!up)
      return finish_call(state, CallFailure{Term::tuple({Term::atom("nodedown"), Term::atom(state->node)})}, true);
    start_call(state, server, request, timeout);
  });
}

const etf::Pid& Node::Impl::caller_process() {
  if (!caller || !table->alive(*caller))  // (a peer may have killed it: its calls time out)
    caller = table->spawn_tape_reader([this](const TermRef& message) { on_caller_message(message); });
  return *caller;
}

void Node::Impl::on_caller_message(const TermRef& message) {
  if (message.kind() != Kind::Tuple) return;
  if (message.arity() == 2) {  // {Tag, Reply}; a reply to a call that is over is dropped
    TermRef tag = message.element(0);
    std::optional<TermRef> alias = alias_of_tag(tag);
    TermRef ref = alias ? *alias : tag;
    if (ref.kind() != Kind::Reference) return;
    auto it = calls.find(ref.reference());
    if (it == calls.end() || it->second->alias_tag != alias.has_value()) return;
    auto state = it->second;  // finish_call erases the entry
    return finish_call(state, tag.next().to_term(), false);
  }
  if (message.arity() == 5 && is_atom(message.element(0), "DOWN")) {
    TermRef ref = message.element(1);
    if (ref.kind() != Kind::Reference) return;
    auto it = calls.find(ref.reference());
    if (it == calls.end()) return;
    auto state = it->second;
    Term reason = message.element(4).to_term();
    if (reason.is_atom("noconnection"))
      return finish_call(state, CallFailure{Term::tuple({Term::atom("nodedown"), Term::atom(state->node)})}, true);
    return finish_call(state, CallFailure{reason}, true);
  }
}

void Node::Impl::start_call(const std::shared_ptr<CallState>& state, const Term& server,
                            const Term& request, std::chrono::milliseconds timeout) {
  const etf::Pid& from = caller_process();
  auto c = up_connection(state->node);
  auto at = std::chrono::steady_clock::now() + timeout;
  state->deadline = call_deadlines.emplace(at, state);
  if (at < call_timer_at) {
    call_timer_at = at;
    call_timer.expires_at(at);
    call_timer.async_wait([this](boost::system::error_code ec) { on_call_timer(ec); });
  }
  // Registered before the monitor: a local target that does not exist fires its DOWN at once.
  state->entry = calls.emplace(table->make_ref(), state).first;
  const etf::Reference& ref = (*state->entry)->first;
  monitor_remote(ref, from, server, state->node);
  if (state->done) return;  // that DOWN (noproc) ended the call
  // The tag is [alias | Ref] when the peer has ALIAS (OTP drops alias replies to peers without
  // it), else Ref.
  bool alias = state->node == options.name || (c && c->has(proto::dflag::alias));
  if (alias) table->add_alias(from, ref);
  state->alias_tag = alias;
  // The usual call (a registered name on a node we are connected to) is written from its fields;
  // the others are built as a Term and routed.
  if (auto* name = server.get_if<etf::Atom>(); name && c && state->node != options.name) {
    c->send(proto::RegSend{from, proto::kUnusedAtom, *name}, proto::GenCallRequest{from, ref, alias, request});
    return;
  }
  Term tag = Term::reference(ref);
  if (alias) {
    std::vector<Term> alias_atom;
    alias_atom.push_back(Term::atom("alias"));
    tag = Term::list(std::move(alias_atom), std::move(tag));
  }
  Term message = tuple_of(Term::atom("$gen_call"), tuple_of(Term::pid(from), std::move(tag)), request);
  // (A local call may be over when the send returns: nothing after it reads `state` or `from`.)
  if (auto* pid = server.get_if<etf::Pid>())
    send_to_pid(from, *pid, std::move(message));
  else
    send_to_name(from, server.as_atom().name, state->node, std::move(message));
}

void Node::Impl::finish_call(const std::shared_ptr<CallState>& state, Result<Term, CallFailure> result,
                             bool down) {
  if (state->done) return;
  state->done = true;
  if (state->deadline) call_deadlines.erase(*std::exchange(state->deadline, std::nullopt));
  if (state->entry) {
    auto entry = calls.extract(*std::exchange(state->entry, std::nullopt));
    etf::Reference& ref = entry.key();
    if (state->alias_tag) table->remove_alias(ref);  // a late reply to it is dropped
    // (The call is over: its reference moves into the DEMONITOR_P.)
    std::optional<std::pair<Term, std::string>> target;
    if (!down) target = table->demonitor(ref);
    if (target && target->second != options.name)
      route(target->second, proto::ControlOp::DemonitorP, [&]() -> proto::DistMessage {
        return {proto::DemonitorP{*caller, process_id_of(target->first), std::move(ref)}, std::nullopt};
      });
  }
  auto callback = std::move(state->callback);
  callback(std::move(result));
}

void Node::Impl::on_call_timer(boost::system::error_code ec) {
  if (ec) return;  // re-armed earlier, or the node is stopping
  call_timer_at = std::chrono::steady_clock::time_point::max();
  auto now = std::chrono::steady_clock::now();
  while (!call_deadlines.empty() && call_deadlines.begin()->first <= now) {
    auto state = call_deadlines.begin()->second;
    call_deadlines.erase(call_deadlines.begin());
    state->deadline.reset();
    finish_call(state, CallFailure{Term::atom("timeout")}, false);
  }
  if (call_deadlines.empty()) return;
  call_timer_at = call_deadlines.begin()->first;
  call_timer.expires_at(call_timer_at);
  call_timer.async_wait([this](boost::system::error_code ec) { on_call_timer(ec); });
}

// --- blocking API ---

namespace {
template <class T>
struct Waiter {
  std::promise<T> promise;
  std::future<T> future = promise.get_future();
};
}  // namespace

void Node::call_async(const std::string& node, const std::string& name, const Term& request,
                      std::chrono::milliseconds timeout, CallDone done) {
  // On the I/O thread (from `done`) the next call starts at once, its arguments not copied.
  if (impl_->io.get_executor().running_in_this_thread())
    return impl_->gen_call(node, Term::atom(name), request, timeout, std::move(done));
  boost::asio::post(impl_->io, [impl = impl_.get(), node, name, request, timeout, done = std::move(done)]() mutable {
    impl->gen_call(node, Term::atom(name), request, timeout, std::move(done));
  });
}

Result<Term, CallFailure> Node::call(const std::string& node, const std::string& name,
                                     const Term& request, std::chrono::milliseconds timeout) {
  auto waiter = std::make_shared<Waiter<Result<Term, CallFailure>>>();
  call_async(node, name, request, timeout,
             [waiter](Result<Term, CallFailure> r) { waiter->promise.set_value(std::move(r)); });
  // The call's own timer ends it; the margin covers a stalled connection setup.
  if (waiter->future.wait_for(timeout + impl_->options.setup_time * 2) != std::future_status::ready)
    return CallFailure{Term::atom("timeout")};
  return waiter->future.get();
}

bool Node::ping(const std::string& node, std::chrono::milliseconds timeout) {
  auto reply = call(node, "net_kernel", Term::tuple({Term::atom("is_auth"), Term::atom(impl_->options.name)}),
                    timeout);
  if (reply && reply.value().is_atom("yes")) return true;
  disconnect(node);  // net_adm:ping does erlang:disconnect_node/1 on failure
  return false;
}

std::shared_ptr<Mailbox> Node::make_mailbox(std::optional<std::string> registered_name) {
  auto mailbox = std::make_shared<MailboxImpl>();
  std::promise<bool> done;
  boost::asio::post(impl_->io, [&] {
    std::weak_ptr<MailboxImpl> weak = mailbox;
    mailbox->pid_ = impl_->table->spawn(
        [weak](const Term& message) {
          if (auto m = weak.lock()) m->push(message);
        },
        true);
    if (registered_name) impl_->table->register_name(*registered_name, mailbox->pid_);
    done.set_value(true);
  });
  done.get_future().get();
  return mailbox;
}

void Node::send(const etf::Pid& from, const etf::Pid& to, const Term& message) {
  boost::asio::post(impl_->io, [impl = impl_.get(), from, to, message] { impl->send_to_pid(from, to, message); });
}

void Node::send_named(const etf::Pid& from, const std::string& name, const std::string& node,
                      const Term& message) {
  boost::asio::post(impl_->io, [impl = impl_.get(), from, name, node, message] {
    impl->send_to_name(from, name, node, message);
  });
}

etf::Reference Node::monitor(const etf::Pid& watcher, const Term& target, const std::string& node) {
  std::promise<etf::Reference> promise;
  auto future = promise.get_future();
  boost::asio::post(impl_->io, [&] {
    etf::Reference ref = impl_->table->make_ref();
    impl_->monitor_remote(ref, watcher, target, node);
    promise.set_value(std::move(ref));
  });
  return future.get();
}

std::string registered_name_atom(std::string_view name) {
  const bool elixir_alias = !name.empty() && name[0] >= 'A' && name[0] <= 'Z';
  if (elixir_alias && !name.starts_with("Elixir.")) return "Elixir." + std::string(name);
  return std::string(name);
}

}  // namespace distspec::node
