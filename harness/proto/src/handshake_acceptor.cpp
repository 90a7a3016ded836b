// The acceptor: send_name -> [embedder's decision] status -> [alive reply] -> challenge ->
// [complement] -> challenge reply -> challenge ack -> Connected. Checks in OTP 25's order
// (spec/handshake.md §6).
#include "distspec/proto/digest.hpp"
#include "distspec/proto/handshake.hpp"
#include "distspec/proto/node_name.hpp"
#include "handshake_internal.hpp"

namespace distspec::proto {

Acceptor::Acceptor(AcceptorOptions options)
    : HandshakeMachine(options, HandshakeState::AwaitName),
      accept_v5_(options.accept_v5),
      accept_v6_(options.accept_v6) {}

bool Acceptor::on_message(std::span<const std::uint8_t> payload, std::size_t offset) {
  switch (state_) {
    case HandshakeState::AwaitName: return on_name(payload, offset);
    case HandshakeState::AwaitAliveReply: return on_alive_reply(payload, offset);
    case HandshakeState::AwaitComplement: return on_complement(payload, offset);
    case HandshakeState::AwaitChallengeReply: return on_reply(payload, offset);
    default: return fail(HandshakeErrorCode::UnexpectedMessage, offset);
  }
}

bool Acceptor::on_name(std::span<const std::uint8_t> payload, std::size_t offset) {
  // Every failure here closes without a status, as OTP 25 does.
  auto parsed = parse_send_name(payload);
  if (!parsed) return fail(parsed.error(), offset);
  SendName& message = parsed.value();
  if ((message.version == 5 && !accept_v5_) || (message.version == 6 && !accept_v6_))
    return fail(HandshakeErrorCode::UnsupportedVersion, offset,
                message.version == 5 ? "'n' send_name" : "'N' send_name");
  const std::size_t name_offset = offset + (message.version == 6 ? 15 : 7);
  name_requested_ = message.version == 6 && (message.flags & dflag::name_me);
  if (name_requested_) {
    auto host = validate_host(message.name);
    if (!host) return fail(HandshakeErrorCode::BadNodeName, name_offset + host.error().offset);
  } else {
    auto name = parse_node_name(message.name);
    if (!name)
      return fail(HandshakeErrorCode::BadNodeName, name_offset + name.error().offset,
                  std::string(to_string(name.error().code)));
  }
  peer_.name = std::move(message.name);
  peer_.flags = message.flags;
  peer_.creation = message.creation;
  peer_.name_version = message.version;
  state_ = HandshakeState::AwaitDecision;
  return true;
}

Result<HandshakeStatus, HandshakeError> Acceptor::decide(const AcceptDecision& decision) {
  if (state_ != HandshakeState::AwaitDecision)
    return HandshakeError{HandshakeErrorCode::WrongState, 0, std::string(to_string(state_))};
  if (name_requested_ &&
      (!validate_alive(decision.assigned_alive) || decision.assigned_creation == 0 ||
       decision.assigned_alive.size() + 1 + peer_.name.size() > kMaxNodeNameBytes))
    return HandshakeError{HandshakeErrorCode::BadDecision, 0, "NAME_ME needs a name and creation"};
  if (decision.cookie) options_.cookie = *decision.cookie;

  StatusMessage status;
  auto refuse = [&](HandshakeStatus sent, HandshakeErrorCode code, std::string detail) {
    status.status = sent;
    status_ = sent;
    encode_status(status, output_);
    fail(code, 0, std::move(detail));
    return sent;
  };
  if (!decision.allowed)
    return refuse(HandshakeStatus::NotAllowed, HandshakeErrorCode::SentNotAllowed, {});
  if (const DistFlags missing = missing_flags(peer_.flags, options_.required_flags))
    return refuse(HandshakeStatus::NotAllowed, HandshakeErrorCode::MissingMandatoryFlags,
                  format_flag_list(missing));

  if (name_requested_) {
    status.status = HandshakeStatus::Named;
    status.named_name = decision.assigned_alive + "@" + peer_.name;
    status.named_creation = decision.assigned_creation;
    peer_.name = status.named_name;
    peer_.creation = status.named_creation;
  } else if (decision.existing == ExistingConnection::PendingOutgoing) {
    // The simultaneous-connect rule: the greater name keeps its own attempt.
    if (compare_node_names(options_.own_name, peer_.name) > 0)
      return refuse(HandshakeStatus::Nok, HandshakeErrorCode::SentNok, {});
    status.status = HandshakeStatus::OkSimultaneous;
  } else if (decision.existing == ExistingConnection::Up) {
    status.status = HandshakeStatus::Alive;
  }
  status_ = status.status;
  encode_status(status, output_);
  if (status.status == HandshakeStatus::Alive)
    state_ = HandshakeState::AwaitAliveReply;
  else
    send_challenge();
  return status.status;
}

void Acceptor::send_challenge() {
  DistFlags flags = options_.flags;
  // OTP puts NAME_ME instead of PUBLISHED in its own flags for a nameless peer: the connection
  // is hidden.
  if (name_requested_) flags = (flags & ~dflag::published) | dflag::name_me;
  Challenge challenge{6, flags, options_.challenge, options_.creation, options_.own_name};
  state_ = HandshakeState::AwaitChallengeReply;
  if (peer_.name_version == 5) {
    if ((peer_.flags & dflag::handshake_23) && (flags & dflag::handshake_23)) {
      state_ = HandshakeState::AwaitComplement;  // 'N' answer; the creation comes in 'c'
    } else {
      challenge.version = 5;  // pure version 5: 32-bit flags, no creations
      flags &= 0xffffffffULL;
      challenge.flags = flags;
    }
  }
  sent_flags_ = flags;
  version_ = challenge.version;
  encode_challenge(challenge, output_);
}

bool Acceptor::on_alive_reply(std::span<const std::uint8_t> payload, std::size_t offset) {
  auto proceed = parse_alive_reply(payload);
  if (!proceed) return fail(proceed.error(), offset);
  if (!proceed.value()) return fail(HandshakeErrorCode::PeerDeclinedAlive, offset);
  send_challenge();
  return true;
}

bool Acceptor::on_complement(std::span<const std::uint8_t> payload, std::size_t offset) {
  auto parsed = parse_complement(payload);
  if (!parsed) return fail(parsed.error(), offset);
  peer_.flags = (peer_.flags & 0xffffffffULL) | (DistFlags{parsed->flags_high} << 32);
  peer_.creation = parsed->creation;
  state_ = HandshakeState::AwaitChallengeReply;
  return true;
}

bool Acceptor::on_reply(std::span<const std::uint8_t> payload, std::size_t offset) {
  auto parsed = parse_challenge_reply(payload);
  if (!parsed) return fail(parsed.error(), offset);
  if (!digest_matches(parsed->digest, options_.challenge, options_.cookie))
    return fail(HandshakeErrorCode::InvalidChallengeReply, offset + 5);
  encode_challenge_ack({compute_digest(parsed->challenge, options_.cookie)}, output_);
  state_ = HandshakeState::Connected;
  return true;
}

std::string Acceptor::otp_log_line() const {
  if (!error_) return {};
  const std::string peer = detail::quote_atom(peer_.name);
  switch (error_->code) {
    case HandshakeErrorCode::InvalidChallengeReply:
      return "** Connection attempt from node " + peer + " rejected. Invalid challenge reply. **";
    case HandshakeErrorCode::MissingMandatoryFlags:
      return "** " + detail::quote_atom(options_.own_name) + ": Connection attempt from node " +
             peer + " rejected since it cannot handle " + error_->detail + ".**";
    case HandshakeErrorCode::SentNotAllowed:
      return "** Connection attempt from disallowed node " + peer + " **";
    default: return {};
  }
}

}  // namespace distspec::proto
