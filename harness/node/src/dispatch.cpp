// Incoming control messages -> the process table; local sends -> control messages on the right
// connection (queued while connecting).
#include "distspec/etf/tape_values.hpp"
#include "node_impl.hpp"

namespace distspec::node {

using etf::Term;

namespace {

Term process_id_term(const proto::ProcessId& id) {
  if (auto* pid = std::get_if<etf::Pid>(&id)) return Term::pid(*pid);
  return Term::atom(std::get<etf::Atom>(id).name);
}

const char* op_name(const proto::ControlMessage& m) { return proto::to_string(proto::op_of(m)).data(); }

}  // namespace

proto::ProcessId process_id_of(const Term& term) {
  if (auto* pid = term.get_if<etf::Pid>()) return *pid;
  return term.as_atom();
}

void Node::Impl::dispatch(Connection& connection, const proto::MessageView& message) {
  const proto::ControlMessage& control = *message.control;
  if (corpus) {
    record_term(proto::to_term(control));
    if (message.payload) record_term(message.payload->to_term());
  }
  const std::string& peer = connection.peer_name();
  // Pids that OTP requires to be the sender's own (control-messages.md §4).
  auto from_peer = [&](const etf::Pid& pid) {
    if (pid.node.name == peer) return true;
    log.error("Invalid distribution message from " + peer + ": " + op_name(control) +
              " with a sender pid of another node; closing the connection");
    connection.close("invalid distribution message");
    return false;
  };
  auto payload_term = [&] { return message.payload->to_term(); };
  std::visit(
      [&](auto& c) {
        using T = std::decay_t<decltype(c)>;
        // Messages are logged by operation and address only: payloads are the peer's data.
        if constexpr (std::is_same_v<T, proto::Send> || std::is_same_v<T, proto::SendTT>) {
          bool delivered = table->send(c.to, *message.payload);
          log_message([&] {
            return std::string(op_name(control)) + " from " + peer + " to " + describe_pid(c.to) +
                   (delivered ? "" : " (no such process, dropped)");
          });
        } else if constexpr (std::is_same_v<T, proto::SendSender> || std::is_same_v<T, proto::SendSenderTT>) {
          bool delivered = table->send(c.to, *message.payload);
          log_message([&] {
            return std::string(op_name(control)) + " from " + describe_pid(c.from) + " to " +
                   describe_pid(c.to) + (delivered ? "" : " (no such process, dropped)");
          });
        } else if constexpr (std::is_same_v<T, proto::RegSend> || std::is_same_v<T, proto::RegSendTT>) {
          bool delivered = table->send_named(c.to_name.name, *message.payload);
          log_message([&] {
            return std::string(op_name(control)) + " from " + describe_pid(c.from) + " to " +
                   c.to_name.name + (delivered ? "" : " (not registered, dropped)");
          });
        } else if constexpr (std::is_same_v<T, proto::AliasSend> || std::is_same_v<T, proto::AliasSendTT>) {
          bool delivered = table->send_alias(c.alias, *message.payload);
          log_message([&] {
            return std::string(op_name(control)) + " from " + describe_pid(c.from) +
                   (delivered ? " to an alias" : " to an inactive alias (dropped)");
          });
        } else if constexpr (std::is_same_v<T, proto::Link>) {
          if (from_peer(c.from)) table->on_remote_link(c.from, c.to);
        } else if constexpr (std::is_same_v<T, proto::Unlink>) {
          if (from_peer(c.from)) table->on_remote_unlink(c.from, c.to);
        } else if constexpr (std::is_same_v<T, proto::UnlinkId>) {
          if (!from_peer(c.from)) return;
          table->on_remote_unlink(c.from, c.to);
          // The ACK goes out before any other signal to the unlinker (pitfalls C.20).
          connection.send({proto::UnlinkIdAck{c.id, c.to, c.from}, std::nullopt});
        } else if constexpr (std::is_same_v<T, proto::UnlinkIdAck>) {
        } else if constexpr (std::is_same_v<T, proto::Exit> || std::is_same_v<T, proto::ExitTT>) {
          if (from_peer(c.from)) table->on_exit_signal(c.from, c.to, c.reason, true);
        } else if constexpr (std::is_same_v<T, proto::PayloadExit> || std::is_same_v<T, proto::PayloadExitTT>) {
          if (from_peer(c.from)) table->on_exit_signal(c.from, c.to, payload_term(), true);
        } else if constexpr (std::is_same_v<T, proto::Exit2> || std::is_same_v<T, proto::Exit2TT>) {
          if (from_peer(c.from)) table->on_exit_signal(c.from, c.to, c.reason, false);
        } else if constexpr (std::is_same_v<T, proto::PayloadExit2> || std::is_same_v<T, proto::PayloadExit2TT>) {
          if (from_peer(c.from)) table->on_exit_signal(c.from, c.to, payload_term(), false);
        } else if constexpr (std::is_same_v<T, proto::MonitorP>) {
          if (from_peer(c.from)) table->on_remote_monitor(c.from, process_id_term(c.to), c.ref);
        } else if constexpr (std::is_same_v<T, proto::DemonitorP>) {
          if (from_peer(c.from)) table->on_remote_demonitor(c.ref);
        } else if constexpr (std::is_same_v<T, proto::MonitorPExit>) {
          table->on_remote_down(c.ref, c.reason);
        } else if constexpr (std::is_same_v<T, proto::PayloadMonitorPExit>) {
          table->on_remote_down(c.ref, payload_term());
        } else if constexpr (std::is_same_v<T, proto::SpawnRequest> || std::is_same_v<T, proto::SpawnRequestTT>) {
          // We do not implement distributed spawn (and do not advertise SPAWN): refuse it.
          log.info("SPAWN_REQUEST from " + peer + " refused (notsup)");
          connection.send({proto::SpawnReply{c.req_id, c.from, 0, etf::Atom{"notsup"}}, std::nullopt});
        } else {
          log.debug(std::string("ignored ") + op_name(control) + " from " + peer);
        }
      },
      control);
}

void Node::Impl::route(const std::string& node, proto::DistMessage message) {
  route(node, proto::op_of(message.control), [&message] { return std::move(message); });
}


void Node::Impl::send_to_pid(const etf::Pid& from, const etf::Pid& to, Term message) {
  if (to.node.name == options.name) {
    table->send(to, message);
    return;
  }
  // SEND_SENDER only on a connection that has it; a send that waits for the connection uses the
  // older SEND, as OTP encodes signals while a connection is pending (control-messages.md §3).
  auto c = up_connection(to.node.name);
  if (c && c->has(proto::dflag::send_sender))
    route(to.node.name, {proto::SendSender{from, to}, std::move(message)});
  else
    route(to.node.name, {proto::Send{proto::kUnusedAtom, to}, std::move(message)});
}

void Node::Impl::send_to_name(const etf::Pid& from, const std::string& name, const std::string& node,
                              Term message) {
  if (node == options.name) {
    table->send_named(name, message);
    return;
  }
  route(node, {proto::RegSend{from, proto::kUnusedAtom, etf::Atom{name}}, std::move(message)});
}

void Node::Impl::send_to_alias(const etf::Pid& from, const etf::Reference& alias, Term message) {
  if (alias.node.name == options.name) {
    table->send_alias(alias, message);
    return;
  }
  route(alias.node.name, {proto::AliasSend{from, alias}, std::move(message)});
}

std::optional<etf::TermRef> alias_of_tag(const etf::TermRef& tag) {
  using Kind = Term::Kind;
  if (tag.kind() != Kind::List || tag.is_byte_list()) return std::nullopt;
  auto elements = tag.list_elements();
  auto first = elements.begin();
  if (first == elements.end() || (*first).kind() != Kind::Atom || (*first).atom_name() != "alias" ||
      ++first != elements.end())
    return std::nullopt;
  etf::TermRef ref = tag.list_tail();
  if (ref.kind() != Kind::Reference) return std::nullopt;
  return ref;
}

void Node::Impl::gen_reply(const etf::Pid& server, const etf::TermRef& from, const Term& reply) {
  using Kind = Term::Kind;
  if (from.kind() != Kind::Tuple || from.arity() != 2) return;
  etf::TermRef caller_ref = from.element(0);
  if (caller_ref.kind() != Kind::Pid) return;
  const etf::PidView caller = caller_ref.pid();  // an owned Pid only where one is sent
  etf::TermRef tag = caller_ref.next();
  // [alias | Ref]: gen:reply sends to the alias; a peer without ALIAS would never see it, so
  // then (and for plain tags) we answer the pid, which gen:call accepts too.
  const std::optional<etf::TermRef> alias = alias_of_tag(tag);
  const bool remote = caller.node != options.name;
  auto c = remote ? up_connection(caller.node) : nullptr;
  const bool to_alias = alias && (!remote || (c && c->has(proto::dflag::alias)));
  // The usual reply (an atom, to a tag of either of OTP 25's shapes, over a connection that is
  // up) is written from its fields; anything else is built as a Term and routed.
  if (c && reply.kind() == Kind::Atom && (alias || tag.kind() == Kind::Reference)) {
    // The reply's control message and tag are kept across replies and assigned in place: the
    // caller's node name keeps its buffer (a name past 15 bytes would be an allocation a reply).
    const etf::ReferenceView tag_view = (alias ? *alias : tag).reference();
    proto::ControlMessage& control = reply_control;
    const etf::Reference* tag_ref = &reply_tag;
    if (to_alias) {
      auto& m = proto::kept_alternative<proto::AliasSend>(control);
      m.from = server;
      etf::assign(m.alias, tag_view);
      tag_ref = &m.alias;
    } else {
      etf::assign(reply_tag, tag_view);
      if (!c->has(proto::dflag::send_sender)) {
        etf::assign(proto::kept_alternative<proto::Send>(control).to, caller);
      } else {
        auto& m = proto::kept_alternative<proto::SendSender>(control);
        m.from = server;
        etf::assign(m.to, caller);
      }
    }
    c->send(control, proto::TaggedReply{*tag_ref, alias.has_value(), reply.as_atom()});
    return;
  }
  Term message = tuple_of(tag.to_term(), reply);
  if (to_alias) {
    send_to_alias(server, etf::to_reference(alias->reference()), std::move(message));
    return;
  }
  send_to_pid(server, etf::to_pid(caller), std::move(message));
}

void Node::Impl::monitor_remote(const etf::Reference& ref, const etf::Pid& watcher, const Term& target,
                                const std::string& node) {
  table->monitor(ref, watcher, target, node);
  if (node != options.name)
    route(node, proto::ControlOp::MonitorP, [&]() -> proto::DistMessage {
      return {proto::MonitorP{watcher, process_id_of(target), ref}, std::nullopt};
    });
}

void Node::Impl::send_exit(const etf::Pid& from, const etf::Pid& to, const Term& reason) {
  auto c = up_connection(to.node.name);
  if (!c) return;
  if (c->has(proto::dflag::exit_payload))
    c->send({proto::PayloadExit{from, to}, reason});
  else
    c->send({proto::Exit{from, to, reason}, std::nullopt});
}

void Node::Impl::send_down(const Term& monitored, const etf::Pid& watcher, const etf::Reference& ref,
                           const Term& reason) {
  auto c = up_connection(watcher.node.name);
  if (!c || !c->carries(proto::ControlOp::MonitorPExit)) return;
  if (c->has(proto::dflag::exit_payload))
    c->send({proto::PayloadMonitorPExit{process_id_of(monitored), watcher, ref}, reason});
  else
    c->send({proto::MonitorPExit{process_id_of(monitored), watcher, ref, reason}, std::nullopt});
}

void Node::Impl::send_demonitor(const etf::Pid& watcher, const Term& target,
                                const std::string& target_node, const etf::Reference& ref) {
  route(target_node, proto::ControlOp::DemonitorP, [&]() -> proto::DistMessage {
    return {proto::DemonitorP{watcher, process_id_of(target), ref}, std::nullopt};
  });
}

}  // namespace distspec::node
