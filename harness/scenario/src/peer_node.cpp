// A peer node runs in the runner's process, on its own I/O thread (distspec::node::Node), rather
// than as a `distspec peer` child: the steps ping/call/send must be done by that very node (its
// name is what the other side sees and logs), and a child has no way to take such commands. Its
// log lines go straight into the node's OutputLog, so `log:` steps and reports see them as they
// see a BEAM node's output. Nothing outlives an interrupted run: the epmd registration is a TCP
// connection of this process, gone when it is (and the run's own epmd dies with the run).
#include "peer_node.hpp"

#include <cstdio>

#include "distspec/etf/text.hpp"
#include "distspec/node/cookie_source.hpp"
#include "distspec/node/node.hpp"

namespace distspec::scenario {
namespace {

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

class PeerNode final : public NodeDriver {
 public:
  explicit PeerNode(NodeLaunch launch) : launch_(std::move(launch)) {}
  ~PeerNode() override { kill(); }

  // Creating the node registers it with epmd: quick, so it is done here and not in wait_up.
  void launch() override {
    node::NodeOptions options;
    options.name = launch_.full_name;
    options.hidden = launch_.spec->hidden;
    options.start_epmd = false;  // the run's epmd, or deliberately none (epmd: unreachable)
    options.record_corpus_dir = launch_.record_corpus_dir;
    if (auto port = launch_.env.find("ERL_EPMD_PORT"); port != launch_.env.end())
      options.epmd_port = static_cast<std::uint16_t>(std::stoi(port->second));
    options.log = [log = &output_](node::LogLevel level, std::string_view line) {
      if (level == node::LogLevel::Debug) return;
      log->append("[" + std::string(node::to_string(level)) + "] " + std::string(line));
    };
    if (launch_.spec->cookie) {
      options.cookie = proto::Cookie(*launch_.spec->cookie);
    } else {  // the run's ~/.erlang.cookie, as a BEAM node of the run reads it
      auto home = launch_.env.find("HOME");
      auto cookie = node::read_cookie_file((home == launch_.env.end() ? "." : home->second) +
                                           "/.erlang.cookie");
      if (!cookie) return fail(cookie.error().message);
      options.cookie = std::move(cookie).value();
    }
    auto created = node::Node::create(std::move(options));
    if (!created) return fail(created.error().message);
    node_ = std::move(created).value();
    node_->start();
    output_.append("ready " + node_->name() + " " + std::to_string(node_->listen_port()));
  }

  bool wait_up(Clock::time_point) override { return node_ != nullptr; }

  EvalResult peer_action(const Step& step, Clock::time_point deadline) override {
    if (!node_) return {EvalResult::Status::node_down, "the node is not running"};
    if (step.action == "ping")
      return {EvalResult::Status::ok, node_->ping(step.text, remaining(deadline)) ? "pong" : "pang"};
    auto term = etf::parse(step.text);
    if (!term) return {EvalResult::Status::unsupported, "not a term: " + term.error().message};
    if (step.action == "call") {
      auto timeout = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(step.call_timeout),
                              remaining(deadline));
      auto reply = node_->call(step.peer_node, node::registered_name_atom(step.peer_name),
                              term.value(), timeout);
      if (!reply) return {EvalResult::Status::ok, "** (exit) " + etf::format(reply.error().reason)};
      return {EvalResult::Status::ok, etf::format(reply.value())};
    }
    if (!mailbox_) mailbox_ = node_->make_mailbox();
    if (!step.peer_pid.empty()) {
      auto pid = etf::parse(step.peer_pid);
      if (!pid || pid.value().kind() != etf::Term::Kind::Pid)
        return {EvalResult::Status::unsupported, "not a pid: " + step.peer_pid};
      node_->send(mailbox_->pid(), pid.value().as_pid(), term.value());
    } else {
      node_->send_named(mailbox_->pid(), node::registered_name_atom(step.peer_name), step.peer_node, term.value());
    }
    return {EvalResult::Status::ok, "ok"};
  }

  // Stopping closes every connection at once; the other nodes see them close as they would
  // after a kill, so stop and kill are the same for a node with no process of its own.
  void stop(Clock::time_point) override { kill(); }
  void kill() override {
    if (!node_) return;
    mailbox_.reset();
    node_->stop();
    node_.reset();  // unregisters from epmd
    output_.append("stopped");
    output_.close();
  }

  bool running() override { return node_ != nullptr; }
  bool wait_exit(Clock::time_point) override { return node_ == nullptr; }
  OutputLog& output() override { return output_; }

  std::string command_line() const override {
    const auto& spec = *launch_.spec;
    std::string out = std::string("(in the runner) distspec peer ") +
                      (spec.names == NameKind::long_names ? "--name " : "--sname ") + launch_.full_name;
    if (spec.cookie) out += " --cookie " + *spec.cookie;
    if (spec.hidden) out += " --hidden";
    return out;
  }

 private:
  void fail(const std::string& why) {
    output_.append("[error] the node did not start: " + why);
    output_.close();
  }

  NodeLaunch launch_;
  OutputLog output_;  // declared before node_: the node's log sink writes here until it is gone
  std::unique_ptr<node::Node> node_;
  std::shared_ptr<node::Mailbox> mailbox_;
};

}  // namespace

std::unique_ptr<NodeDriver> make_peer_node(NodeLaunch launch) {
  return std::make_unique<PeerNode>(std::move(launch));
}

}  // namespace distspec::scenario
