// The two handshake machines driven against each other: versions and their negotiation, every
// status, wrong cookies both ways, mandatory flags, names, creations and the hand-over of bytes
// that follow the handshake.
#include <gtest/gtest.h>

#include "distspec/proto/handshake.hpp"
#include "support/handshake_driver.hpp"

namespace distspec::proto {
namespace {

using testing::acceptor_options;
using testing::Answers;
using testing::Bytes;
using testing::initiator_options;
using testing::run_pair;

void expect_connected(const Initiator& i, const Acceptor& a) {
  ASSERT_EQ(i.state(), HandshakeState::Connected)
      << (i.error() ? to_string(i.error()->code) : "no error");
  ASSERT_EQ(a.state(), HandshakeState::Connected)
      << (a.error() ? to_string(a.error()->code) : "no error");
  EXPECT_EQ(i.peer().name, a.own_name());
  EXPECT_EQ(a.peer().name, i.own_name());
  EXPECT_EQ(i.effective_flags(), a.effective_flags());
  EXPECT_EQ(i.version(), a.version());
}

TEST(Handshake, Version6ToVersion6) {
  Initiator i(initiator_options());
  Acceptor a(acceptor_options());
  const auto t = run_pair(i, a, {});
  expect_connected(i, a);
  EXPECT_EQ(i.version(), 6);
  EXPECT_EQ(t.to_acceptor[2], 'N');
  EXPECT_EQ(t.to_initiator[2], 's');
  EXPECT_EQ(i.status(), HandshakeStatus::Ok);
  EXPECT_EQ(a.status(), HandshakeStatus::Ok);
  // Creations are exchanged both ways.
  EXPECT_EQ(i.peer().creation, 0x6b089166u);
  EXPECT_EQ(a.peer().creation, 0x6b089167u);
  EXPECT_EQ(a.peer().name_version, 6);
  EXPECT_EQ(i.effective_flags(), kOtp25AdvertisedFlags);
  // Framed sizes with 4-byte names: send_name 21, reply 23; status 5, challenge 25, ack 19.
  EXPECT_EQ(t.to_acceptor.size(), 21u + 23u);
  EXPECT_EQ(t.to_initiator.size(), 5u + 25u + 19u);
}

TEST(Handshake, Version5WithHandshake23GetsNChallengeAndSendsComplement) {
  // OTP 23/24 send 'n' with HANDSHAKE_23 when epmd reports version 5; the acceptor answers 'N'
  // and the initiator completes the flags and creation with 'c'.
  auto io = initiator_options();
  io.send_name_version = 5;
  Initiator i(io);
  Acceptor a(acceptor_options());
  const auto t = run_pair(i, a, {});
  expect_connected(i, a);
  EXPECT_EQ(t.to_acceptor[2], 'n');
  EXPECT_EQ(a.peer().name_version, 5);
  EXPECT_EQ(i.version(), 6);
  EXPECT_EQ(a.peer().creation, 0x6b089167u);          // from the complement
  EXPECT_EQ(a.peer().flags, kOtp25AdvertisedFlags);   // high half from the complement
  EXPECT_EQ(i.peer().creation, 0x6b089166u);
  // 'n' send_name is 7 + name bytes; then 'c' (9) and 'r' (21) with their lengths.
  const std::size_t name_frame = 2 + 7 + 4;
  ASSERT_GT(t.to_acceptor.size(), name_frame + 11);
  EXPECT_EQ(t.to_acceptor[name_frame + 2], 'c');
  EXPECT_EQ(t.to_acceptor[name_frame + 11 + 2], 'r');
}

TEST(Handshake, PureVersion5BetweenOurOwnNodes) {
  // Pre-OTP-23 style: no HANDSHAKE_23 anywhere, 32-bit flags, no creations exchanged. Only
  // possible with relaxed mandatory flags (OTP 25 refuses it).
  const DistFlags v5_flags = (kOtp25AdvertisedFlags & 0xffffffffULL) & ~dflag::handshake_23 &
                             ~dflag::mandatory_25_digest;
  const DistFlags v5_required = kOtp25MandatoryFlags & ~dflag::handshake_23;
  auto io = initiator_options();
  io.send_name_version = 5;
  io.flags = v5_flags;
  io.required_flags = v5_required;
  auto ao = acceptor_options();
  ao.flags = v5_flags;
  ao.required_flags = v5_required;
  Initiator i(io);
  Acceptor a(ao);
  const auto t = run_pair(i, a, {});
  expect_connected(i, a);
  EXPECT_EQ(i.version(), 5);
  EXPECT_EQ(t.to_initiator[5 + 2], 'n');  // the challenge after "sok"
  EXPECT_EQ(i.peer().creation, 0u);
  EXPECT_EQ(a.peer().creation, 0u);
  EXPECT_EQ(i.effective_flags(), v5_flags);
}

TEST(Handshake, Version5InitiatorWithHandshake23MeetsPureVersion5Acceptor) {
  // The acceptor lacks HANDSHAKE_23 and answers 'n'; the initiator accepts a pure version-5
  // handshake only if it does not require HANDSHAKE_23 (OTP 25 does and refuses it).
  const DistFlags v5_flags = (kOtp25AdvertisedFlags & 0xffffffffULL) & ~dflag::handshake_23 &
                             ~dflag::mandatory_25_digest;
  auto ao = acceptor_options();
  ao.flags = v5_flags;
  ao.required_flags = kOtp25MandatoryFlags & ~dflag::handshake_23;
  {
    auto io = initiator_options();
    io.send_name_version = 5;
    Initiator i(io);
    Acceptor a(ao);
    run_pair(i, a, {});
    ASSERT_TRUE(i.failed());
    EXPECT_EQ(i.error()->code, HandshakeErrorCode::MissingMandatoryFlags);
    EXPECT_EQ(i.error()->detail, "[\"HANDSHAKE_23\"]");
  }
  {
    auto io = initiator_options();
    io.send_name_version = 5;
    io.required_flags = ao.required_flags;
    Initiator i(io);
    Acceptor a(ao);
    run_pair(i, a, {});
    expect_connected(i, a);
    EXPECT_EQ(i.version(), 5);
  }
}

TEST(Handshake, Version6InitiatorAgainstVersion5OnlyAcceptor) {
  // A pre-OTP-23 acceptor does not understand 'N': it closes without a status.
  auto ao = acceptor_options();
  ao.accept_v6 = false;
  Initiator i(initiator_options());
  Acceptor a(ao);
  const auto t = run_pair(i, a, {});
  ASSERT_TRUE(a.failed());
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::UnsupportedVersion);
  EXPECT_TRUE(t.to_initiator.empty());
  ASSERT_TRUE(i.failed());
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::PeerClosed);
}

