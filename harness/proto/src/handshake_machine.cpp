#include <algorithm>

#include "distspec/proto/handshake.hpp"
#include "handshake_bytes.hpp"

namespace distspec::proto {

std::string_view to_string(HandshakeState state) {
  switch (state) {
    case HandshakeState::AwaitStatus: return "AwaitStatus";
    case HandshakeState::AwaitAliveDecision: return "AwaitAliveDecision";
    case HandshakeState::AwaitChallenge: return "AwaitChallenge";
    case HandshakeState::AwaitChallengeAck: return "AwaitChallengeAck";
    case HandshakeState::AwaitName: return "AwaitName";
    case HandshakeState::AwaitDecision: return "AwaitDecision";
    case HandshakeState::AwaitAliveReply: return "AwaitAliveReply";
    case HandshakeState::AwaitComplement: return "AwaitComplement";
    case HandshakeState::AwaitChallengeReply: return "AwaitChallengeReply";
    case HandshakeState::Connected: return "Connected";
    case HandshakeState::Failed: return "Failed";
  }
  return "?";
}

HandshakeMachine::HandshakeMachine(HandshakeOptions options, HandshakeState initial)
    : options_(std::move(options)), state_(initial), sent_flags_(options_.flags) {}

bool HandshakeMachine::reading() const {
  switch (state_) {
    case HandshakeState::AwaitStatus:
    case HandshakeState::AwaitChallenge:
    case HandshakeState::AwaitChallengeAck:
    case HandshakeState::AwaitName:
    case HandshakeState::AwaitAliveReply:
    case HandshakeState::AwaitComplement:
    case HandshakeState::AwaitChallengeReply: return true;
    default: return false;
  }
}

bool HandshakeMachine::fail(HandshakeErrorCode code, std::size_t offset, std::string detail) {
  error_ = HandshakeError{code, offset, std::move(detail)};
  state_ = HandshakeState::Failed;
  return false;
}

bool HandshakeMachine::fail(HandshakeError error, std::size_t base_offset) {
  error.offset += base_offset;
  error_ = std::move(error);
  state_ = HandshakeState::Failed;
  return false;
}

Result<std::size_t, HandshakeError> HandshakeMachine::feed(std::span<const std::uint8_t> bytes) {
  if (state_ == HandshakeState::Failed) return *error_;
  std::size_t used = 0;
  while (used < bytes.size() && reading()) {
    if (length_have_ < 2) {
      if (length_have_ == 0) message_offset_ = stream_offset_;
      length_bytes_[length_have_++] = bytes[used++];
      ++stream_offset_;
      if (length_have_ < 2) continue;
      length_ = std::size_t(length_bytes_[0]) << 8 | length_bytes_[1];
      // Refused on the length alone: nothing is buffered for a message we would not accept.
      if (length_ == 0) return fail(HandshakeErrorCode::EmptyMessage, message_offset_), *error_;
      if (length_ > kMaxHandshakeMessage)
        return fail(HandshakeErrorCode::MessageTooLarge, message_offset_,
                    "announced " + std::to_string(length_) + " bytes, limit " +
                        std::to_string(kMaxHandshakeMessage)),
               *error_;
      payload_.clear();
      payload_.reserve(length_);
      continue;
    }
    const std::size_t take = std::min(length_ - payload_.size(), bytes.size() - used);
    payload_.insert(payload_.end(), bytes.begin() + used, bytes.begin() + used + take);
    used += take;
    stream_offset_ += take;
    if (payload_.size() < length_) continue;
    length_have_ = 0;
    const std::vector<std::uint8_t> payload = std::move(payload_);
    payload_.clear();
    if (!on_message(payload, message_offset_ + 2)) return *error_;
  }
  return used;
}

void HandshakeMachine::on_eof() {
  if (state_ == HandshakeState::Connected || state_ == HandshakeState::Failed) return;
  fail(HandshakeErrorCode::PeerClosed, stream_offset_,
       std::string("in state ") + std::string(to_string(state_)));
}

std::vector<std::uint8_t> HandshakeMachine::take_output() {
  std::vector<std::uint8_t> out;
  out.swap(output_);
  return out;
}

DistFlags HandshakeMachine::effective_flags() const {
  return proto::effective_flags(sent_flags_, peer_.flags);
}

}  // namespace distspec::proto

namespace distspec::proto::detail {

std::string quote_atom(std::string_view text) {
  auto bare_char = [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '@';
  };
  bool bare = !text.empty() && text[0] >= 'a' && text[0] <= 'z';
  for (unsigned char c : text) bare = bare && bare_char(c);
  if (bare) return std::string(text);
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace distspec::proto::detail
