#include "distspec/proto/handshake_messages.hpp"

#include <algorithm>

#include "handshake_bytes.hpp"

namespace distspec::proto {
namespace {

using Bytes = std::span<const std::uint8_t>;

HandshakeError fail(HandshakeErrorCode code, std::size_t offset) { return {code, offset, {}}; }

// Starts a frame: reserves the 2-byte length; finish() fills it in.
std::size_t begin_frame(std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.push_back(0);
  out.push_back(0);
  return start;
}

constexpr std::string_view kNamedPrefix = "named:";

}  // namespace

std::string_view to_string(HandshakeErrorCode code) {
  switch (code) {
    case HandshakeErrorCode::EmptyMessage: return "empty handshake message";
    case HandshakeErrorCode::MessageTooLarge: return "handshake message over the size limit";
    case HandshakeErrorCode::UnexpectedMessage: return "message not allowed in this state";
    case HandshakeErrorCode::Truncated: return "message shorter than its layout";
    case HandshakeErrorCode::BadLength: return "message of the wrong size";
    case HandshakeErrorCode::BadVersion: return "version field is not 5";
    case HandshakeErrorCode::BadNodeName: return "invalid node name";
    case HandshakeErrorCode::UnsupportedVersion: return "handshake version not accepted";
    case HandshakeErrorCode::UnknownStatus: return "unknown status";
    case HandshakeErrorCode::PeerSentNok: return "peer answered nok (its own attempt wins)";
    case HandshakeErrorCode::PeerSentNotAllowed: return "peer answered not_allowed";
    case HandshakeErrorCode::PeerDeclinedAlive: return "initiator answered false to alive";
    case HandshakeErrorCode::DeclinedAlive: return "answered false to alive";
    case HandshakeErrorCode::BadNamedStatus: return "bad or unexpected named: status";
    case HandshakeErrorCode::MissingMandatoryFlags: return "peer lacks mandatory flags";
    case HandshakeErrorCode::HandshakeFlagMismatch: return "challenge form and HANDSHAKE_23 disagree";
    case HandshakeErrorCode::ChallengeNameMismatch: return "challenge from another node than dialled";
    case HandshakeErrorCode::InvalidChallengeReply: return "Invalid challenge reply";
    case HandshakeErrorCode::InvalidChallengeAck: return "Invalid challenge ack";
    case HandshakeErrorCode::SentNotAllowed: return "peer not allowed (not_allowed sent)";
    case HandshakeErrorCode::SentNok: return "own pending attempt wins (nok sent)";
    case HandshakeErrorCode::WrongState: return "no decision awaited in this state";
    case HandshakeErrorCode::BadDecision: return "invalid decision";
    case HandshakeErrorCode::PeerClosed: return "connection closed during the handshake";
  }
  return "unknown handshake error";
}

std::string_view to_string(HandshakeStatus status) {
  switch (status) {
    case HandshakeStatus::Ok: return "ok";
    case HandshakeStatus::OkSimultaneous: return "ok_simultaneous";
    case HandshakeStatus::Nok: return "nok";
    case HandshakeStatus::NotAllowed: return "not_allowed";
    case HandshakeStatus::Alive: return "alive";
    case HandshakeStatus::Named: return "named:";
  }
  return "?";
}

void encode_send_name(const SendName& m, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_frame(out);
  if (m.version == 5) {
    wire::put8(out, 'n');
    wire::put16(out, 5);
    wire::put32(out, std::uint32_t(m.flags));
  } else {
    wire::put8(out, 'N');
    wire::put64(out, m.flags);
    wire::put32(out, m.creation);
    wire::put16(out, std::uint16_t(m.name.size()));
  }
  wire::put_text(out, m.name);
  wire::patch_length16(out, start);
}

void encode_status(const StatusMessage& m, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_frame(out);
  wire::put8(out, 's');
  wire::put_text(out, to_string(m.status));
  if (m.status == HandshakeStatus::Named) {
    wire::put16(out, std::uint16_t(m.named_name.size()));
    wire::put_text(out, m.named_name);
    wire::put32(out, m.named_creation);
  }
  wire::patch_length16(out, start);
}

void encode_alive_reply(bool proceed, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_frame(out);
  wire::put8(out, 's');
  wire::put_text(out, proceed ? "true" : "false");
  wire::patch_length16(out, start);
}

void encode_challenge(const Challenge& m, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_frame(out);
  if (m.version == 5) {
    wire::put8(out, 'n');
    wire::put16(out, 5);
    wire::put32(out, std::uint32_t(m.flags));
    wire::put32(out, m.challenge);
  } else {
    wire::put8(out, 'N');
    wire::put64(out, m.flags);
    wire::put32(out, m.challenge);
    wire::put32(out, m.creation);
    wire::put16(out, std::uint16_t(m.name.size()));
  }
  wire::put_text(out, m.name);
  wire::patch_length16(out, start);
}

void encode_complement(const Complement& m, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_frame(out);
  wire::put8(out, 'c');
  wire::put32(out, m.flags_high);
  wire::put32(out, m.creation);
  wire::patch_length16(out, start);
}

void encode_challenge_reply(const ChallengeReply& m, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_frame(out);
  wire::put8(out, 'r');
  wire::put32(out, m.challenge);
  out.insert(out.end(), m.digest.begin(), m.digest.end());
  wire::patch_length16(out, start);
}

void encode_challenge_ack(const ChallengeAck& m, std::vector<std::uint8_t>& out) {
  const std::size_t start = begin_frame(out);
  wire::put8(out, 'a');
  out.insert(out.end(), m.digest.begin(), m.digest.end());
  wire::patch_length16(out, start);
}

Result<SendName, HandshakeError> parse_send_name(Bytes p) {
  if (p.empty()) return fail(HandshakeErrorCode::Truncated, 0);
  SendName m;
  if (p[0] == 'n') {
    if (p.size() < 7) return fail(HandshakeErrorCode::Truncated, p.size());
    // OTP (23/24, and 25.3+ recv_name_old) ignores the version field of an 'n' send_name.
    m.version = 5;
    m.flags = wire::get32(p, 3);
    m.name = std::string(wire::text_at(p, 7, p.size() - 7));
    return m;
  }
  if (p[0] != 'N') return fail(HandshakeErrorCode::UnexpectedMessage, 0);
  if (p.size() < 15) return fail(HandshakeErrorCode::Truncated, p.size());
  m.version = 6;
  m.flags = wire::get64(p, 1);
  m.creation = wire::get32(p, 9);
  const std::size_t name_len = wire::get16(p, 13);
  if (p.size() < 15 + name_len) return fail(HandshakeErrorCode::Truncated, 13);
  m.name = std::string(wire::text_at(p, 15, name_len));
  return m;
}

Result<StatusMessage, HandshakeError> parse_status(Bytes p) {
  if (p.empty() || p[0] != 's') return fail(HandshakeErrorCode::UnexpectedMessage, 0);
  const std::string_view text = wire::text_at(p, 1, p.size() - 1);
  StatusMessage m;
  if (text.starts_with(kNamedPrefix)) {
    // ['s']["named:"][Nlen:16][Name][Creation:32], anything after it ignored.
    const std::size_t at = 1 + kNamedPrefix.size();
    if (p.size() < at + 2) return fail(HandshakeErrorCode::BadNamedStatus, p.size());
    const std::size_t name_len = wire::get16(p, at);
    if (p.size() < at + 2 + name_len + 4) return fail(HandshakeErrorCode::BadNamedStatus, at);
    m.status = HandshakeStatus::Named;
    m.named_name = std::string(wire::text_at(p, at + 2, name_len));
    m.named_creation = wire::get32(p, at + 2 + name_len);
    return m;
  }
  for (auto status : {HandshakeStatus::Ok, HandshakeStatus::OkSimultaneous, HandshakeStatus::Nok,
                      HandshakeStatus::NotAllowed, HandshakeStatus::Alive}) {
    if (text == to_string(status)) {
      m.status = status;
      return m;
    }
  }
  return fail(HandshakeErrorCode::UnknownStatus, 1);
}

Result<bool, HandshakeError> parse_alive_reply(Bytes p) {
  if (p.empty() || p[0] != 's') return fail(HandshakeErrorCode::UnexpectedMessage, 0);
  const std::string_view text = wire::text_at(p, 1, p.size() - 1);
  if (text == "true") return true;
  if (text == "false") return false;
  return fail(HandshakeErrorCode::UnknownStatus, 1);
}

Result<Challenge, HandshakeError> parse_challenge(Bytes p) {
  if (p.empty()) return fail(HandshakeErrorCode::Truncated, 0);
  Challenge m;
  if (p[0] == 'n') {
    if (p.size() < 11) return fail(HandshakeErrorCode::Truncated, p.size());
    m.version = wire::get16(p, 1);
    if (m.version != 5) return fail(HandshakeErrorCode::BadVersion, 1);
    m.flags = wire::get32(p, 3);
    m.challenge = wire::get32(p, 7);
    m.name = std::string(wire::text_at(p, 11, p.size() - 11));
    return m;
  }
  if (p[0] != 'N') return fail(HandshakeErrorCode::UnexpectedMessage, 0);
  if (p.size() < 19) return fail(HandshakeErrorCode::Truncated, p.size());
  m.version = 6;
  m.flags = wire::get64(p, 1);
  m.challenge = wire::get32(p, 9);
  m.creation = wire::get32(p, 13);
  const std::size_t name_len = wire::get16(p, 17);
  if (p.size() < 19 + name_len) return fail(HandshakeErrorCode::Truncated, 17);
  m.name = std::string(wire::text_at(p, 19, name_len));
  return m;
}

Result<Complement, HandshakeError> parse_complement(Bytes p) {
  if (p.empty() || p[0] != 'c') return fail(HandshakeErrorCode::UnexpectedMessage, 0);
  if (p.size() != 9) return fail(HandshakeErrorCode::BadLength, std::min<std::size_t>(p.size(), 9));
  return Complement{wire::get32(p, 1), wire::get32(p, 5)};
}

Result<ChallengeReply, HandshakeError> parse_challenge_reply(Bytes p) {
  if (p.empty() || p[0] != 'r') return fail(HandshakeErrorCode::UnexpectedMessage, 0);
  if (p.size() != 21)
    return fail(HandshakeErrorCode::BadLength, std::min<std::size_t>(p.size(), 21));
  ChallengeReply m;
  m.challenge = wire::get32(p, 1);
  std::copy(p.begin() + 5, p.end(), m.digest.begin());
  return m;
}

Result<ChallengeAck, HandshakeError> parse_challenge_ack(Bytes p) {
  if (p.empty() || p[0] != 'a') return fail(HandshakeErrorCode::UnexpectedMessage, 0);
  if (p.size() != 17)
    return fail(HandshakeErrorCode::BadLength, std::min<std::size_t>(p.size(), 17));
  ChallengeAck m;
  std::copy(p.begin() + 1, p.end(), m.digest.begin());
  return m;
}

}  // namespace distspec::proto