TEST(Handshake, Version5InitiatorAgainstOtp25_2Acceptor) {
  // OTP 25.0-25.2 close an 'n' send_name without a status (spec pitfalls A.2/A.3).
  auto io = initiator_options();
  io.send_name_version = 5;
  auto ao = acceptor_options();
  ao.accept_v5 = false;
  Initiator i(io);
  Acceptor a(ao);
  const auto t = run_pair(i, a, {});
  ASSERT_TRUE(a.failed());
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::UnsupportedVersion);
  EXPECT_EQ(a.error()->offset, 2u);  // the tag
  EXPECT_TRUE(t.to_initiator.empty());
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::PeerClosed);
}

TEST(Handshake, WrongCookieRejectedByAcceptor) {
  auto io = initiator_options();
  io.cookie = Cookie("other");
  Initiator i(io);
  Acceptor a(acceptor_options());
  const auto t = run_pair(i, a, {});
  ASSERT_TRUE(a.failed());
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::InvalidChallengeReply);
  // Offset of the digest in the stream: after send_name (2+19) and 'r' header (2+1+4).
  EXPECT_EQ(a.error()->offset, 21u + 7u);
  EXPECT_EQ(a.otp_log_line(),
            "** Connection attempt from node i@vm rejected. Invalid challenge reply. **");
  // Nothing after the challenge: no 'a'.
  EXPECT_EQ(t.to_initiator.size(), 5u + 25u);
  ASSERT_TRUE(i.failed());
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::PeerClosed);
  EXPECT_EQ(i.otp_log_line(), "");
}

