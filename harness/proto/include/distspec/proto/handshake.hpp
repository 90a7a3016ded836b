// The distribution handshake as two sans-I/O state machines, Initiator and Acceptor
// (spec/handshake.md). No sockets, threads, clocks or randomness: the embedder feeds received
// bytes, writes the bytes the machine produces, supplies the random challenge, and answers the
// two questions only it can answer (the acceptor's "do we already have a connection to this
// node?" and the initiator's reply to an 'alive' status).
//
// Driving a machine:
//   1. Construct it. An Initiator has its send_name ready at once.
//   2. Loop: write take_output() to the socket; read; feed(bytes) -> bytes consumed (or error).
//      feed() consumes bytes only while it can make progress: it stops, leaving the rest of the
//      input unconsumed, when the state becomes AwaitDecision / AwaitAliveDecision (answer with
//      decide() / answer_alive(), then feed the rest again), Connected, or Failed.
//   3. Connected: the handshake is over and both sides use 4-byte framing from now on. Input
//      bytes that feed() did not consume (whatever arrived after the final handshake message)
//      are the start of the connection's 4-byte-framed stream: hand them to the PacketReader.
//      The machine itself never holds such bytes.
//   4. Failed: error() says why. Write take_output() first (a final status such as 'nok' or
//      'not_allowed' may be pending), then close the socket.
//   On EOF call on_eof().
//
// Guarantees: only a challenge reply (acceptor) or challenge ack (initiator) whose digest matches
// the cookie moves a machine to Connected; nothing else can. Every other message, in any state, is
// checked against the state and its layout; an illegal one moves the machine to Failed with a
// reason and the byte offset (in the received stream) where it was found. A machine never
// buffers more than one message of at most kMaxHandshakeMessage bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "distspec/etf/result.hpp"
#include "distspec/proto/cookie.hpp"
#include "distspec/proto/dist_flags.hpp"
#include "distspec/proto/handshake_messages.hpp"

namespace distspec::proto {

enum class HandshakeState : std::uint8_t {
  // Initiator.
  AwaitStatus,          // send_name sent
  AwaitAliveDecision,   // 'alive' received: call answer_alive()
  AwaitChallenge,       // status accepted (or 'strue' sent)
  AwaitChallengeAck,    // challenge reply sent
  // Acceptor.
  AwaitName,            // nothing received yet
  AwaitDecision,        // send_name received and checked: call decide()
  AwaitAliveReply,      // 'alive' sent: waiting for 'strue' / 'sfalse'
  AwaitComplement,      // 'N' challenge sent to a version-5 initiator: waiting for 'c'
  AwaitChallengeReply,  // challenge sent
  // Both.
  Connected,
  Failed,
};

std::string_view to_string(HandshakeState state);

// What a finished (or progressing) handshake learned about the peer.
struct PeerInfo {
  std::string name;             // full node name (an acceptor's peer with NAME_ME: as assigned)
  DistFlags flags = 0;          // as the peer sent them (version 5: low 32 bits + complement)
  std::uint32_t creation = 0;   // 0 when not exchanged (pure version-5 handshake)
  std::uint16_t name_version = 6;  // form of the send_name: 6 'N' or 5 'n' (acceptor side)
};

struct HandshakeOptions {
  std::string own_name;   // alive@host; an initiator with request_name sets only the host
  DistFlags flags = kOtp25AdvertisedFlags;  // set only what the embedder implements
  std::uint32_t creation = 0;               // from ALIVE2_X_RESP; never 0 for a named node
  Cookie cookie;
  std::uint32_t challenge = 0;  // our challenge: the embedder draws it from a real random source
  // Checked against the peer's (expanded) flags; missing bits fail the handshake.
  DistFlags required_flags = kOtp25MandatoryFlags;
};

// Common machinery: 2-byte framing, bounded buffering, output, state and error.
class HandshakeMachine {
 public:
  virtual ~HandshakeMachine() = default;

  // Consumes bytes (see the header comment for where it stops). Returns the number consumed, or
  // the error that moved the machine to Failed (also on every later call).
  Result<std::size_t, HandshakeError> feed(std::span<const std::uint8_t> bytes);
  // The peer closed the stream: fails unless already Connected or Failed.
  void on_eof();

  // Bytes to write, in order; the buffer is handed over and cleared.
  std::vector<std::uint8_t> take_output();
  bool has_output() const { return !output_.empty(); }

  HandshakeState state() const { return state_; }
  bool connected() const { return state_ == HandshakeState::Connected; }
  bool failed() const { return state_ == HandshakeState::Failed; }
  // Set in Failed.
  const std::optional<HandshakeError>& error() const { return error_; }

  // Own identity (an initiator with request_name adopts the name and creation from 'named:').
  const std::string& own_name() const { return options_.own_name; }
  std::uint32_t own_creation() const { return options_.creation; }
  // Known from send_name (acceptor) or the challenge (initiator) on.
  const PeerInfo& peer() const { return peer_; }
  // The status sent (acceptor) or received (initiator); OkSimultaneous tells the acceptor's
  // embedder to drop its own pending attempt, Alive to replace the old connection once Connected.
  std::optional<HandshakeStatus> status() const { return status_; }
  // 6 when creations were exchanged ('N' challenge), 5 for a pure version-5 handshake.
  std::uint16_t version() const { return version_; }
  // The connection's flags once Connected: own AND peer (expanded), PUBLISHED only if both.
  DistFlags effective_flags() const;

