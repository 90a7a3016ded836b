// gen:call as a client (the monitor + alias path OTP uses for remote servers), the processes the
// node hosts (net_kernel, PingPong), mailboxes, and the blocking API around them.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <future>

#include "node_impl.hpp"

namespace distspec::node {

using etf::Term;

namespace {

// {'$gen_call', From, Request} -> (From, Request), views into message.
std::optional<std::pair<const Term*, const Term*>> as_gen_call(const Term& message) {
  auto* t = message.get_if<etf::Tuple>();
  if (!t || t->elements.size() != 3 || !t->elements[0].is_atom("$gen_call")) return std::nullopt;
  return std::make_pair(&t->elements[1], &t->elements[2]);
}

struct CallState {
  bool done = false;
  std::optional<etf::Reference> ref;
  Term tag;
  etf::Pid caller;
  std::string node;
  std::unique_ptr<boost::asio::steady_timer> timer;
  Node::Impl::CallDone callback;
};

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
  *net_kernel = table->spawn([this, net_kernel](const Term& message) {
    auto call = as_gen_call(message);
    if (!call) return;
    auto* request = call->second->get_if<etf::Tuple>();
    if (request && request->elements.size() == 2 && request->elements[0].is_atom("is_auth"))
      gen_reply(*net_kernel, *call->first, Term::atom("yes"));
  });
  table->register_name("net_kernel", *net_kernel);

  if (!options.host_ping_pong) return;
  auto ping_pong = std::make_shared<etf::Pid>();
  auto pings = std::make_shared<std::int64_t>(0);
  *ping_pong = table->spawn([this, ping_pong, pings](const Term& message) {
    auto call = as_gen_call(message);
    if (!call) return;
    if (call->second->is_atom("ping")) {
      ++*pings;
      gen_reply(*ping_pong, *call->first, Term::atom("pong"));
    } else if (call->second->is_atom("count")) {
      gen_reply(*ping_pong, *call->first, Term::integer(*pings));
    } else {
      gen_reply(*ping_pong, *call->first, Term::tuple({Term::atom("error"), Term::atom("unknown_call")}));
    }
  });
  table->register_name("Elixir.PingPong", *ping_pong);
}

void Node::Impl::gen_call(const std::string& node, const Term& server, const Term& request,
                          std::chrono::milliseconds timeout, CallDone done) {
  auto state = std::make_shared<CallState>();
  state->node = node;
  state->callback = std::move(done);
  auto finish = [this, state](Result<Term, CallFailure> result, bool down) {
    if (state->done) return;
    state->done = true;
    if (state->timer) state->timer->cancel();
    if (state->ref && !down) {
      if (auto target = table->demonitor(*state->ref); target && target->second != options.name)
        route(target->second, {proto::DemonitorP{state->caller, target->first.get_if<etf::Pid>()
                                                                    ? proto::ProcessId(target->first.as_pid())
                                                                    : proto::ProcessId(target->first.as_atom()),
                                                 *state->ref},
                               std::nullopt});
    }
    table->exit(state->caller, Term::atom("normal"));
    auto callback = std::move(state->callback);
    callback(std::move(result));
  };
  connect_async(node, [this, state, finish, server, request, timeout](bool up) {
    if (!up)
      return finish(CallFailure{Term::tuple({Term::atom("nodedown"), Term::atom(state->node)})}, true);
    state->caller = table->spawn([state, finish](const Term& message) {
      auto* t = message.get_if<etf::Tuple>();
      if (!t) return;
      if (t->elements.size() == 2 && t->elements[0] == state->tag) return finish(t->elements[1], false);
      if (t->elements.size() == 5 && t->elements[0].is_atom("DOWN")) {
        auto* ref = t->elements[1].get_if<etf::Reference>();
        if (state->ref && (!ref || !(*ref == *state->ref))) return;
        const Term& reason = t->elements[4];
        if (reason.is_atom("noconnection"))
          return finish(CallFailure{Term::tuple({Term::atom("nodedown"), Term::atom(state->node)})}, true);
        return finish(CallFailure{reason}, true);
      }
    });
    auto c = up_connection(state->node);
    state->timer = std::make_unique<boost::asio::steady_timer>(io, timeout);
    state->timer->async_wait([finish](boost::system::error_code ec) {
      if (!ec) finish(CallFailure{Term::atom("timeout")}, false);
    });
    etf::Reference ref = monitor_remote(state->caller, server, state->node);
    if (state->done) return;  // a local target that does not exist: DOWN noproc already
    state->ref = ref;
    bool alias = state->node == options.name || (c && c->has(proto::dflag::alias));
    if (alias) {
      table->add_alias(state->caller, ref);
      state->tag = Term::list({Term::atom("alias")}, Term::reference(ref));
    } else {
      state->tag = Term::reference(ref);  // OTP drops alias replies to peers without ALIAS
    }
    Term message = Term::tuple({Term::atom("$gen_call"), Term::tuple({Term::pid(state->caller), state->tag}), request});
    if (auto* pid = server.get_if<etf::Pid>())
      send_to_pid(state->caller, *pid, message);
    else
      send_to_name(state->caller, server.as_atom().name, state->node, message);
  });
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
  // dispatch, not post: from `done` on the I/O thread the next call starts without a queue hop.
  boost::asio::dispatch(impl_->io, [impl = impl_.get(), node, name, request, timeout, done = std::move(done)]() mutable {
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
  boost::asio::post(impl_->io, [&] { promise.set_value(impl_->monitor_remote(watcher, target, node)); });
  return future.get();
}

std::string registered_name_atom(std::string_view name) {
  const bool elixir_alias = !name.empty() && name[0] >= 'A' && name[0] <= 'Z';
  if (elixir_alias && !name.starts_with("Elixir.")) return "Elixir." + std::string(name);
  return std::string(name);
}

}  // namespace distspec::node