TEST(Handshake, WrongCookieRejectedByAcceptorWithPerNodeCookie) {
  // erlang:set_cookie(Node, C): the acceptor's embedder supplies the cookie for this peer.
  Initiator i(initiator_options());
  Acceptor a(acceptor_options());
  Answers answers;
  answers.decision.cookie = Cookie("per-node");
  run_pair(i, a, answers);
  ASSERT_TRUE(a.failed());
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::InvalidChallengeReply);

  auto io = initiator_options();
  io.cookie = Cookie("per-node");
  Initiator i2(io);
  Acceptor a2(acceptor_options());
  run_pair(i2, a2, answers);
  expect_connected(i2, a2);
}

TEST(Handshake, WrongAckRejectedByInitiator) {
  // An acceptor that answers with a digest made from another cookie (the initiator's side of
  // a cookie mismatch): the initiator must not connect.
  Initiator i(initiator_options());
  Acceptor a(acceptor_options());
  auto t = run_pair(i, a, {}, SIZE_MAX);
  ASSERT_TRUE(i.connected());
  // Replay the acceptor's bytes with the ack digest recomputed from a wrong cookie.
  Bytes forged = t.to_initiator;
  const Digest wrong = compute_digest(1711735914, Cookie("wrong"));
  std::copy(wrong.begin(), wrong.end(), forged.end() - 16);
  Initiator i2(initiator_options());
  auto used = i2.feed(forged);
  ASSERT_FALSE(used.ok());
  EXPECT_EQ(used.error().code, HandshakeErrorCode::InvalidChallengeAck);
  EXPECT_EQ(used.error().offset, forged.size() - 16);
  EXPECT_TRUE(i2.failed());
  EXPECT_EQ(i2.otp_log_line(),
            "** Connection attempt to node a@vm cancelled. Invalid challenge ack. **");
}

TEST(Handshake, StatusOkSimultaneousWhenOurNameIsSmaller) {
  // Acceptor a@vm has its own attempt to z@vm pending; a < z: it yields.
  Initiator i(initiator_options("z@vm", "a@vm"));
  Acceptor a(acceptor_options("a@vm"));
  Answers answers;
  answers.decision.existing = ExistingConnection::PendingOutgoing;
  run_pair(i, a, answers);
  expect_connected(i, a);
  EXPECT_EQ(a.status(), HandshakeStatus::OkSimultaneous);
  EXPECT_EQ(i.status(), HandshakeStatus::OkSimultaneous);
}

TEST(Handshake, StatusNokWhenOurNameIsGreater) {
  // Observed: a@vm with a pending attempt to 0@vm answered nok.
  Initiator i(initiator_options("0@vm", "a@vm"));
  Acceptor a(acceptor_options("a@vm"));
  Answers answers;
  answers.decision.existing = ExistingConnection::PendingOutgoing;
  const auto t = run_pair(i, a, answers);
  ASSERT_TRUE(a.failed());
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::SentNok);
  EXPECT_EQ(a.status(), HandshakeStatus::Nok);
  EXPECT_EQ(t.to_initiator, (Bytes{0, 4, 's', 'n', 'o', 'k'}));
  ASSERT_TRUE(i.failed());
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::PeerSentNok);
}

TEST(Handshake, NameOrderIsBytewiseWithShorterPrefixFirst) {
  for (auto [own, peer, status] : {std::tuple{"a@vm", "a@vm2", HandshakeStatus::OkSimultaneous},
                                   std::tuple{"ab@vm", "a@vm", HandshakeStatus::Nok},
                                   std::tuple{"B@vm", "a@vm", HandshakeStatus::OkSimultaneous}}) {
    Initiator i(initiator_options(peer, own));
    Acceptor a(acceptor_options(own));
    Answers answers;
    answers.decision.existing = ExistingConnection::PendingOutgoing;
    run_pair(i, a, answers);
    EXPECT_EQ(a.status(), status) << own << " vs " << peer;
  }
}

