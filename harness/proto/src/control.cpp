#include "distspec/proto/control.hpp"

#include <array>
#include <limits>
#include <string>

#include "distspec/etf/encode.hpp"
#include "distspec/etf/tape.hpp"
#include "distspec/etf/tape_values.hpp"

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

// ---- tape value -> field ----
using etf::TermRef;

// Assigned over what `out` held (ControlSlots decodes into the previous message's fields: the
// node name and the words keep their buffers).
void assign_pid(etf::Pid& out, const TermRef& t) { etf::assign(out, t.pid()); }
void assign_reference(etf::Reference& out, const TermRef& t) { etf::assign(out, t.reference()); }

FieldResult field_from_term(const TermRef& t, etf::Pid& out) {
  if (t.kind() != Kind::Pid) return FieldError{"a pid"};
  assign_pid(out, t);
  return std::nullopt;
}
FieldResult field_from_term(const TermRef& t, etf::Reference& out) {
  if (t.kind() != Kind::Reference) return FieldError{"a reference"};
  assign_reference(out, t);
  return std::nullopt;
}
FieldResult field_from_term(const TermRef& t, etf::Atom& out) {
  if (t.kind() != Kind::Atom) return FieldError{"an atom"};
  etf::assign_text(out.name, t.atom_name());
  return std::nullopt;
}
FieldResult field_from_term(const TermRef& t, Term& out) {
  // Mostly the Unused '' of sends: an atom needs none of to_term()'s machinery.
  out = t.kind() == Kind::Atom ? Term::atom(t.atom_name()) : t.to_term();
  return std::nullopt;
}
FieldResult field_from_term(const TermRef& t, ProperList& out) {
  if (t.kind() == Kind::List ? t.list_tail().kind() != Kind::Nil : t.kind() != Kind::Nil)
    return FieldError{"a proper list"};
  out.list = t.to_term();
  return std::nullopt;
}
FieldResult field_from_term(const TermRef& t, std::uint32_t& out) {
  if (t.kind() != Kind::Integer || t.integer() < 0 || t.integer() >= (1 << 27))
    return FieldError{"an integer in 0..2^27-1"};
  out = std::uint32_t(t.integer());
  return std::nullopt;
}
FieldResult field_from_term(const TermRef& t, std::uint64_t& out) {
  if (t.kind() == Kind::Integer && t.integer() > 0) {
    out = std::uint64_t(t.integer());
    return std::nullopt;
  }
  if (t.kind() == Kind::BigInteger && !t.big_negative() && t.big_magnitude().size() <= 8) {
    std::uint64_t v = 0;
    auto m = t.big_magnitude();
    for (std::size_t i = m.size(); i-- > 0;) v = (v << 8) | m[i];
    out = v;
    return std::nullopt;
  }
  return FieldError{"a non-zero integer of at most 64 bits"};
}
FieldResult field_from_term(const TermRef& t, ProcessId& out) {
  if (t.kind() == Kind::Pid) {
    assign_pid(kept_alternative<etf::Pid>(out), t);
    return std::nullopt;
  }
  if (t.kind() == Kind::Atom) {
    etf::assign_text(kept_alternative<etf::Atom>(out).name, t.atom_name());
    return std::nullopt;
  }
  return FieldError{"a pid or an atom"};
}
FieldResult field_from_term(const TermRef& t, Mfa& out) {
  if (t.kind() != Kind::Tuple || t.arity() != 3) return FieldError{"an {M, F, Arity} tuple"};
  TermRef m = t.element(0), f = m.next(), a = f.next();
  if (m.kind() != Kind::Atom || f.kind() != Kind::Atom || a.kind() != Kind::Integer ||
      a.integer() < 0 || a.integer() > 255)
    return FieldError{"an {M, F, Arity} tuple of atom, atom, 0..255"};
  out = Mfa{etf::Atom{std::string(m.atom_name())}, etf::Atom{std::string(f.atom_name())},
            std::uint32_t(a.integer())};
  return std::nullopt;
}

