// Control messages of OTP 25 (control-messages.md §2) as typed values, with conversion to and
// from the control tuple. A DistMessage is a control message plus the payload term of the ops
// that carry one (the message of sends, the reason of PAYLOAD_*, the ArgList of SPAWN_REQUEST).
//
// from_term() checks what OTP 25's receiver checks on the shape of the tuple: a tuple whose first
// element is a known operation, the arity of that operation, and the type of every element
// (pid, reference, atom, pid-or-atom, integer ranges, the MFA 3-tuple, a proper list of spawn
// options). Whether a pid belongs to the sender or to us is a node-level question (the node knows
// the names) and is not checked here. Unused elements and tokens are kept as arrived, so a
// decoded message re-encodes to the same bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/result.hpp"
#include "distspec/etf/tape.hpp"
#include "distspec/etf/term.hpp"
#include "distspec/proto/connection_error.hpp"

namespace distspec::proto {

enum class ControlOp : std::uint8_t {
  Link = 1, Send = 2, Exit = 3, Unlink = 4, NodeLink = 5, RegSend = 6, GroupLeader = 7, Exit2 = 8,
  SendTT = 12, ExitTT = 13, RegSendTT = 16, Exit2TT = 18, MonitorP = 19, DemonitorP = 20,
  MonitorPExit = 21, SendSender = 22, SendSenderTT = 23, PayloadExit = 24, PayloadExitTT = 25,
  PayloadExit2 = 26, PayloadExit2TT = 27, PayloadMonitorPExit = 28, SpawnRequest = 29,
  SpawnRequestTT = 30, SpawnReply = 31, SpawnReplyTT = 32, AliasSend = 33, AliasSendTT = 34,
  UnlinkId = 35, UnlinkIdAck = 36,
};
std::string_view to_string(ControlOp op);  // "LINK", "SEND", ... as in erl_dist_protocol
inline constexpr std::size_t kControlOpCount = 37;  // operation numbers 0..36 (UNLINK_ID_ACK)

// A process named by pid or by registered name (ToProc / FromProc of monitors, spawn results).
using ProcessId = std::variant<etf::Pid, etf::Atom>;

struct Mfa {  // {Module, Function, Arity} of SPAWN_REQUEST
  etf::Atom module;
  etf::Atom function;
  std::uint32_t arity = 0;
  friend bool operator==(const Mfa&, const Mfa&) = default;
};

// A proper list (spawn options): kept as the term that arrived.
struct ProperList {
  etf::Term list;
  friend bool operator==(const ProperList& a, const ProperList& b) { return a.list == b.list; }
};

// Each message: `op`, whether it carries a payload, and fields() in tuple order (after the op).
#define DISTSPEC_CONTROL(Name, Op, Payload, ...)                                  \
  static constexpr ControlOp op = ControlOp::Op;                                  \
  static constexpr bool has_payload = Payload;                                    \
  auto fields() { return std::tie(__VA_ARGS__); }                                 \
  auto fields() const { return std::tie(__VA_ARGS__); }                           \
  friend bool operator==(const Name& a, const Name& b) { return a.fields() == b.fields(); }

inline const etf::Term kUnusedAtom = etf::Term::atom("");  // what OTP puts in Unused slots

struct Link { etf::Pid from, to; DISTSPEC_CONTROL(Link, Link, false, from, to) };
struct Send { etf::Term unused = kUnusedAtom; etf::Pid to;
  DISTSPEC_CONTROL(Send, Send, true, unused, to) };
struct Exit { etf::Pid from, to; etf::Term reason;
  DISTSPEC_CONTROL(Exit, Exit, false, from, to, reason) };
struct Unlink { etf::Pid from, to; DISTSPEC_CONTROL(Unlink, Unlink, false, from, to) };
struct NodeLink {  // obsolete: OTP 25 rejects it (decoded only with accept_node_link)
  static constexpr ControlOp op = ControlOp::NodeLink;
  static constexpr bool has_payload = false;
  auto fields() { return std::tie(); }
  auto fields() const { return std::tie(); }
  friend bool operator==(const NodeLink&, const NodeLink&) { return true; }
};
struct RegSend { etf::Pid from; etf::Term unused = kUnusedAtom; etf::Atom to_name;
  DISTSPEC_CONTROL(RegSend, RegSend, true, from, unused, to_name) };
struct GroupLeader { etf::Pid from, to;  // from = the new group leader, to = the process
  DISTSPEC_CONTROL(GroupLeader, GroupLeader, false, from, to) };
struct Exit2 { etf::Pid from, to; etf::Term reason;
  DISTSPEC_CONTROL(Exit2, Exit2, false, from, to, reason) };
struct SendTT { etf::Term unused = kUnusedAtom; etf::Pid to; etf::Term token;
  DISTSPEC_CONTROL(SendTT, SendTT, true, unused, to, token) };
struct ExitTT { etf::Pid from, to; etf::Term token, reason;
  DISTSPEC_CONTROL(ExitTT, ExitTT, false, from, to, token, reason) };
struct RegSendTT { etf::Pid from; etf::Term unused = kUnusedAtom; etf::Atom to_name;
  etf::Term token;
  DISTSPEC_CONTROL(RegSendTT, RegSendTT, true, from, unused, to_name, token) };
struct Exit2TT { etf::Pid from, to; etf::Term token, reason;
  DISTSPEC_CONTROL(Exit2TT, Exit2TT, false, from, to, token, reason) };
struct MonitorP { etf::Pid from; ProcessId to; etf::Reference ref;
  DISTSPEC_CONTROL(MonitorP, MonitorP, false, from, to, ref) };
struct DemonitorP { etf::Pid from; ProcessId to; etf::Reference ref;
  DISTSPEC_CONTROL(DemonitorP, DemonitorP, false, from, to, ref) };
struct MonitorPExit { ProcessId from; etf::Pid to; etf::Reference ref; etf::Term reason;
  DISTSPEC_CONTROL(MonitorPExit, MonitorPExit, false, from, to, ref, reason) };
struct SendSender { etf::Pid from, to;
  DISTSPEC_CONTROL(SendSender, SendSender, true, from, to) };
struct SendSenderTT { etf::Pid from, to; etf::Term token;
  DISTSPEC_CONTROL(SendSenderTT, SendSenderTT, true, from, to, token) };
struct PayloadExit { etf::Pid from, to;
  DISTSPEC_CONTROL(PayloadExit, PayloadExit, true, from, to) };
struct PayloadExitTT { etf::Pid from, to; etf::Term token;
  DISTSPEC_CONTROL(PayloadExitTT, PayloadExitTT, true, from, to, token) };
struct PayloadExit2 { etf::Pid from, to;
  DISTSPEC_CONTROL(PayloadExit2, PayloadExit2, true, from, to) };
struct PayloadExit2TT { etf::Pid from, to; etf::Term token;
  DISTSPEC_CONTROL(PayloadExit2TT, PayloadExit2TT, true, from, to, token) };
struct PayloadMonitorPExit { ProcessId from; etf::Pid to; etf::Reference ref;
  DISTSPEC_CONTROL(PayloadMonitorPExit, PayloadMonitorPExit, true, from, to, ref) };
struct SpawnRequest { etf::Reference req_id; etf::Pid from, group_leader; Mfa mfa;
  ProperList options;
  DISTSPEC_CONTROL(SpawnRequest, SpawnRequest, true, req_id, from, group_leader, mfa, options) };
struct SpawnRequestTT { etf::Reference req_id; etf::Pid from, group_leader; Mfa mfa;
  ProperList options; etf::Term token;
  DISTSPEC_CONTROL(SpawnRequestTT, SpawnRequestTT, true, req_id, from, group_leader, mfa,
                   options, token) };
// flags: 1 = link, 2 = monitor (< 2^27); result: the new pid, or an error atom with flags 0.
struct SpawnReply { etf::Reference req_id; etf::Pid to; std::uint32_t flags = 0; ProcessId result;
  DISTSPEC_CONTROL(SpawnReply, SpawnReply, false, req_id, to, flags, result) };
struct SpawnReplyTT { etf::Reference req_id; etf::Pid to; std::uint32_t flags = 0;
  ProcessId result; etf::Term token;
  DISTSPEC_CONTROL(SpawnReplyTT, SpawnReplyTT, false, req_id, to, flags, result, token) };
struct AliasSend { etf::Pid from; etf::Reference alias;
  DISTSPEC_CONTROL(AliasSend, AliasSend, true, from, alias) };
struct AliasSendTT { etf::Pid from; etf::Reference alias; etf::Term token;
  DISTSPEC_CONTROL(AliasSendTT, AliasSendTT, true, from, alias, token) };
// id: non-zero, fits 64 bits (OTP sends a small integer or a bignum).
struct UnlinkId { std::uint64_t id = 1; etf::Pid from, to;
  DISTSPEC_CONTROL(UnlinkId, UnlinkId, false, id, from, to) };
struct UnlinkIdAck { std::uint64_t id = 1; etf::Pid from, to;
  DISTSPEC_CONTROL(UnlinkIdAck, UnlinkIdAck, false, id, from, to) };

#undef DISTSPEC_CONTROL

using ControlMessage =
    std::variant<Link, Send, Exit, Unlink, NodeLink, RegSend, GroupLeader, Exit2, SendTT, ExitTT,
                 RegSendTT, Exit2TT, MonitorP, DemonitorP, MonitorPExit, SendSender, SendSenderTT,
                 PayloadExit, PayloadExitTT, PayloadExit2, PayloadExit2TT, PayloadMonitorPExit,
                 SpawnRequest, SpawnRequestTT, SpawnReply, SpawnReplyTT, AliasSend, AliasSendTT,
                 UnlinkId, UnlinkIdAck>;

// The alternative T of a variant kept across messages (a message's operation, a ProcessId's pid or
// name): the one it holds, whose fields keep their buffers when assigned over, or a new one.
template <class T, class Variant>
T& kept_alternative(Variant& kept) {
  if (auto* t = std::get_if<T>(&kept)) return *t;
  return kept.template emplace<T>();
}

ControlOp op_of(const ControlMessage& message);
bool has_payload(ControlOp op);
// Null when `op_number` is not an operation of OTP 25's table (NODE_LINK is in the table).
std::optional<ControlOp> control_op_from_number(std::int64_t op_number);

struct ControlOptions {
  // OTP 25 treats NODE_LINK {5} as an invalid message; accept it only to study old peers.
  bool accept_node_link = false;
};

// The control tuple, e.g. {6, From, '', Name}.
etf::Term to_term(const ControlMessage& message);
// Errors (offset 0; the caller sets it): ControlNotTuple, UnknownOperation, WrongArity,
// BadElement (detail: "element N: expected ...").
Result<ControlMessage, ConnectionError> control_from_term(const etf::Term& term,
                                                          const ControlOptions& options = {});
// The same from a value on a tape, the receiver's path (control_from_term() encodes its Term and
// takes this path: one decoder, so one verdict and error for every input).
Result<ControlMessage, ConnectionError> control_from_tape(const etf::TermRef& term,
                                                          const ControlOptions& options = {});

// A receiver's decoded control messages, one kept per operation: decoding a message over the
// previous one of its operation reuses its storage, so the node names and reference words of the
// usual traffic (MONITOR_P, REG_SEND, DEMONITOR_P, ...) are not allocated again per message.
class ControlSlots {
 public:
  // control_from_tape() (the same verdict and errors) into the slot of the message's operation;
  // the message stays valid until the next decode() of that operation. On error the slot holds
  // a partly decoded message.
  Result<ControlMessage*, ConnectionError> decode(const etf::TermRef& term,
                                                  const ControlOptions& options = {});
  // The usual tuples straight from their bytes (`body`: the term after any version byte): the
  // message and the bytes it took, or nothing when decode() on a tape must decide (an encoding
  // or operation this path leaves alone, or a malformed term: decode() gives the verdict and the
  // error). What it accepts, decode() accepts as the same message; it needs a max_depth of 1.
  std::optional<std::pair<ControlMessage*, std::size_t>> decode_usual(
      std::span<const std::uint8_t> body, const etf::AtomCacheView* cache);

 private:
  std::array<ControlMessage, kControlOpCount> slots_;  // by operation number
};

// The sender's path, without building the control tuple. encodes_directly() is false for the
// operations with spawn or unlink-id fields (encode those through to_term()); for the others:
// collect_control_atoms() appends the atoms of the tuple in the order collect_atoms(to_term(m))
// meets them (pointing into `message`), and encode_control_body() appends exactly the bytes
// etf::encode_body(out, to_term(message), options) appends.
bool encodes_directly(const ControlMessage& message);
void collect_control_atoms(const ControlMessage& message, std::vector<const etf::Atom*>& out);
void encode_control_body(std::vector<std::uint8_t>& out, const ControlMessage& message,
                         const etf::EncodeOptions& options);

struct DistMessage {
  ControlMessage control;
  std::optional<etf::Term> payload;  // present exactly when has_payload(op_of(control))
  friend bool operator==(const DistMessage& a, const DistMessage& b) {
    return a.control == b.control && a.payload.has_value() == b.payload.has_value() &&
           (!a.payload || *a.payload == *b.payload);
  }
};

}  // namespace distspec::proto