TEST(Handshake, StatusNotAllowed) {
  Initiator i(initiator_options());
  Acceptor a(acceptor_options());
  Answers answers;
  answers.decision.allowed = false;
  const auto t = run_pair(i, a, answers);
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::SentNotAllowed);
  EXPECT_EQ(a.otp_log_line(), "** Connection attempt from disallowed node i@vm **");
  EXPECT_EQ(t.to_initiator, (Bytes{0, 12, 's', 'n', 'o', 't', '_', 'a', 'l', 'l', 'o', 'w', 'e', 'd'}));
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::PeerSentNotAllowed);
}

TEST(Handshake, StatusAliveAnsweredTrueContinues) {
  Initiator i(initiator_options());
  Acceptor a(acceptor_options());
  Answers answers;
  answers.decision.existing = ExistingConnection::Up;
  answers.alive_reply = true;
  const auto t = run_pair(i, a, answers);
  expect_connected(i, a);
  EXPECT_EQ(a.status(), HandshakeStatus::Alive);
  EXPECT_EQ(i.status(), HandshakeStatus::Alive);
  // 'strue' follows send_name.
  EXPECT_EQ(Bytes(t.to_acceptor.begin() + 21, t.to_acceptor.begin() + 28),
            (Bytes{0, 5, 's', 't', 'r', 'u', 'e'}));
}

TEST(Handshake, StatusAliveAnsweredFalseStops) {
  Initiator i(initiator_options());
  Acceptor a(acceptor_options());
  Answers answers;
  answers.decision.existing = ExistingConnection::Up;
  answers.alive_reply = false;
  const auto t = run_pair(i, a, answers);
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::DeclinedAlive);
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::PeerDeclinedAlive);
  EXPECT_EQ(Bytes(t.to_acceptor.begin() + 21, t.to_acceptor.end()),
            (Bytes{0, 6, 's', 'f', 'a', 'l', 's', 'e'}));
}

TEST(Handshake, StatusNamedAssignsNameAndCreation) {
  auto io = initiator_options("vm", "a@vm");
  io.request_name = true;
  io.flags = kOtp25HiddenFlags;
  io.send_name_version = 5;  // ignored: only 'N' can carry NAME_ME (bit 33)
  Initiator i(io);
  Acceptor a(acceptor_options());
  Answers answers;
  answers.decision.assigned_alive = "1032DL42YD906";
  answers.decision.assigned_creation = 0x07fd1301;
  const auto t = run_pair(i, a, answers);
  ASSERT_TRUE(i.connected()) << to_string(i.error()->code);
  ASSERT_TRUE(a.connected());
  EXPECT_TRUE(a.name_requested());
  EXPECT_EQ(i.own_name(), "1032DL42YD906@vm");
  EXPECT_EQ(i.own_creation(), 0x07fd1301u);
  EXPECT_EQ(a.peer().name, "1032DL42YD906@vm");
  EXPECT_EQ(a.peer().creation, 0x07fd1301u);
  EXPECT_EQ(t.to_acceptor[2], 'N');
  // send_name carried creation 0 and only the host; the status is the observed layout.
  EXPECT_EQ(Bytes(t.to_acceptor.begin() + 11, t.to_acceptor.begin() + 15), (Bytes{0, 0, 0, 0}));
  const Bytes named{'s', 'n', 'a', 'm', 'e', 'd', ':', 0, 16};
  EXPECT_TRUE(std::equal(named.begin(), named.end(), t.to_initiator.begin() + 2));
  // The acceptor advertises NAME_ME instead of PUBLISHED: the connection is hidden.
  EXPECT_FALSE(i.effective_flags() & dflag::published);
  EXPECT_EQ(i.effective_flags(), a.effective_flags());
}