// The elements of a control tuple on a tape: the true arity, and the first kMaxArity of them
// (enough for every operation; a longer tuple fails the arity check before any is read).
struct TapeElements {
  static constexpr std::size_t kMaxArity = 8;
  std::array<TermRef, kMaxArity> items;
  std::size_t arity = 0;
  explicit TapeElements(const TermRef& tuple) : arity(tuple.arity()) {
    TermRef at = tuple.element(0);
    for (std::size_t i = 0; i < arity && i < kMaxArity; ++i, at = at.next()) items[i] = at;
  }
  std::size_t size() const { return arity; }
  const TermRef& operator[](std::size_t i) const { return items[i]; }
};

template <class M>
Term message_to_term(const M& m) {
  std::vector<Term> elements;
  elements.push_back(Term::integer(std::int64_t(M::op)));
  std::apply([&](const auto&... f) { (elements.push_back(field_to_term(f)), ...); }, m.fields());
  return Term::tuple(std::move(elements));
}

// Decodes the elements into m's fields (on error m is partly written).
template <class M, class Elements>
std::optional<ConnectionError> message_into(M& m, const Elements& e) {
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
  return failure;
}

// Into the slot's message, reusing it when it already holds this operation.
template <class M>
std::optional<ConnectionError> message_into_slot(ControlMessage& slot, const TapeElements& e) {
  return message_into(kept_alternative<M>(slot), e);
}
using SlotDecoder = std::optional<ConnectionError> (*)(ControlMessage&, const TapeElements&);
template <std::size_t... I>
constexpr std::array<SlotDecoder, kControlOpCount> make_slot_decoders(std::index_sequence<I...>) {
  std::array<SlotDecoder, kControlOpCount> d{};
  ((d[std::size_t(std::variant_alternative_t<I, ControlMessage>::op)] =
        message_into_slot<std::variant_alternative_t<I, ControlMessage>>),
   ...);
  return d;
}
constexpr auto kSlotDecoders =
    make_slot_decoders(std::make_index_sequence<std::variant_size_v<ControlMessage>>());


Result<ControlOp, ConnectionError> checked_op(std::int64_t n, const ControlOptions& options) {
  auto op = control_op_from_number(n);
  if (!op || (*op == ControlOp::NodeLink && !options.accept_node_link))
    return ConnectionError{ConnectionErrorCode::UnknownOperation, 0,
                           "operation " + std::to_string(n)};
  return *op;
}

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
  if (n < 0 || n >= std::int64_t(kSlotDecoders.size()) || !kSlotDecoders[std::size_t(n)]) return std::nullopt;
  return ControlOp(n);
}

Term to_term(const ControlMessage& message) {
  return std::visit([](const auto& m) { return message_to_term(m); }, message);
}

// One decoder for every control message, the receiver's: a Term goes through its encoding.
Result<ControlMessage, ConnectionError> control_from_term(const Term& term,
                                                          const ControlOptions& options) {
  const std::vector<std::uint8_t> bytes = etf::encode(term);
  auto tape = etf::decode_tape(bytes);
  if (!tape) return ConnectionError{ConnectionErrorCode::ControlNotTuple, 0, {}};  // (every Term encodes)
  return control_from_tape(tape->root(), options);
}

Result<ControlMessage, ConnectionError> control_from_tape(const etf::TermRef& term,
                                                          const ControlOptions& options) {
  if (term.kind() != Kind::Tuple || term.arity() == 0 || term.element(0).kind() != Kind::Integer)
    return ConnectionError{ConnectionErrorCode::ControlNotTuple, 0, {}};
  std::int64_t n = term.element(0).integer();
  if (auto op = checked_op(n, options); !op) return op.error();
  ControlMessage message;
  if (auto failure = kSlotDecoders[std::size_t(n)](message, TapeElements(term))) return *failure;
  return message;
}

Result<ControlMessage*, ConnectionError> ControlSlots::decode(const etf::TermRef& term,
                                                             const ControlOptions& options) {
  if (term.kind() != Kind::Tuple || term.arity() == 0 || term.element(0).kind() != Kind::Integer)
    return ConnectionError{ConnectionErrorCode::ControlNotTuple, 0, {}};
  std::int64_t n = term.element(0).integer();
  if (auto op = checked_op(n, options); !op) return op.error();
  ControlMessage& slot = slots_[std::size_t(n)];
  if (auto failure = kSlotDecoders[std::size_t(n)](slot, TapeElements(term))) return *failure;
  return &slot;
}

}  // namespace distspec::proto
