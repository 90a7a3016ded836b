// The handshake messages (spec/handshake.md §3, §8) as pure encode/parse functions.
//
// Encoders append one framed message ([Len:16][payload]) to `out`. Parsers take one payload
// (without the 2-byte length) and return the message or an error whose offset is relative to the
// payload start. The state machines in handshake.hpp are built on these; fuzzers and tests use
// them directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "distspec/etf/result.hpp"
#include "distspec/proto/digest.hpp"
#include "distspec/proto/dist_flags.hpp"

namespace distspec::proto {

// The largest handshake payload we buffer. The biggest legitimate one is a challenge carrying a
// 255-byte node name (19 + 255 bytes); OTP tolerates ignored bytes after the name, so we leave room
// for fields a later version might add, while refusing a hostile 65535-byte announcement as soon
// as its 2-byte length arrives.
inline constexpr std::size_t kMaxHandshakeMessage = 1024;

enum class HandshakeErrorCode : std::uint8_t {
  // Shape of the bytes.
  EmptyMessage,         // a 2-byte length of 0
  MessageTooLarge,      // a 2-byte length over kMaxHandshakeMessage
  UnexpectedMessage,    // a tag (or status) that is not legal in this state
  Truncated,            // shorter than the layout, or a name length past the end
  BadLength,            // 'r', 'a', 'c' or an alive reply whose size is not exact
  BadVersion,           // 'n' challenge whose version field is not 5 (an 'n' send_name's
                        // version field is ignored, as OTP ignores it)
  BadNodeName,          // not alive@host (or, with NAME_ME, not a bare host)
  UnsupportedVersion,   // 'n' or 'N' send_name that this acceptor is configured to refuse
  // Statuses.
  UnknownStatus,        // a status string OTP does not send
  PeerSentNok,          // the acceptor's own attempt to us wins (simultaneous connect)
  PeerSentNotAllowed,   // the acceptor refused us (allow list or mandatory flags)
  PeerDeclinedAlive,    // acceptor: the initiator answered 'sfalse' to 'alive'
  DeclinedAlive,        // initiator: the embedder answered false to 'alive'
  BadNamedStatus,       // 'named:' malformed, for another host, unrequested, or missing
  // Negotiation.
  MissingMandatoryFlags,  // the peer lacks mandatory flags (detail lists them as OTP logs them)
  HandshakeFlagMismatch,  // 'n' challenge with HANDSHAKE_23, 'N' challenge without it, ...
  ChallengeNameMismatch,  // the challenge names another node than the one dialled
  // Authentication.
  InvalidChallengeReply,  // acceptor: the 'r' digest is wrong (the cookies differ)
  InvalidChallengeAck,    // initiator: the 'a' digest is wrong
  // Decisions of the acceptor's embedder.
  SentNotAllowed,       // not in the allow list: 'not_allowed' sent
  SentNok,              // our own pending attempt wins: 'nok' sent
  // Embedder misuse and end of stream.
  WrongState,           // decide()/answer_alive() called when no decision is awaited
  BadDecision,          // a NAME_ME decision without a valid name or a non-zero creation
  PeerClosed,           // EOF before the handshake finished
};

std::string_view to_string(HandshakeErrorCode code);

struct HandshakeError {
  HandshakeErrorCode code;
  std::size_t offset = 0;  // byte offset in the received stream (parsers: in the payload)
  std::string detail;      // e.g. missing flag names; never the peer's raw bytes
};

// --- Messages ---

// send_name: version 6 'N' (64-bit flags, creation, Nlen) or version 5 'n' (32-bit flags, name to
// the end, no creation).
struct SendName {
  std::uint16_t version = 6;  // 6 -> 'N', 5 -> 'n'
  DistFlags flags = 0;        // version 5 carries only the low 32 bits
  std::uint32_t creation = 0; // version 6 only; 0 when asking for a dynamic name
  std::string name;           // alive@host, or only the host with NAME_ME
  friend bool operator==(const SendName&, const SendName&) = default;
};

enum class HandshakeStatus : std::uint8_t { Ok, OkSimultaneous, Nok, NotAllowed, Alive, Named };
std::string_view to_string(HandshakeStatus status);

struct StatusMessage {
  HandshakeStatus status = HandshakeStatus::Ok;
  std::string named_name;            // Named only: the full name assigned to the initiator
  std::uint32_t named_creation = 0;  // Named only
  friend bool operator==(const StatusMessage&, const StatusMessage&) = default;
};

// challenge: version 6 'N' (flags, challenge, creation, Nlen, name) or version 5 'n'
// (version 5, 32-bit flags, challenge, name to the end).
struct Challenge {
  std::uint16_t version = 6;
  DistFlags flags = 0;
  std::uint32_t challenge = 0;
  std::uint32_t creation = 0;  // version 6 only
  std::string name;
  friend bool operator==(const Challenge&, const Challenge&) = default;
};

// complement 'c': what a version-5 send_name could not carry.
struct Complement {
  std::uint32_t flags_high = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const Complement&, const Complement&) = default;
};

struct ChallengeReply {
  std::uint32_t challenge = 0;  // the initiator's challenge
  Digest digest{};              // digest of the acceptor's challenge
  friend bool operator==(const ChallengeReply&, const ChallengeReply&) = default;
};

struct ChallengeAck {
  Digest digest{};  // digest of the initiator's challenge
  friend bool operator==(const ChallengeAck&, const ChallengeAck&) = default;
};

void encode_send_name(const SendName& message, std::vector<std::uint8_t>& out);
void encode_status(const StatusMessage& message, std::vector<std::uint8_t>& out);
void encode_alive_reply(bool proceed, std::vector<std::uint8_t>& out);  // 's' "true"/"false"
void encode_challenge(const Challenge& message, std::vector<std::uint8_t>& out);
void encode_complement(const Complement& message, std::vector<std::uint8_t>& out);
void encode_challenge_reply(const ChallengeReply& message, std::vector<std::uint8_t>& out);
void encode_challenge_ack(const ChallengeAck& message, std::vector<std::uint8_t>& out);

// Parsers of one payload. Bytes after the name of 'N' messages are ignored, as OTP does; every
// other message has an exact size.
Result<SendName, HandshakeError> parse_send_name(std::span<const std::uint8_t> payload);
Result<StatusMessage, HandshakeError> parse_status(std::span<const std::uint8_t> payload);
Result<bool, HandshakeError> parse_alive_reply(std::span<const std::uint8_t> payload);
Result<Challenge, HandshakeError> parse_challenge(std::span<const std::uint8_t> payload);
Result<Complement, HandshakeError> parse_complement(std::span<const std::uint8_t> payload);
Result<ChallengeReply, HandshakeError> parse_challenge_reply(
    std::span<const std::uint8_t> payload);
Result<ChallengeAck, HandshakeError> parse_challenge_ack(std::span<const std::uint8_t> payload);

}  // namespace distspec::proto