  // The line OTP 25 logs for this failure ("** Connection attempt from node x@h rejected.
  // Invalid challenge reply. **"), or "" when OTP logs nothing for it. Never includes a cookie
  // or the peer's raw bytes.
  virtual std::string otp_log_line() const = 0;

 protected:
  explicit HandshakeMachine(HandshakeOptions options, HandshakeState initial);
  // One complete payload, starting at stream offset `offset`. Returns false after fail().
  virtual bool on_message(std::span<const std::uint8_t> payload, std::size_t offset) = 0;
  // True in the states where a message from the peer is expected.
  bool reading() const;
  bool fail(HandshakeErrorCode code, std::size_t offset, std::string detail = {});
  bool fail(HandshakeError error, std::size_t base_offset);

  HandshakeOptions options_;
  HandshakeState state_;
  std::optional<HandshakeError> error_;
  std::vector<std::uint8_t> output_;
  PeerInfo peer_;
  std::optional<HandshakeStatus> status_;
  std::uint16_t version_ = 6;
  DistFlags sent_flags_ = 0;  // the flags we put on the wire (may differ from options_.flags)

 private:
  std::uint8_t length_bytes_[2] = {};
  std::size_t length_have_ = 0;
  std::size_t length_ = 0;
  std::vector<std::uint8_t> payload_;
  std::size_t stream_offset_ = 0;   // bytes consumed so far
  std::size_t message_offset_ = 0;  // stream offset of the current message's length prefix
};

struct InitiatorOptions : HandshakeOptions {
  std::string target_name;  // the node dialled: the challenge must carry exactly this name
  // send_name form: 6 'N' (OTP 23+); 5 'n' as OTP 23/24 send when epmd reports version 5.
  std::uint16_t send_name_version = 6;
  // DFLAG_NAME_ME: own_name is only the host; the acceptor assigns a name and a creation
  // ('named:' status) and the creation sent is 0. Implies send_name_version 6.
  bool request_name = false;
};

class Initiator final : public HandshakeMachine {
 public:
  explicit Initiator(InitiatorOptions options);

  // In AwaitAliveDecision: true -> 'strue' (this attempt replaces the peer's old connection, e.g.
  // because we restarted), false -> 'sfalse' and Failed(DeclinedAlive).
  Result<HandshakeState, HandshakeError> answer_alive(bool proceed);

  const std::string& target_name() const { return target_name_; }
  std::string otp_log_line() const override;

 private:
  bool on_message(std::span<const std::uint8_t> payload, std::size_t offset) override;
  bool on_status(std::span<const std::uint8_t> payload, std::size_t offset);
  bool on_challenge(std::span<const std::uint8_t> payload, std::size_t offset);
  bool on_ack(std::span<const std::uint8_t> payload, std::size_t offset);

  std::string target_name_;
  std::uint16_t send_name_version_;
  bool request_name_;
};

// The embedder's knowledge when the acceptor asks (net_kernel's mark_pending, auth, allow list).
enum class ExistingConnection : std::uint8_t {
  None,             // no connection to this node
  PendingOutgoing,  // our own attempt to this node is in progress (simultaneous connect)
  Up,               // a connection to a node of this name is up
};

struct AcceptDecision {
  bool allowed = true;  // false: the node is not in net_kernel:allow/1 -> 'not_allowed'
  ExistingConnection existing = ExistingConnection::None;
  std::optional<Cookie> cookie;  // the cookie for this peer (erlang:set_cookie/2); default: ours
  // Only when the peer asked for a name (NAME_ME): the alive part to give it (the host is the one
  // it sent) and its creation (non-zero).
  std::string assigned_alive;
  std::uint32_t assigned_creation = 0;
};

struct AcceptorOptions : HandshakeOptions {
  bool accept_v5 = true;  // 'n' send_name (OTP 23/24, OTP >= 25.3); false emulates OTP 25.0-25.2
  bool accept_v6 = true;  // 'N' send_name; false emulates a pre-OTP-23 node
};

class Acceptor final : public HandshakeMachine {
 public:
  explicit Acceptor(AcceptorOptions options);

  // In AwaitDecision, peer() holds the name, flags and creation the initiator sent, and
  // name_requested() whether it asked for a name. decide() applies OTP's rules in OTP's order
  // (allow list, mandatory flags, then the simultaneous-connect rule: with our own attempt
  // pending, 'nok' if our name is greater, else 'ok_simultaneous'; an Up connection -> 'alive')
  // and returns the status it wrote. nok and not_allowed leave the machine Failed (SentNok,
  // SentNotAllowed, MissingMandatoryFlags) with that status still to be written. Errors:
  // WrongState outside AwaitDecision, BadDecision for a NAME_ME peer without a valid
  // assigned_alive / non-zero assigned_creation (the machine keeps waiting for a decision).
  Result<HandshakeStatus, HandshakeError> decide(const AcceptDecision& decision);

  bool name_requested() const { return name_requested_; }
  std::string otp_log_line() const override;

 private:
  bool on_message(std::span<const std::uint8_t> payload, std::size_t offset) override;
  bool on_name(std::span<const std::uint8_t> payload, std::size_t offset);
  bool on_alive_reply(std::span<const std::uint8_t> payload, std::size_t offset);
  bool on_complement(std::span<const std::uint8_t> payload, std::size_t offset);
  bool on_reply(std::span<const std::uint8_t> payload, std::size_t offset);
  void send_challenge();

  bool accept_v5_;
  bool accept_v6_;
  bool name_requested_ = false;
  bool expect_complement_ = false;
};

}  // namespace distspec::proto