TEST(Handshake, NamedDecisionMustCarryANameAndCreation) {
  auto io = initiator_options("vm", "a@vm");
  io.request_name = true;
  Initiator i(io);
  Acceptor a(acceptor_options());
  ASSERT_TRUE(a.feed(i.take_output()).ok());
  ASSERT_EQ(a.state(), HandshakeState::AwaitDecision);
  auto bad = a.decide({});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, HandshakeErrorCode::BadDecision);
  EXPECT_EQ(a.state(), HandshakeState::AwaitDecision);  // the embedder may answer again
  AcceptDecision good;
  good.assigned_alive = "x1";
  good.assigned_creation = 9;
  EXPECT_EQ(a.decide(good).value(), HandshakeStatus::Named);
  EXPECT_EQ(a.decide(good).error().code, HandshakeErrorCode::WrongState);
}

TEST(Handshake, NamedStatusForAnotherHostIsRefused) {
  auto io = initiator_options("vm", "a@vm");
  io.request_name = true;
  Initiator i(io);
  Bytes status;
  encode_status({HandshakeStatus::Named, "x1@elsewhere", 5}, status);
  auto r = i.feed(status);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, HandshakeErrorCode::BadNamedStatus);
  // ...and a plain ok when a name was requested, and named: when none was.
  Initiator i2(io);
  Bytes ok;
  encode_status(StatusMessage{HandshakeStatus::Ok, {}, 0}, ok);
  EXPECT_EQ(i2.feed(ok).error().code, HandshakeErrorCode::BadNamedStatus);
  Initiator i3(initiator_options());
  Bytes named;
  encode_status({HandshakeStatus::Named, "x1@vm", 5}, named);
  EXPECT_EQ(i3.feed(named).error().code, HandshakeErrorCode::BadNamedStatus);
}

TEST(Handshake, MissingMandatoryFlagsRejectedByAcceptor) {
  auto io = initiator_options();
  io.flags = kOtp25AdvertisedFlags & ~dflag::big_creation & ~dflag::mandatory_25_digest;
  Initiator i(io);
  Acceptor a(acceptor_options());
  const auto t = run_pair(i, a, {});
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::MissingMandatoryFlags);
  EXPECT_EQ(a.status(), HandshakeStatus::NotAllowed);
  EXPECT_EQ(a.otp_log_line(),
            "** a@vm: Connection attempt from node i@vm rejected since it cannot handle "
            "[\"BIG_CREATION\"].**");
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::PeerSentNotAllowed);
}

TEST(Handshake, Mandatory25DigestStandsForAllMandatoryFlags) {
  // Observed: a peer that sends only bit 26 (plus optional bits) passes OTP 25's check.
  auto io = initiator_options();
  io.flags = dflag::mandatory_25_digest | dflag::published;
  Initiator i(io);
  Acceptor a(acceptor_options());
  run_pair(i, a, {});
  expect_connected(i, a);
  EXPECT_EQ(a.effective_flags() & kOtp25MandatoryFlags, kOtp25MandatoryFlags);
}

TEST(Handshake, MissingMandatoryFlagsRejectedByInitiator) {
  auto ao = acceptor_options();
  ao.flags = kOtp25AdvertisedFlags & ~dflag::utf8_atoms & ~dflag::mandatory_25_digest;
  Initiator i(initiator_options());
  Acceptor a(ao);
  run_pair(i, a, {});
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::MissingMandatoryFlags);
  EXPECT_EQ(i.otp_log_line(),
            "** i@vm: Connection attempt to node a@vm aborted since it cannot handle "
            "[\"UTF8_ATOMS\"].**");
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::PeerClosed);
}

TEST(Handshake, ChallengeMustCarryTheDialledName) {
  // The node registered as a@vm answers with another host spelling: OTP closes silently.
  Initiator i(initiator_options("i@vm", "a@vm"));
  Acceptor a(acceptor_options("a@vm.example.com"));
  run_pair(i, a, {});
  ASSERT_TRUE(i.failed());
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::ChallengeNameMismatch);
  EXPECT_EQ(i.error()->offset, 5u + 19u + 2u);  // the name inside the challenge
  EXPECT_EQ(i.otp_log_line(), "");
}

