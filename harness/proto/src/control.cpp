#include "distspec/proto/control.hpp"

#include <array>
#include <limits>
#include <string>

namespace distspec::proto {

namespace {

using etf::Term;
using Kind = Term::Kind;

// ---- field -> term ----
Term field_to_term(const etf::Pid& v) { return Term::pid(v); }
Term field_to_term(const etf::Reference& v) { return Term::reference(v); }
Term field_to_term(const etf::Atom& v) { return Term::atom(v.name); }
Term field_to_term(const Term& v) { return v; }
Term field_to_term(const ProperList& v) { return v.list; }
Term field_to_term(std::uint32_t v) { return Term::integer(v); }
Term field_to_term(std::uint64_t v) {
  if (v <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
    return Term::integer(std::int64_t(v));
  std::vector<std::uint8_t> magnitude;
  for (; v; v >>= 8) magnitude.push_back(std::uint8_t(v));
  return Term::big_integer(false, std::move(magnitude));
}
Term field_to_term(const ProcessId& v) {
  if (auto* p = std::get_if<etf::Pid>(&v)) return Term::pid(*p);
  return Term::atom(std::get<etf::Atom>(v).name);
}
Term field_to_term(const Mfa& v) {
  return Term::tuple({Term::atom(v.module.name), Term::atom(v.function.name),
                      Term::integer(v.arity)});
}

// ---- term -> field ----
struct FieldError {
  const char* expected;
};
using FieldResult = std::optional<FieldError>;  // nullopt = ok

FieldResult field_from_term(const Term& t, etf::Pid& out) {
  if (t.kind() != Kind::Pid) return FieldError{"a pid"};
  out = t.as_pid();
  return std::nullopt;
}
FieldResult field_from_term(const Term& t, etf::Reference& out) {
  if (t.kind() != Kind::Reference) return FieldError{"a reference"};
  out = t.as_reference();
  return std::nullopt;
}
FieldResult field_from_term(const Term& t, etf::Atom& out) {
  if (t.kind() != Kind::Atom) return FieldError{"an atom"};
  out = t.as_atom();
  return std::nullopt;
}
FieldResult field_from_term(const Term& t, Term& out) {
  out = t;
  return std::nullopt;
}
FieldResult field_from_term(const Term& t, ProperList& out) {
  const Term* tail = &t;
  while (tail->kind() == Kind::List) tail = tail->as_list().tail.get();
  if (tail->kind() != Kind::Nil) return FieldError{"a proper list"};
  out.list = t;
  return std::nullopt;
}
FieldResult field_from_term(const Term& t, std::uint32_t& out) {
  // SPAWN_REPLY flags: a small integer below 2^27 (dist.c checks this range).
  if (t.kind() != Kind::Integer || t.as_integer() < 0 || t.as_integer() >= (1 << 27))
    return FieldError{"an integer in 0..2^27-1"};
  out = std::uint32_t(t.as_integer());
  return std::nullopt;
}
FieldResult field_from_term(const Term& t, std::uint64_t& out) {
  // UNLINK_ID ids: non-zero and fitting 64 bits.
  if (t.kind() == Kind::Integer && t.as_integer() > 0) {
    out = std::uint64_t(t.as_integer());
    return std::nullopt;
  }
  if (t.kind() == Kind::BigInteger && !t.as_big_integer().negative &&
      t.as_big_integer().magnitude.size() <= 8) {
    std::uint64_t v = 0;
    const auto& m = t.as_big_integer().magnitude;
    for (std::size_t i = m.size(); i-- > 0;) v = (v << 8) | m[i];
    out = v;
    return std::nullopt;
  }
  return FieldError{"a non-zero integer of at most 64 bits"};
}
FieldResult field_from_term(const Term& t, ProcessId& out) {
  if (t.kind() == Kind::Pid) {
    out = t.as_pid();
    return std::nullopt;
  }
  if (t.kind() == Kind::Atom) {
    out = t.as_atom();
    return std::nullopt;
  }
  return FieldError{"a pid or an atom"};
}
FieldResult field_from_term(const Term& t, Mfa& out) {
  const auto* tuple = t.get_if<etf::Tuple>();
  if (!tuple || tuple->elements.size() != 3) return FieldError{"an {M, F, Arity} tuple"};
  const auto& e = tuple->elements;
  if (e[0].kind() != Kind::Atom || e[1].kind() != Kind::Atom || e[2].kind() != Kind::Integer ||
      e[2].as_integer() < 0 || e[2].as_integer() > 255)
    return FieldError{"an {M, F, Arity} tuple of atom, atom, 0..255"};
  out = Mfa{e[0].as_atom(), e[1].as_atom(), std::uint32_t(e[2].as_integer())};
  return std::nullopt;
}

template <class M>
Term message_to_term(const M& m) {
  std::vector<Term> elements;
  elements.push_back(Term::integer(std::int64_t(M::op)));
  std::apply([&](const auto&... f) { (elements.push_back(field_to_term(f)), ...); }, m.fields());
  return Term::tuple(std::move(elements));
}

template <class M>
Result<ControlMessage, ConnectionError> message_from_elements(const std::vector<Term>& e) {
  M m{};
  constexpr std::size_t arity = 1 + std::tuple_size_v<decltype(m.fields())>;
  if (e.size() != arity)
    return ConnectionError{ConnectionErrorCode::WrongArity, 0,
                           std::string(to_string(M::op)) + " has arity " + std::to_string(arity) +
                               ", got " + std::to_string(e.size())};
  std::optional<ConnectionError> failure;
  std::size_t index = 1;
  std::apply(
      [&](auto&... f) {
        ((failure ? void() : [&] {
           if (auto bad = field_from_term(e[index], f))
             failure = ConnectionError{ConnectionErrorCode::BadElement, 0,
                                       std::string(to_string(M::op)) + " element " +
                                           std::to_string(index + 1) + ": expected " +
                                           bad->expected};
           ++index;
         }()), ...);
      },
      m.fields());
  if (failure) return *failure;
  return ControlMessage{std::move(m)};
}

// Decoders indexed by operation number (null = not an operation).
using Decoder = Result<ControlMessage, ConnectionError> (*)(const std::vector<Term>&);
constexpr std::array<Decoder, 37> make_decoders() {
  std::array<Decoder, 37> d{};
  d[1] = message_from_elements<Link>; d[2] = message_from_elements<Send>;
  d[3] = message_from_elements<Exit>; d[4] = message_from_elements<Unlink>;
  d[5] = message_from_elements<NodeLink>; d[6] = message_from_elements<RegSend>;
  d[7] = message_from_elements<GroupLeader>; d[8] = message_from_elements<Exit2>;
  d[12] = message_from_elements<SendTT>; d[13] = message_from_elements<ExitTT>;
  d[16] = message_from_elements<RegSendTT>; d[18] = message_from_elements<Exit2TT>;
  d[19] = message_from_elements<MonitorP>; d[20] = message_from_elements<DemonitorP>;
  d[21] = message_from_elements<MonitorPExit>; d[22] = message_from_elements<SendSender>;
  d[23] = message_from_elements<SendSenderTT>; d[24] = message_from_elements<PayloadExit>;
  d[25] = message_from_elements<PayloadExitTT>; d[26] = message_from_elements<PayloadExit2>;
  d[27] = message_from_elements<PayloadExit2TT>;
  d[28] = message_from_elements<PayloadMonitorPExit>;
  d[29] = message_from_elements<SpawnRequest>; d[30] = message_from_elements<SpawnRequestTT>;
  d[31] = message_from_elements<SpawnReply>; d[32] = message_from_elements<SpawnReplyTT>;
  d[33] = message_from_elements<AliasSend>; d[34] = message_from_elements<AliasSendTT>;
  d[35] = message_from_elements<UnlinkId>; d[36] = message_from_elements<UnlinkIdAck>;
  return d;
}
constexpr auto kDecoders = make_decoders();

}  // namespace

std::string_view to_string(ControlOp op) {
  switch (op) {
    case ControlOp::Link: return "LINK";
    case ControlOp::Send: return "SEND";
    case ControlOp::Exit: return "EXIT";
    case ControlOp::Unlink: return "UNLINK";
    case ControlOp::NodeLink: return "NODE_LINK";
    case ControlOp::RegSend: return "REG_SEND";
    case ControlOp::GroupLeader: return "GROUP_LEADER";
    case ControlOp::Exit2: return "EXIT2";
    case ControlOp::SendTT: return "SEND_TT";
    case ControlOp::ExitTT: return "EXIT_TT";
    case ControlOp::RegSendTT: return "REG_SEND_TT";
    case ControlOp::Exit2TT: return "EXIT2_TT";
    case ControlOp::MonitorP: return "MONITOR_P";
    case ControlOp::DemonitorP: return "DEMONITOR_P";
    case ControlOp::MonitorPExit: return "MONITOR_P_EXIT";
    case ControlOp::SendSender: return "SEND_SENDER";
    case ControlOp::SendSenderTT: return "SEND_SENDER_TT";
    case ControlOp::PayloadExit: return "PAYLOAD_EXIT";
    case ControlOp::PayloadExitTT: return "PAYLOAD_EXIT_TT";
    case ControlOp::PayloadExit2: return "PAYLOAD_EXIT2";
    case ControlOp::PayloadExit2TT: return "PAYLOAD_EXIT2_TT";
    case ControlOp::PayloadMonitorPExit: return "PAYLOAD_MONITOR_P_EXIT";
    case ControlOp::SpawnRequest: return "SPAWN_REQUEST";
    case ControlOp::SpawnRequestTT: return "SPAWN_REQUEST_TT";
    case ControlOp::SpawnReply: return "SPAWN_REPLY";
    case ControlOp::SpawnReplyTT: return "SPAWN_REPLY_TT";
    case ControlOp::AliasSend: return "ALIAS_SEND";
    case ControlOp::AliasSendTT: return "ALIAS_SEND_TT";
    case ControlOp::UnlinkId: return "UNLINK_ID";
    case ControlOp::UnlinkIdAck: return "UNLINK_ID_ACK";
  }
  return "?";
}

ControlOp op_of(const ControlMessage& message) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::op; }, message);
}

