// Replays the handshakes of real OTP 25.2.3 nodes (../shared/vectors/captures) through our
// machines: each machine, given the same inputs the real node had (name, flags, creation,
// challenge, cookie), must accept the real peer's messages and emit byte-for-byte what the real
// node emitted.
//
// The cookies: vectors/README.md says secret_token. That holds for d_genserver_call_iex, but the
// digests of a_ping_same_cookie and b_ping_wrong_cookie follow the MD5 rule only with "tok", the
// cookie their console files name ("### y (cookie tok)"): the README is wrong there (reported to
// the lead). SameCookieDigestsIdentifyTheCookie pins this down.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "distspec/proto/handshake.hpp"
#include "support/pcapng.hpp"

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;
const Cookie kCaptureCookie("tok");  // a and b
const Cookie kIexCaptureCookie("secret_token");  // d

std::string capture_path(const std::string& name) {
  return std::string(DISTSPEC_SHARED_DIR) + "/vectors/captures/" + name + ".pcapng";
}

// The distribution connections of a capture: TCP streams whose client opens with a 2-byte frame
// holding 'N' (send_name).
std::vector<const test::pcapng::TcpStream*> dist_streams(const test::pcapng::Capture& capture) {
  std::vector<const test::pcapng::TcpStream*> out;
  for (const auto& stream : capture.streams) {
    const auto& c = stream.client_to_server;
    if (c.size() > 3 && c[2] == 'N' && stream.server.port != 4369) out.push_back(&stream);
  }
  return out;
}

// Splits the first `count` 2-byte frames off `bytes` (each frame with its length prefix).
std::vector<Bytes> frames(const Bytes& bytes, std::size_t count) {
  std::vector<Bytes> out;
  std::size_t at = 0;
  while (out.size() < count && at + 2 <= bytes.size()) {
    const std::size_t n = std::size_t(bytes[at]) << 8 | bytes[at + 1];
    if (at + 2 + n > bytes.size()) break;
    out.emplace_back(bytes.begin() + std::ptrdiff_t(at), bytes.begin() + std::ptrdiff_t(at + 2 + n));
    at += 2 + n;
  }
  return out;
}

std::span<const std::uint8_t> payload(const Bytes& frame) { return std::span(frame).subspan(2); }

Bytes concat(std::initializer_list<const Bytes*> parts) {
  Bytes out;
  for (const Bytes* part : parts) out.insert(out.end(), part->begin(), part->end());
  return out;
}

struct RealHandshake {
  Cookie cookie = kCaptureCookie;
  SendName name;
  Challenge challenge;
  ChallengeReply reply;
  Bytes name_frame, status_frame, challenge_frame, reply_frame, ack_frame;
  const test::pcapng::TcpStream* stream = nullptr;
};

RealHandshake load(const std::string& capture_name, const test::pcapng::TcpStream& stream,
                   bool with_ack) {
  RealHandshake real;
  real.stream = &stream;
  auto out = frames(real.stream->client_to_server, 2);
  auto in = frames(real.stream->server_to_client, with_ack ? 3 : 2);
  EXPECT_EQ(out.size(), 2u) << capture_name;
  EXPECT_EQ(in.size(), with_ack ? 3u : 2u) << capture_name;
  if (out.size() < 2 || in.size() < 2) return real;
  real.name_frame = out[0];
  real.reply_frame = out[1];
  real.status_frame = in[0];
  real.challenge_frame = in[1];
  if (with_ack && in.size() > 2) real.ack_frame = in[2];
  real.name = parse_send_name(payload(real.name_frame)).value();
  real.challenge = parse_challenge(payload(real.challenge_frame)).value();
  real.reply = parse_challenge_reply(payload(real.reply_frame)).value();
  return real;
}

RealHandshake load(const std::string& capture_name, const test::pcapng::Capture& capture,
                   bool with_ack) {
  const auto streams = dist_streams(capture);
  EXPECT_EQ(streams.size(), 1u) << capture_name;
  if (streams.empty()) throw std::runtime_error("no distribution stream in " + capture_name);
  return load(capture_name, *streams.front(), with_ack);
}

// Every completed handshake of the same-cookie captures (a: erl nodes; d: iex nodes, including
// the hidden probe nodes of the scenario).
std::vector<RealHandshake> completed_handshakes(std::vector<test::pcapng::Capture>& keep) {
  std::vector<RealHandshake> out;
  keep.push_back(test::pcapng::read_file(capture_path("a_ping_same_cookie")));
  keep.push_back(test::pcapng::read_file(capture_path("d_genserver_call_iex")));
  for (std::size_t i = 0; i < keep.size(); ++i) {
    for (const auto* stream : dist_streams(keep[i])) {
      out.push_back(load("capture", *stream, true));
      out.back().cookie = i == 0 ? kCaptureCookie : kIexCaptureCookie;
    }
  }
  return out;
}

