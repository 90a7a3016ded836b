// Every handshake message (valid, truncated, extended, or not a message at all) fed to each
// machine in every state that reads: only the legal ones move it on, every other one fails it
// with a reason and an offset inside that message, and nothing but a correct digest ever
// reaches Connected. Plus a property test with random frames (seed printed).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>

#include "distspec/proto/handshake.hpp"
#include "support/handshake_driver.hpp"

namespace distspec::proto {
namespace {

using testing::acceptor_options;
using testing::Bytes;
using testing::initiator_options;

Bytes frame(std::function<void(Bytes&)> encode) {
  Bytes out;
  encode(out);
  return out;
}

// Rewrites a framed message with its payload changed by `edit`.
Bytes reframe(const Bytes& framed, std::function<void(Bytes&)> edit) {
  Bytes payload(framed.begin() + 2, framed.end());
  edit(payload);
  Bytes out;
  out.reserve(payload.size() + 2);
  out.push_back(std::uint8_t(payload.size() >> 8));
  out.push_back(std::uint8_t(payload.size()));
  for (auto b : payload) out.push_back(b);
  return out;
}

std::map<std::string, Bytes> catalog() {
  std::map<std::string, Bytes> base;
  const DistFlags flags = kOtp25AdvertisedFlags;
  base["name_N"] = frame([&](Bytes& o) { encode_send_name({6, flags, 7, "i@vm"}, o); });
  base["name_n"] = frame([&](Bytes& o) { encode_send_name({5, flags, 0, "i@vm"}, o); });
  for (auto st : {HandshakeStatus::Ok, HandshakeStatus::OkSimultaneous, HandshakeStatus::Nok,
                  HandshakeStatus::NotAllowed, HandshakeStatus::Alive})
    base["status_" + std::string(to_string(st))] = frame([&](Bytes& o) { encode_status(StatusMessage{st, {}, 0}, o); });
  base["status_named"] =
      frame([&](Bytes& o) { encode_status({HandshakeStatus::Named, "x1@vm", 9}, o); });
  base["alive_true"] = frame([](Bytes& o) { encode_alive_reply(true, o); });
  base["alive_false"] = frame([](Bytes& o) { encode_alive_reply(false, o); });
  base["challenge_N"] =
      frame([&](Bytes& o) { encode_challenge({6, flags, 12345, 8, "a@vm"}, o); });
  base["challenge_n"] = frame([&](Bytes& o) {
    encode_challenge({5, flags & 0xffffffffULL & ~dflag::handshake_23, 12345, 0, "a@vm"}, o);
  });
  base["complement"] = frame([](Bytes& o) { encode_complement({0xd, 7}, o); });
  base["reply_wrong_digest"] =
      frame([](Bytes& o) { encode_challenge_reply({99, compute_digest(1, Cookie("x"))}, o); });
  base["ack_wrong_digest"] =
      frame([](Bytes& o) { encode_challenge_ack({compute_digest(1, Cookie("x"))}, o); });
  base["unknown_tag"] = Bytes{0, 3, 'x', 1, 2};

  std::map<std::string, Bytes> all = base;
  for (const auto& [name, bytes] : base) {
    all[name + "+1"] = reframe(bytes, [](Bytes& p) { p.push_back('?'); });
    if (bytes.size() > 3) all[name + "-1"] = reframe(bytes, [](Bytes& p) { p.pop_back(); });
    all[name + "/tag_only"] = reframe(bytes, [](Bytes& p) { p.resize(1); });
  }
  all["empty_frame"] = Bytes{0, 0};
  all["huge_frame"] = Bytes{0xff, 0xff, 'N'};
  return all;
}

// A machine brought into a reading state, with the number of bytes it has consumed so far.
struct Prepared {
  std::unique_ptr<HandshakeMachine> machine;
  std::size_t consumed = 0;
};

Prepared prepare(HandshakeState state) {
  Prepared p;
  auto feed = [&](const Bytes& bytes) {
    auto used = p.machine->feed(bytes);
    EXPECT_TRUE(used.ok() && used.value() == bytes.size()) << to_string(state);
    p.consumed += bytes.size();
  };
  auto initiator = [&] { p.machine = std::make_unique<Initiator>(initiator_options()); };
  auto acceptor = [&] { p.machine = std::make_unique<Acceptor>(acceptor_options()); };
  switch (state) {
    case HandshakeState::AwaitStatus: initiator(); break;
    case HandshakeState::AwaitChallenge:
      initiator();
      feed(frame([](Bytes& o) { encode_status(StatusMessage{HandshakeStatus::Ok, {}, 0}, o); }));
      break;
    case HandshakeState::AwaitChallengeAck:
      initiator();
      feed(frame([](Bytes& o) { encode_status(StatusMessage{HandshakeStatus::Ok, {}, 0}, o); }));
      feed(frame([](Bytes& o) { encode_challenge({6, kOtp25AdvertisedFlags, 5, 8, "a@vm"}, o); }));
      break;
    case HandshakeState::AwaitName: acceptor(); break;
    case HandshakeState::AwaitAliveReply: {
      acceptor();
      feed(frame([](Bytes& o) { encode_send_name({6, kOtp25AdvertisedFlags, 7, "i@vm"}, o); }));
      AcceptDecision d;
      d.existing = ExistingConnection::Up;
      EXPECT_TRUE(static_cast<Acceptor&>(*p.machine).decide(d).ok());
      break;
    }
    case HandshakeState::AwaitComplement:
      acceptor();
      feed(frame([](Bytes& o) { encode_send_name({5, kOtp25AdvertisedFlags, 0, "i@vm"}, o); }));
      EXPECT_TRUE(static_cast<Acceptor&>(*p.machine).decide({}).ok());
      break;
    case HandshakeState::AwaitChallengeReply:
      acceptor();
      feed(frame([](Bytes& o) { encode_send_name({6, kOtp25AdvertisedFlags, 7, "i@vm"}, o); }));
      EXPECT_TRUE(static_cast<Acceptor&>(*p.machine).decide({}).ok());
      break;
    default: ADD_FAILURE() << "not a reading state";
  }
  EXPECT_EQ(p.machine->state(), state);
  p.machine->take_output();
  return p;
}

const std::vector<HandshakeState> kReadingStates{
    HandshakeState::AwaitStatus,     HandshakeState::AwaitChallenge,
    HandshakeState::AwaitChallengeAck, HandshakeState::AwaitName,
    HandshakeState::AwaitAliveReply, HandshakeState::AwaitComplement,
    HandshakeState::AwaitChallengeReply};

// The messages each state accepts and where they lead; every other message must fail it.
std::map<std::string, HandshakeState> legal(HandshakeState state) {
  using S = HandshakeState;
  switch (state) {
    case S::AwaitStatus:
      return {{"status_ok", S::AwaitChallenge},
              {"status_ok_simultaneous", S::AwaitChallenge},
              {"status_alive", S::AwaitAliveDecision}};
    case S::AwaitChallenge:
      // Bytes after the name of an 'N' message are ignored, as OTP does.
      return {{"challenge_N", S::AwaitChallengeAck}, {"challenge_N+1", S::AwaitChallengeAck}};
    case S::AwaitName:
      // An 'n' name runs to the end of the message: one byte more or less is another valid name.
      return {{"name_N", S::AwaitDecision}, {"name_N+1", S::AwaitDecision},
              {"name_n", S::AwaitDecision}, {"name_n+1", S::AwaitDecision},
              {"name_n-1", S::AwaitDecision}};
    case S::AwaitAliveReply: return {{"alive_true", S::AwaitChallengeReply}};
    case S::AwaitComplement: return {{"complement", S::AwaitChallengeReply}};
    default: return {};
  }
}

TEST(HandshakeIllegal, EveryMessageInEveryReadingState) {
  const auto messages = catalog();
  for (HandshakeState state : kReadingStates) {
    const auto allowed = legal(state);
    for (const auto& [name, bytes] : messages) {
      SCOPED_TRACE(std::string(to_string(state)) + " <- " + name);
      Prepared p = prepare(state);
      auto result = p.machine->feed(bytes);
      ASSERT_NE(p.machine->state(), HandshakeState::Connected);
      if (auto it = allowed.find(name); it != allowed.end()) {
        ASSERT_TRUE(result.ok()) << to_string(result.error().code);
        EXPECT_EQ(p.machine->state(), it->second);
        continue;
      }
      ASSERT_FALSE(result.ok()) << "accepted, now " << to_string(p.machine->state());
      EXPECT_TRUE(p.machine->failed());
      EXPECT_GE(result.error().offset, p.consumed);
      EXPECT_LE(result.error().offset, p.consumed + bytes.size());
      EXPECT_FALSE(p.machine->has_output());  // no reply to an illegal message
      // A failed machine stays failed.
      EXPECT_EQ(p.machine->feed(bytes).error().code, result.error().code);
    }
  }
}

TEST(HandshakeIllegal, SpecificReasons) {
  auto reason = [](HandshakeState state, const Bytes& bytes) {
    Prepared p = prepare(state);
    auto r = p.machine->feed(bytes);
    return r.ok() ? std::string("ok") : std::string(to_string(r.error().code));
  };
  const auto m = catalog();
  using S = HandshakeState;
  auto code = [](HandshakeErrorCode c) { return std::string(to_string(c)); };
  EXPECT_EQ(reason(S::AwaitStatus, m.at("status_nok")), code(HandshakeErrorCode::PeerSentNok));
  EXPECT_EQ(reason(S::AwaitStatus, m.at("status_not_allowed")),
            code(HandshakeErrorCode::PeerSentNotAllowed));
  EXPECT_EQ(reason(S::AwaitStatus, m.at("status_ok+1")), code(HandshakeErrorCode::UnknownStatus));
  EXPECT_EQ(reason(S::AwaitStatus, m.at("alive_true")), code(HandshakeErrorCode::UnknownStatus));
  EXPECT_EQ(reason(S::AwaitStatus, m.at("challenge_N")),
            code(HandshakeErrorCode::UnexpectedMessage));
  EXPECT_EQ(reason(S::AwaitChallenge, m.at("challenge_N-1")), code(HandshakeErrorCode::Truncated));
  EXPECT_EQ(reason(S::AwaitChallenge, m.at("challenge_n")),
            code(HandshakeErrorCode::UnexpectedMessage));
  EXPECT_EQ(reason(S::AwaitChallengeAck, m.at("ack_wrong_digest")),
            code(HandshakeErrorCode::InvalidChallengeAck));
  EXPECT_EQ(reason(S::AwaitChallengeAck, m.at("ack_wrong_digest+1")),
            code(HandshakeErrorCode::BadLength));
  EXPECT_EQ(reason(S::AwaitChallengeReply, m.at("reply_wrong_digest")),
            code(HandshakeErrorCode::InvalidChallengeReply));
  EXPECT_EQ(reason(S::AwaitChallengeReply, m.at("reply_wrong_digest-1")),
            code(HandshakeErrorCode::BadLength));
  EXPECT_EQ(reason(S::AwaitName, m.at("name_N-1")), code(HandshakeErrorCode::Truncated));
  EXPECT_EQ(reason(S::AwaitName, m.at("status_ok")), code(HandshakeErrorCode::UnexpectedMessage));
  EXPECT_EQ(reason(S::AwaitName, m.at("empty_frame")), code(HandshakeErrorCode::EmptyMessage));
  EXPECT_EQ(reason(S::AwaitName, m.at("huge_frame")), code(HandshakeErrorCode::MessageTooLarge));
  EXPECT_EQ(reason(S::AwaitAliveReply, m.at("alive_false")),
            code(HandshakeErrorCode::PeerDeclinedAlive));
  EXPECT_EQ(reason(S::AwaitComplement, m.at("complement-1")), code(HandshakeErrorCode::BadLength));
  // The version field of an 'n' send_name is ignored, as OTP ignores it; an 'n' challenge's
  // must be 5.
  Bytes v7 = m.at("name_n");
  v7[4] = 7;
  EXPECT_EQ(reason(S::AwaitName, v7), "ok");
  Bytes c7 = m.at("challenge_n");
  c7[4] = 7;
  EXPECT_EQ(reason(S::AwaitChallenge, c7), code(HandshakeErrorCode::BadVersion));
  // 'n' challenge carrying HANDSHAKE_23, 'N' challenge without it.
  const Bytes n_h23 = frame([](Bytes& o) {
    encode_challenge({5, kOtp25AdvertisedFlags & 0xffffffffULL, 1, 0, "a@vm"}, o);
  });
  EXPECT_EQ(reason(S::AwaitChallenge, n_h23), code(HandshakeErrorCode::HandshakeFlagMismatch));
  const Bytes big_no_h23 = frame([](Bytes& o) {
    encode_challenge({6, kOtp25AdvertisedFlags & ~dflag::handshake_23, 1, 8, "a@vm"}, o);
  });
  EXPECT_EQ(reason(S::AwaitChallenge, big_no_h23), code(HandshakeErrorCode::HandshakeFlagMismatch));
}

TEST(HandshakeIllegal, RandomFramesNeverConnect) {
  const std::uint64_t seed = std::random_device{}();
  std::printf("HandshakeIllegal.RandomFramesNeverConnect seed=%llu\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  const std::uint8_t tags[] = {'N', 'n', 's', 'r', 'a', 'c', 0, 0xff};
  for (int round = 0; round < 3000; ++round) {
    const HandshakeState state = kReadingStates[rng() % kReadingStates.size()];
    Prepared p = prepare(state);
    Bytes stream;
    const int frames = 1 + int(rng() % 4);
    for (int f = 0; f < frames; ++f) {
      const std::size_t n = rng() % 5 == 0 ? rng() % 1100 : rng() % 40;
      stream.push_back(std::uint8_t(n >> 8));
      stream.push_back(std::uint8_t(n));
      for (std::size_t i = 0; i < n; ++i)
        stream.push_back(i == 0 ? tags[rng() % sizeof tags] : std::uint8_t(rng()));
    }
    auto result = p.machine->feed(stream);
    ASSERT_NE(p.machine->state(), HandshakeState::Connected) << "seed " << seed;
    if (!result.ok()) {
      ASSERT_LE(result.error().offset, p.consumed + stream.size()) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace distspec::proto