bool has_payload(ControlOp op) {
  switch (op) {
    case ControlOp::Send: case ControlOp::RegSend: case ControlOp::SendTT:
    case ControlOp::RegSendTT: case ControlOp::SendSender: case ControlOp::SendSenderTT:
    case ControlOp::PayloadExit: case ControlOp::PayloadExitTT: case ControlOp::PayloadExit2:
    case ControlOp::PayloadExit2TT: case ControlOp::PayloadMonitorPExit:
    case ControlOp::SpawnRequest: case ControlOp::SpawnRequestTT: case ControlOp::AliasSend:
    case ControlOp::AliasSendTT:
      return true;
    default:
      return false;
  }
}

std::optional<ControlOp> control_op_from_number(std::int64_t n) {
  if (n < 0 || n >= std::int64_t(kDecoders.size()) || !kDecoders[n]) return std::nullopt;
  return ControlOp(n);
}

Term to_term(const ControlMessage& message) {
  return std::visit([](const auto& m) { return message_to_term(m); }, message);
}

Result<ControlMessage, ConnectionError> control_from_term(const Term& term,
                                                          const ControlOptions& options) {
  const auto* tuple = term.get_if<etf::Tuple>();
  if (!tuple || tuple->elements.empty() || tuple->elements[0].kind() != Kind::Integer)
    return ConnectionError{ConnectionErrorCode::ControlNotTuple, 0, {}};
  std::int64_t n = tuple->elements[0].as_integer();
  auto op = control_op_from_number(n);
  if (!op || (*op == ControlOp::NodeLink && !options.accept_node_link))
    return ConnectionError{ConnectionErrorCode::UnknownOperation, 0,
                           "operation " + std::to_string(n)};
  return kDecoders[n](tuple->elements);
}

}  // namespace distspec::proto