TEST(Handshake, BadNodeNamesInSendNameCloseWithoutStatus) {
  for (const char* name : {"noat", "x@y@z", "@vm", "a@", "\xc3\xbctf@vm", "a b@vm"}) {
    Bytes bytes;
    encode_send_name({6, kOtp25AdvertisedFlags, 5, name}, bytes);
    Acceptor a(acceptor_options());
    auto r = a.feed(bytes);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, HandshakeErrorCode::BadNodeName) << name;
    EXPECT_GE(r.error().offset, 2u + 15u) << name;
    EXPECT_FALSE(a.has_output()) << name;
  }
}

TEST(Handshake, BytesAfterTheHandshakeAreLeftForTheConnection) {
  // Both sides may send 4-byte-framed data right behind the last handshake message; the machines
  // stop exactly at the end of the handshake and leave those bytes to the caller.
  Initiator i(initiator_options());
  Acceptor a(acceptor_options());
  const Bytes tick{0, 0, 0, 0};
  const Bytes data{0, 0, 0, 2, 131, 106};

  Bytes to_a = i.take_output();
  ASSERT_EQ(a.feed(to_a).value(), to_a.size());
  ASSERT_TRUE(a.decide({}).ok());
  Bytes to_i = a.take_output();
  ASSERT_EQ(i.feed(to_i).value(), to_i.size());
  Bytes reply = i.take_output();
  reply.insert(reply.end(), data.begin(), data.end());
  auto used = a.feed(reply);
  ASSERT_TRUE(a.connected());
  EXPECT_EQ(used.value(), reply.size() - data.size());
  EXPECT_EQ(a.feed(data).value(), 0u);  // Connected: nothing more is consumed
  Bytes ack = a.take_output();
  ack.insert(ack.end(), tick.begin(), tick.end());
  used = i.feed(ack);
  ASSERT_TRUE(i.connected());
  EXPECT_EQ(used.value(), ack.size() - tick.size());
}

TEST(Handshake, OversizedAnnouncementFailsOnTheLengthAlone) {
  Acceptor a(acceptor_options());
  auto r = a.feed(Bytes{0xff, 0xff});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, HandshakeErrorCode::MessageTooLarge);
  EXPECT_EQ(r.error().offset, 0u);
  Acceptor b(acceptor_options());
  const std::size_t limit = kMaxHandshakeMessage + 1;
  EXPECT_EQ(b.feed(Bytes{std::uint8_t(limit >> 8), std::uint8_t(limit)}).error().code,
            HandshakeErrorCode::MessageTooLarge);
  Acceptor c(acceptor_options());
  EXPECT_EQ(c.feed(Bytes{0, 0}).error().code, HandshakeErrorCode::EmptyMessage);
  // After a failure every feed repeats the error and consumes nothing new.
  EXPECT_EQ(c.feed(Bytes{0, 1, 'N'}).error().code, HandshakeErrorCode::EmptyMessage);
}

TEST(Handshake, EofInEveryStateBeforeConnectedFails) {
  Initiator i(initiator_options());
  i.on_eof();
  EXPECT_EQ(i.error()->code, HandshakeErrorCode::PeerClosed);
  Acceptor a(acceptor_options());
  ASSERT_TRUE(a.feed(Bytes{0, 19, 'N'}).ok());  // half a message
  a.on_eof();
  EXPECT_EQ(a.error()->code, HandshakeErrorCode::PeerClosed);
  EXPECT_EQ(a.error()->offset, 3u);
}

TEST(Handshake, DecisionsOnlyWhenAwaited) {
  Initiator i(initiator_options());
  EXPECT_EQ(i.answer_alive(true).error().code, HandshakeErrorCode::WrongState);
  Acceptor a(acceptor_options());
  EXPECT_EQ(a.decide({}).error().code, HandshakeErrorCode::WrongState);
  EXPECT_EQ(a.state(), HandshakeState::AwaitName);
}

}  // namespace
}  // namespace distspec::proto
