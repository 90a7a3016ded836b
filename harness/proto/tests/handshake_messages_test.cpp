// The handshake message codecs: observed OTP bytes, round trips, exact sizes.
#include <gtest/gtest.h>

#include "distspec/proto/handshake_messages.hpp"

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> payload(const Bytes& framed) { return std::span(framed).subspan(2); }

TEST(HandshakeMessages, SendNameVersion6AsOtpSendsIt) {
  // Observed: c@vm with OTP 25's flags, 19-byte payload.
  Bytes out;
  encode_send_name({6, kOtp25AdvertisedFlags, 0x6b08915d, "c@vm"}, out);
  const Bytes expected{0x00, 0x13, 'N', 0, 0, 0, 0x0d, 0x07, 0xdf, 0x7f, 0xbd,
                       0x6b, 0x08, 0x91, 0x5d, 0x00, 0x04, 'c', '@', 'v', 'm'};
  EXPECT_EQ(out, expected);
  EXPECT_EQ(parse_send_name(payload(out)).value(),
            (SendName{6, kOtp25AdvertisedFlags, 0x6b08915d, "c@vm"}));
  // Bytes after the name are ignored.
  Bytes longer(out.begin() + 2, out.end());
  longer.push_back(0xee);
  EXPECT_EQ(parse_send_name(longer)->name, "c@vm");
}

TEST(HandshakeMessages, SendNameVersion5) {
  Bytes out;
  encode_send_name({5, kOtp25AdvertisedFlags, 0, "c@vm"}, out);
  EXPECT_EQ(out, (Bytes{0, 11, 'n', 0, 5, 0x07, 0xdf, 0x7f, 0xbd, 'c', '@', 'v', 'm'}));
  auto parsed = parse_send_name(payload(out));
  EXPECT_EQ(parsed->flags, kOtp25AdvertisedFlags & 0xffffffffULL);  // 32 bits only
  EXPECT_EQ(parsed->creation, 0u);
}

TEST(HandshakeMessages, NamedStatusAsOtpSendsIt) {
  // Observed: s named: 00 10 "1032DL42YD906@vm" 07 fd 13 01
  Bytes out;
  encode_status({HandshakeStatus::Named, "1032DL42YD906@vm", 0x07fd1301}, out);
  Bytes expected{'s', 'n', 'a', 'm', 'e', 'd', ':', 0x00, 0x10};
  for (char c : std::string("1032DL42YD906@vm")) expected.push_back(std::uint8_t(c));
  for (std::uint8_t b : {0x07, 0xfd, 0x13, 0x01}) expected.push_back(b);
  EXPECT_EQ(Bytes(out.begin() + 2, out.end()), expected);
  EXPECT_EQ(parse_status(payload(out))->named_creation, 0x07fd1301u);
  // Cut anywhere inside the name or creation: refused.
  for (std::size_t k = 7; k < expected.size(); ++k)
    EXPECT_EQ(parse_status(std::span(expected).first(k)).error().code,
              HandshakeErrorCode::BadNamedStatus)
        << k;
}

TEST(HandshakeMessages, EveryStatusRoundTrips) {
  for (auto status : {HandshakeStatus::Ok, HandshakeStatus::OkSimultaneous, HandshakeStatus::Nok,
                      HandshakeStatus::NotAllowed, HandshakeStatus::Alive}) {
    Bytes out;
    encode_status(StatusMessage{status, {}, 0}, out);
    EXPECT_EQ(std::string(out.begin() + 3, out.end()), to_string(status));
    EXPECT_EQ(parse_status(payload(out))->status, status);
  }
  Bytes t, f;
  encode_alive_reply(true, t);
  encode_alive_reply(false, f);
  EXPECT_EQ(t, (Bytes{0, 5, 's', 't', 'r', 'u', 'e'}));
  EXPECT_TRUE(parse_alive_reply(payload(t)).value());
  EXPECT_FALSE(parse_alive_reply(payload(f)).value());
  EXPECT_EQ(parse_status(Bytes{'s', 'o', 'k', 0}).error().code, HandshakeErrorCode::UnknownStatus);
  EXPECT_EQ(parse_alive_reply(Bytes{'s', 'o', 'k'}).error().code, HandshakeErrorCode::UnknownStatus);
}

TEST(HandshakeMessages, ChallengesRoundTrip) {
  const Challenge v6{6, kOtp25AdvertisedFlags, 0xdf388e82, 0x6b08915d, "x@vm"};
  Bytes out;
  encode_challenge(v6, out);
  EXPECT_EQ(out.size(), 2u + 19u + 4u);
  EXPECT_EQ(parse_challenge(payload(out)).value(), v6);
  const Challenge v5{5, 0x07df7fbd, 42, 0, "x@vm"};
  Bytes out5;
  encode_challenge(v5, out5);
  EXPECT_EQ(out5, (Bytes{0, 15, 'n', 0, 5, 0x07, 0xdf, 0x7f, 0xbd, 0, 0, 0, 42, 'x', '@', 'v', 'm'}));
  EXPECT_EQ(parse_challenge(payload(out5)).value(), v5);
  for (std::size_t k = 0; k < 19; ++k)
    EXPECT_FALSE(parse_challenge(payload(out).first(k)).ok()) << k;
}

TEST(HandshakeMessages, FixedSizeMessages) {
  const ChallengeReply reply{0x8810a82e, compute_digest(1, Cookie("c"))};
  Bytes r;
  encode_challenge_reply(reply, r);
  EXPECT_EQ(r.size(), 23u);
  EXPECT_EQ(parse_challenge_reply(payload(r)).value(), reply);
  const ChallengeAck ack{compute_digest(2, Cookie("c"))};
  Bytes a;
  encode_challenge_ack(ack, a);
  EXPECT_EQ(a.size(), 19u);
  EXPECT_EQ(parse_challenge_ack(payload(a)).value(), ack);
  const Complement complement{0xd, 0x6b089167};
  Bytes c;
  encode_complement(complement, c);
  EXPECT_EQ(c, (Bytes{0, 9, 'c', 0, 0, 0, 0xd, 0x6b, 0x08, 0x91, 0x67}));
  EXPECT_EQ(parse_complement(payload(c)).value(), complement);
  // OTP rejects any other size.
  for (const Bytes* m : {&r, &a, &c}) {
    Bytes shorter(m->begin() + 2, m->end() - 1), longer(m->begin() + 2, m->end());
    longer.push_back(0);
    EXPECT_EQ(shorter[0] == 'r'   ? parse_challenge_reply(shorter).error().code
              : shorter[0] == 'a' ? parse_challenge_ack(shorter).error().code
                                  : parse_complement(shorter).error().code,
              HandshakeErrorCode::BadLength);
    EXPECT_EQ(longer[0] == 'r'   ? parse_challenge_reply(longer).error().code
              : longer[0] == 'a' ? parse_challenge_ack(longer).error().code
                                 : parse_complement(longer).error().code,
              HandshakeErrorCode::BadLength);
  }
}

}  // namespace
}  // namespace distspec::proto