TEST(HandshakeCapture, SameCookieMessagesAreWhatWeExpect) {
  const auto capture = test::pcapng::read_file(capture_path("a_ping_same_cookie"));
  const RealHandshake real = load("a", capture, true);
  ASSERT_FALSE(real.ack_frame.empty());
  EXPECT_EQ(real.name.version, 6);
  EXPECT_EQ(real.name.name, "y@vm");
  EXPECT_EQ(real.name.flags, kOtp25AdvertisedFlags);
  EXPECT_EQ(real.challenge.name, "x@vm");
  EXPECT_EQ(real.challenge.flags, kOtp25AdvertisedFlags);
  EXPECT_EQ(parse_status(payload(real.status_frame))->status, HandshakeStatus::Ok);
  // The real digests follow the MD5 rule with the capture's cookie, both ways.
  EXPECT_EQ(real.reply.digest, compute_digest(real.challenge.challenge, kCaptureCookie));
  EXPECT_EQ(parse_challenge_ack(payload(real.ack_frame))->digest,
            compute_digest(real.reply.challenge, kCaptureCookie));
}

TEST(HandshakeCapture, SameCookieDigestsIdentifyTheCookie) {
  const auto capture = test::pcapng::read_file(capture_path("a_ping_same_cookie"));
  const RealHandshake real = load("a", capture, true);
  EXPECT_FALSE(digest_matches(real.reply.digest, real.challenge.challenge, Cookie("secret_token")));
  EXPECT_TRUE(digest_matches(real.reply.digest, real.challenge.challenge, Cookie("tok")));
  const auto iex = test::pcapng::read_file(capture_path("d_genserver_call_iex"));
  for (const auto* stream : dist_streams(iex)) {
    const RealHandshake other = load("d", *stream, true);
    EXPECT_TRUE(digest_matches(other.reply.digest, other.challenge.challenge, kIexCaptureCookie));
    EXPECT_FALSE(digest_matches(other.reply.digest, other.challenge.challenge, Cookie("tok")));
  }
}

TEST(HandshakeCapture, OurAcceptorAnswersTheRealInitiatorAsOtpDid) {
  std::vector<test::pcapng::Capture> captures;
  const auto all = completed_handshakes(captures);
  ASSERT_EQ(all.size(), 4u);
  for (const RealHandshake& real : all) {
  SCOPED_TRACE(real.name.name);
  ASSERT_FALSE(real.ack_frame.empty());
  AcceptorOptions options;
  options.own_name = real.challenge.name;
  options.flags = real.challenge.flags;
  options.creation = real.challenge.creation;
  options.challenge = real.challenge.challenge;
  options.cookie = real.cookie;
  Acceptor acceptor(options);

  const Bytes& from_initiator = real.stream->client_to_server;
  auto used = acceptor.feed(from_initiator);
  ASSERT_TRUE(used.ok()) << to_string(used.error().code);
  EXPECT_EQ(used.value(), real.name_frame.size());  // stops for the decision
  ASSERT_EQ(acceptor.state(), HandshakeState::AwaitDecision);
  EXPECT_EQ(acceptor.peer().name, real.name.name);
  EXPECT_EQ(acceptor.peer().creation, real.name.creation);
  ASSERT_EQ(acceptor.decide({}).value(), HandshakeStatus::Ok);
  EXPECT_EQ(acceptor.take_output(), concat({&real.status_frame, &real.challenge_frame}));

  const auto rest = std::span(from_initiator).subspan(used.value());
  auto used2 = acceptor.feed(rest);
  ASSERT_TRUE(used2.ok()) << to_string(used2.error().code);
  EXPECT_EQ(used2.value(), real.reply_frame.size());  // stops at the end of the handshake
  ASSERT_EQ(acceptor.state(), HandshakeState::Connected);
  EXPECT_EQ(acceptor.take_output(), real.ack_frame);
  EXPECT_EQ(acceptor.effective_flags(), real.name.flags & real.challenge.flags);
  // What follows is the 4-byte-framed connection: a length that fits what the peer sent next.
  const auto after = rest.subspan(used2.value());
  ASSERT_GE(after.size(), 4u);
  const std::size_t first_packet = std::size_t(after[0]) << 24 | after[1] << 16 | after[2] << 8 | after[3];
  EXPECT_LE(first_packet + 4, after.size());
  EXPECT_EQ(after[4], 131);  // pass-through or 'D' header, both start with 131
  }
}

