// The initiator (the side that dialled): send_name -> status -> [alive reply] -> challenge ->
// [complement] -> challenge reply -> challenge ack -> Connected.
#include "distspec/proto/digest.hpp"
#include "distspec/proto/handshake.hpp"
#include "distspec/proto/node_name.hpp"
#include "handshake_internal.hpp"

namespace distspec::proto {

Initiator::Initiator(InitiatorOptions options)
    : HandshakeMachine(options, HandshakeState::AwaitStatus),
      target_name_(std::move(options.target_name)),
      // NAME_ME is bit 33: only the 64-bit flags of an 'N' send_name can carry it.
      send_name_version_(options.send_name_version == 5 && !options.request_name ? 5 : 6),
      request_name_(options.request_name) {
  sent_flags_ = options_.flags | (request_name_ ? dflag::name_me : 0);
  if (request_name_) options_.creation = 0;  // a node without a name has no creation yet
  const DistFlags wire_flags = send_name_version_ == 5 ? (sent_flags_ & 0xffffffffULL)  // 32 bits
                                                       : sent_flags_;
  encode_send_name({send_name_version_, wire_flags, options_.creation, options_.own_name}, output_);
}

bool Initiator::on_message(std::span<const std::uint8_t> payload, std::size_t offset) {
  switch (state_) {
    case HandshakeState::AwaitStatus: return on_status(payload, offset);
    case HandshakeState::AwaitChallenge: return on_challenge(payload, offset);
    case HandshakeState::AwaitChallengeAck: return on_ack(payload, offset);
    default: return fail(HandshakeErrorCode::UnexpectedMessage, offset);
  }
}

bool Initiator::on_status(std::span<const std::uint8_t> payload, std::size_t offset) {
  auto parsed = parse_status(payload);
  if (!parsed) return fail(parsed.error(), offset);
  const StatusMessage& message = parsed.value();
  status_ = message.status;
  switch (message.status) {
    case HandshakeStatus::Nok: return fail(HandshakeErrorCode::PeerSentNok, offset);
    case HandshakeStatus::NotAllowed: return fail(HandshakeErrorCode::PeerSentNotAllowed, offset);
    case HandshakeStatus::Named: {
      if (!request_name_) return fail(HandshakeErrorCode::BadNamedStatus, offset, "not requested");
      // The name must be <alive>@<the host we sent>, with a real creation.
      auto name = parse_node_name(message.named_name);
      if (!name || name->host != options_.own_name || message.named_creation == 0)
        return fail(HandshakeErrorCode::BadNamedStatus, offset + 7, "bad assigned name");
      options_.own_name = message.named_name;
      options_.creation = message.named_creation;
      state_ = HandshakeState::AwaitChallenge;
      return true;
    }
    default: break;
  }
  // With NAME_ME only 'named:' (or 'not_allowed') may come back.
  if (request_name_) return fail(HandshakeErrorCode::BadNamedStatus, offset, "named: missing");
  state_ = message.status == HandshakeStatus::Alive ? HandshakeState::AwaitAliveDecision
                                                    : HandshakeState::AwaitChallenge;
  return true;
}

Result<HandshakeState, HandshakeError> Initiator::answer_alive(bool proceed) {
  if (state_ != HandshakeState::AwaitAliveDecision)
    return HandshakeError{HandshakeErrorCode::WrongState, 0, std::string(to_string(state_))};
  encode_alive_reply(proceed, output_);
  if (proceed)
    state_ = HandshakeState::AwaitChallenge;
  else
    fail(HandshakeErrorCode::DeclinedAlive, 0);
  return state_;
}

bool Initiator::on_challenge(std::span<const std::uint8_t> payload, std::size_t offset) {
  auto parsed = parse_challenge(payload);
  if (!parsed) return fail(parsed.error(), offset);
  const Challenge& challenge = parsed.value();
  const bool peer_h23 = challenge.flags & dflag::handshake_23;
  const bool we_sent_h23 = send_name_version_ == 6 || (sent_flags_ & dflag::handshake_23);
  // OTP 23/24 rules: an 'N' challenge must carry HANDSHAKE_23 and answer a send_name that had
  // it; an 'n' challenge must not carry it (spec/handshake.md §8).
  if (challenge.version == 6 ? (!peer_h23 || !we_sent_h23) : peer_h23)
    return fail(HandshakeErrorCode::HandshakeFlagMismatch, offset);
  if (challenge.version == 5 && send_name_version_ == 6)
    return fail(HandshakeErrorCode::UnexpectedMessage, offset, "'n' challenge after 'N'");
  if (challenge.name != target_name_)
    return fail(HandshakeErrorCode::ChallengeNameMismatch, offset + (challenge.version == 6 ? 19 : 11));
  if (const DistFlags missing = missing_flags(challenge.flags, options_.required_flags))
    return fail(HandshakeErrorCode::MissingMandatoryFlags, offset + 1, format_flag_list(missing));
  peer_.name = challenge.name;
  peer_.flags = challenge.flags;
  peer_.creation = challenge.creation;
  peer_.name_version = challenge.version;
  version_ = challenge.version;
  if (challenge.version == 5) sent_flags_ &= 0xffffffffULL;  // no complement: 32 bits only
  if (challenge.version == 6 && send_name_version_ == 5)
    encode_complement({std::uint32_t(sent_flags_ >> 32), options_.creation}, output_);
  encode_challenge_reply({options_.challenge, compute_digest(challenge.challenge, options_.cookie)},
                         output_);
  state_ = HandshakeState::AwaitChallengeAck;
  return true;
}

bool Initiator::on_ack(std::span<const std::uint8_t> payload, std::size_t offset) {
  auto parsed = parse_challenge_ack(payload);
  if (!parsed) return fail(parsed.error(), offset);
  if (!digest_matches(parsed->digest, options_.challenge, options_.cookie))
    return fail(HandshakeErrorCode::InvalidChallengeAck, offset + 1);
  state_ = HandshakeState::Connected;
  return true;
}

std::string Initiator::otp_log_line() const {
  if (!error_) return {};
  const std::string target = detail::quote_atom(target_name_);
  switch (error_->code) {
    case HandshakeErrorCode::InvalidChallengeAck:
      return "** Connection attempt to node " + target + " cancelled. Invalid challenge ack. **";
    case HandshakeErrorCode::MissingMandatoryFlags:
      return "** " + detail::quote_atom(options_.own_name) + ": Connection attempt to node " +
             target + " aborted since it cannot handle " + error_->detail + ".**";
    default: return {};  // OTP's initiator fails silently otherwise (net_adm:ping -> pang)
  }
}

}  // namespace distspec::proto