TEST(HandshakeCapture, OurInitiatorTalksToTheRealAcceptorAsOtpDid) {
  std::vector<test::pcapng::Capture> captures;
  const auto all = completed_handshakes(captures);
  ASSERT_EQ(all.size(), 4u);
  for (const RealHandshake& real : all) {
  SCOPED_TRACE(real.name.name);
  ASSERT_FALSE(real.ack_frame.empty());
  InitiatorOptions options;
  options.own_name = real.name.name;
  options.target_name = real.challenge.name;
  options.flags = real.name.flags;
  options.creation = real.name.creation;
  options.challenge = real.reply.challenge;
  options.cookie = real.cookie;
  Initiator initiator(options);
  EXPECT_EQ(initiator.take_output(), real.name_frame);

  const Bytes& from_acceptor = real.stream->server_to_client;
  const Bytes handshake_part =
      concat({&real.status_frame, &real.challenge_frame, &real.ack_frame});
  auto used = initiator.feed(from_acceptor);
  ASSERT_TRUE(used.ok()) << to_string(used.error().code);
  EXPECT_EQ(used.value(), handshake_part.size());
  ASSERT_EQ(initiator.state(), HandshakeState::Connected);
  EXPECT_EQ(initiator.take_output(), real.reply_frame);
  EXPECT_EQ(initiator.peer().name, real.challenge.name);
  EXPECT_EQ(initiator.peer().creation, real.challenge.creation);
  EXPECT_EQ(initiator.status(), HandshakeStatus::Ok);
  EXPECT_EQ(initiator.effective_flags(), real.name.flags & real.challenge.flags);
  }
}

TEST(HandshakeCapture, WrongCookieIsRejectedAsOtpRejectedIt) {
  const auto capture = test::pcapng::read_file(capture_path("b_ping_wrong_cookie"));
  const RealHandshake real = load("b", capture, false);
  ASSERT_FALSE(real.reply_frame.empty());
  // The initiator used another cookie: its digest does not follow from ours.
  EXPECT_NE(real.reply.digest, compute_digest(real.challenge.challenge, kCaptureCookie));
  // Nothing came after the challenge: the real acceptor closed without 'a'.
  EXPECT_EQ(real.stream->server_to_client.size(),
            real.status_frame.size() + real.challenge_frame.size());
  EXPECT_TRUE(real.stream->server_fin);

  AcceptorOptions options;
  options.own_name = real.challenge.name;
  options.flags = real.challenge.flags;
  options.creation = real.challenge.creation;
  options.challenge = real.challenge.challenge;
  options.cookie = kCaptureCookie;
  Acceptor acceptor(options);
  const Bytes& from_initiator = real.stream->client_to_server;
  auto used = acceptor.feed(from_initiator);
  ASSERT_TRUE(used.ok());
  ASSERT_TRUE(acceptor.decide({}).ok());
  EXPECT_EQ(acceptor.take_output(), concat({&real.status_frame, &real.challenge_frame}));
  auto result = acceptor.feed(std::span(from_initiator).subspan(used.value()));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, HandshakeErrorCode::InvalidChallengeReply);
  EXPECT_EQ(result.error().offset, real.name_frame.size() + 2 + 5);  // where the digest starts
  EXPECT_EQ(acceptor.state(), HandshakeState::Failed);
  EXPECT_FALSE(acceptor.has_output());  // like OTP: close without 'a'
  // The sentence the real acceptor logged (b_ping_wrong_cookie.console.txt).
  EXPECT_EQ(acceptor.otp_log_line(),
            "** Connection attempt from node y@vm rejected. Invalid challenge reply. **");

  // Our initiator with the acceptor's cookie answers differently from the real (wrong-cookie)
  // initiator, and ends with PeerClosed at the real acceptor's EOF.
  InitiatorOptions iopts;
  iopts.own_name = real.name.name;
  iopts.target_name = real.challenge.name;
  iopts.flags = real.name.flags;
  iopts.creation = real.name.creation;
  iopts.challenge = real.reply.challenge;
  iopts.cookie = kCaptureCookie;
  Initiator initiator(iopts);
  EXPECT_EQ(initiator.take_output(), real.name_frame);
  ASSERT_TRUE(initiator.feed(real.stream->server_to_client).ok());
  EXPECT_EQ(initiator.state(), HandshakeState::AwaitChallengeAck);
  const Bytes ours = initiator.take_output();
  EXPECT_NE(ours, real.reply_frame);
  EXPECT_EQ(Bytes(ours.begin(), ours.begin() + 7), Bytes(real.reply_frame.begin(), real.reply_frame.begin() + 7));
  initiator.on_eof();
  ASSERT_TRUE(initiator.failed());
  EXPECT_EQ(initiator.error()->code, HandshakeErrorCode::PeerClosed);
  EXPECT_EQ(initiator.otp_log_line(), "");  // OTP logs nothing when 'a' never comes
}

}  // namespace
}  // namespace distspec::proto
