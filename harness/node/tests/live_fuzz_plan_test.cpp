// The live fuzzer's pure planning: determinism, the known-crasher rail, the atom budget, and the
// expectations checked against proto's own acceptor-side parsers and connection receiver.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "distspec/node/live_fuzz_plan.hpp"
#include "distspec/proto/connection.hpp"
#include "distspec/proto/digest.hpp"
#include "distspec/proto/handshake_messages.hpp"

namespace distspec::node {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::uint64_t test_seed() {
  static const std::uint64_t seed = std::random_device{}();
  return seed;
}

PlanOptions options_for(std::vector<FuzzPhase> phases, bool allow = false) {
  PlanOptions o;
  o.seed = test_seed();
  o.phases = std::move(phases);
  o.allow_known_crashers = allow;
  o.target_name = "target@vm";
  o.slots = 4;
  return o;
}

Bytes correct_reply(std::uint32_t challenge_a, std::uint32_t challenge_b) {
  Bytes out;
  proto::encode_challenge_reply({challenge_a, proto::compute_digest(challenge_b, proto::Cookie("c"))}, out);
  return out;
}

Bytes framed_send_name(std::string name, std::uint64_t flags = kLiveFuzzFlags) {
  Bytes out;
  proto::encode_send_name({6, flags, 5, std::move(name)}, out);
  return out;
}

TEST(LiveFuzzPlan, ClassifySendNameFollowsRecvName) {
  auto valid = classify_send_name(framed_send_name("a@vm"));
  EXPECT_TRUE(valid.well_formed);
  EXPECT_EQ(valid.known, KnownCrasher::None);
  EXPECT_EQ(valid.atom_name, "a@vm");

  EXPECT_EQ(classify_send_name(framed_send_name("noat")).atom_name, std::nullopt);
  EXPECT_EQ(classify_send_name(framed_send_name("a@b@c")).known, KnownCrasher::None);
  EXPECT_EQ(classify_send_name(framed_send_name(std::string(253, 'x') + "@vm")).known,
            KnownCrasher::MalformedSendName);  // list_to_atom: system_limit
  auto dynamic = classify_send_name(framed_send_name("vm", kLiveFuzzFlags | proto::dflag::name_me));
  EXPECT_EQ(dynamic.atom_name, "");  // a generated name

  Bytes short_fields = {0, 5, 'N', 0, 0, 0, 0};
  EXPECT_EQ(classify_send_name(short_fields).known, KnownCrasher::MalformedSendName);
  Bytes nlen_long = framed_send_name("a@vm");
  nlen_long[2 + 14] += 1;
  EXPECT_EQ(classify_send_name(nlen_long).known, KnownCrasher::MalformedSendName);
  Bytes incomplete = framed_send_name("a@vm");
  incomplete.pop_back();  // the node waits for the last byte: nothing happens yet
  EXPECT_EQ(classify_send_name(incomplete).known, KnownCrasher::None);
  Bytes v5;
  proto::encode_send_name({5, kLiveFuzzFlags, 0, "a@vm"}, v5);
  EXPECT_EQ(classify_send_name(v5).known, KnownCrasher::None);
}

TEST(LiveFuzzPlan, ExtractsSendNamesFromCapturedStreams) {
  // A stream as the corpora hold it: junk, a send_name, a challenge, a reply.
  Bytes stream = {1, 2, 3};
  auto send_name = framed_send_name("probe@vm");
  stream.insert(stream.end(), send_name.begin(), send_name.end());
  Bytes challenge;
  proto::encode_challenge({6, kLiveFuzzFlags, 0x01020304, 7, "target@vm"}, challenge);
  stream.insert(stream.end(), challenge.begin(), challenge.end());
  auto reply = correct_reply(5, 6);
  stream.insert(stream.end(), reply.begin(), reply.end());
  auto found = extract_send_names(stream);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], send_name);

  // Every seed a planner gets is sent (as is or edited) by send_name.corpus rounds.
  auto o = options_for({FuzzPhase::SendName});
  o.mutations = {"send_name.corpus"};
  o.seed_send_names = found;
  RoundPlanner planner(o);
  bool verbatim = false;
  for (std::uint64_t r = 0; r < 50; ++r) verbatim |= planner.send_name_input(planner.plan(r)).bytes == send_name;
  EXPECT_TRUE(verbatim);
}

TEST(LiveFuzzPlan, SameSeedSameRounds) {
  SCOPED_TRACE("seed " + std::to_string(test_seed()));
  RoundPlanner a(options_for({FuzzPhase::SendName, FuzzPhase::ChallengeReply, FuzzPhase::Connected}));
  RoundPlanner b(options_for({FuzzPhase::SendName, FuzzPhase::ChallengeReply, FuzzPhase::Connected}));
  const auto reply = correct_reply(1, 2);
  for (std::uint64_t r = 0; r < 600; ++r) {
    auto pa = a.plan(r, r % 4), pb = b.plan(r, r % 4);
    ASSERT_EQ(pa.mutation, pb.mutation);
    ASSERT_EQ(pa.own_name, pb.own_name);
    Bytes ba, bb;
    if (pa.phase == FuzzPhase::SendName) ba = a.send_name_input(pa).bytes, bb = b.send_name_input(pb).bytes;
    if (pa.phase == FuzzPhase::ChallengeReply)
      ba = a.challenge_reply_input(pa, reply).bytes, bb = b.challenge_reply_input(pb, reply).bytes;
    if (pa.phase == FuzzPhase::Connected)
      ba = a.connected_input(pa, {true, true}).bytes, bb = b.connected_input(pb, {true, true}).bytes;
    ASSERT_EQ(ba, bb) << "round " << r << " " << pa.mutation;
  }
}

TEST(LiveFuzzPlan, MutationListRestrictsThePlan) {
  auto o = options_for({FuzzPhase::SendName});
  o.mutations = {"connected.valid", "challenge_reply.digest_flip"};
  RoundPlanner planner(o);
  std::set<std::string> seen;
  for (std::uint64_t r = 0; r < 200; ++r) {
    auto p = planner.plan(r);
    seen.insert(p.mutation);
    EXPECT_EQ(p.phase, p.mutation[0] == 'c' && p.mutation[1] == 'o' ? FuzzPhase::Connected
                                                                       : FuzzPhase::ChallengeReply);
  }
  EXPECT_EQ(seen, std::set<std::string>(o.mutations.begin(), o.mutations.end()));
  EXPECT_EQ(all_mutations().size(), 15u + 9u + 16u);
}

TEST(LiveFuzzPlan, ConcurrentSlotsNeverShareANameAtOnce) {
  RoundPlanner planner(options_for({FuzzPhase::SendName}));
  std::set<std::string> names;
  for (std::size_t slot = 0; slot < 4; ++slot) names.insert(planner.own_name(7, slot));
  EXPECT_EQ(names.size(), 4u);
}

// Every input, with and without permission, checked for the three known crashers.
struct CrasherCount {
  std::size_t send_name = 0, seq0 = 0, huge = 0;
};
CrasherCount count_crashers(RoundPlanner& planner, std::uint64_t rounds) {
  CrasherCount count;
  for (std::uint64_t r = 0; r < rounds; ++r) {
    auto p = planner.plan(r);
    if (p.phase == FuzzPhase::SendName) {
      auto in = planner.send_name_input(p);
      if (classify_send_name(in.bytes).known != KnownCrasher::None) {
        EXPECT_EQ(in.known, KnownCrasher::MalformedSendName) << p.mutation;
        ++count.send_name;
      }
    } else if (p.phase == FuzzPhase::Connected) {
      auto in = planner.connected_input(p, {true, true});
      if (in.known == KnownCrasher::FragmentSequenceZero) ++count.seq0;
      if (in.known == KnownCrasher::HugePacketLength) ++count.huge;
      // Independent scan: a fragment header with SequenceId 0, or a huge length.
      for (std::size_t at = 0; at + 4 <= in.bytes.size();) {
        std::uint32_t len = (in.bytes[at] << 24) | (in.bytes[at + 1] << 16) | (in.bytes[at + 2] << 8) | in.bytes[at + 3];
        if (len > (16u << 20)) {
          EXPECT_EQ(in.known, KnownCrasher::HugePacketLength);
          break;
        }
        if (len >= 18 && at + 4 + 18 <= in.bytes.size() && in.bytes[at + 5] == 'E' &&
            std::all_of(in.bytes.begin() + std::ptrdiff_t(at + 6), in.bytes.begin() + std::ptrdiff_t(at + 14),
                        [](std::uint8_t b) { return b == 0; })) {
          EXPECT_EQ(in.known, KnownCrasher::FragmentSequenceZero);
        }
        at += 4 + len;
      }
    }
  }
  return count;
}

TEST(LiveFuzzPlan, KnownCrashersOnlyWhenAllowed) {
  SCOPED_TRACE("seed " + std::to_string(test_seed()));
  RoundPlanner careful(options_for({FuzzPhase::SendName, FuzzPhase::Connected}));
  auto none = count_crashers(careful, 6000);
  EXPECT_EQ(none.send_name + none.seq0 + none.huge, 0u);
  // They were planned, and withheld.
  EXPECT_GT(careful.withheld(KnownCrasher::MalformedSendName), 0u);
  EXPECT_GT(careful.withheld(KnownCrasher::FragmentSequenceZero), 0u);
  EXPECT_GT(careful.withheld(KnownCrasher::HugePacketLength), 0u);

  RoundPlanner bold(options_for({FuzzPhase::SendName, FuzzPhase::Connected}, true));
  auto some = count_crashers(bold, 6000);
  EXPECT_GT(some.send_name, 0u);
  EXPECT_GT(some.seq0, 0u);
  EXPECT_GT(some.huge, 0u);
}

TEST(LiveFuzzPlan, AtomBudgetBoundsNewNames) {
  SCOPED_TRACE("seed " + std::to_string(test_seed()));
  auto o = options_for({FuzzPhase::SendName, FuzzPhase::Connected});
  o.atom_budget = 40;
  RoundPlanner planner(o);
  std::set<std::string> names;
  std::size_t generated = 0, byte_edited_packets = 0;
  for (std::uint64_t r = 0; r < 20000; ++r) {
    auto p = planner.plan(r, r % 4);
    if (p.phase == FuzzPhase::SendName) {
      auto verdict = classify_send_name(planner.send_name_input(p).bytes);
      if (verdict.atom_name && verdict.atom_name->empty()) ++generated;
      else if (verdict.atom_name) names.insert(*verdict.atom_name);
    } else {
      auto in = planner.connected_input(p, {true, true});
      if (p.mutation == "connected.bytes" && !in.withheld) ++byte_edited_packets;
    }
  }
  EXPECT_LE(planner.atoms_spent(), 40u);
  std::set<std::string> pool;
  for (std::size_t slot = 0; slot < 4; ++slot)
    for (std::uint64_t r = 0; r < 8; ++r) pool.insert(planner.own_name(r, slot));
  std::size_t new_names = 0;
  for (const auto& n : names) new_names += pool.count(n) ? 0 : 1;
  // Every atom the target could make outside the pool was paid for (a byte-edited packet at
  // least 1: it holds at least one atom tag).
  EXPECT_LE(new_names + generated + byte_edited_packets, 40u);
  EXPECT_GT(new_names + generated + byte_edited_packets, 0u);
}

TEST(LiveFuzzPlan, ReplyExpectationIsTheDigestRule) {
  SCOPED_TRACE("seed " + std::to_string(test_seed()));
  RoundPlanner planner(options_for({FuzzPhase::ChallengeReply}));
  const auto correct = correct_reply(0x11223344, 99);
  std::set<std::string> kinds;
  for (std::uint64_t r = 0; r < 2000; ++r) {
    auto p = planner.plan(r);
    auto in = planner.challenge_reply_input(p, correct);
    kinds.insert(p.mutation);
    const std::size_t claimed = (in.bytes[0] << 8) | in.bytes[1];
    Bytes payload(in.bytes.begin() + 2, in.bytes.end());
    auto parsed = proto::parse_challenge_reply(payload);
    const bool should_accept = claimed == payload.size() && parsed &&
                               proto::digest_matches(parsed.value().digest, 99, proto::Cookie("c"));
    if (claimed > payload.size()) {
      EXPECT_EQ(in.expect, Expectation::Silence) << p.mutation;
    } else {
      EXPECT_EQ(in.expect == Expectation::Accept, should_accept) << p.mutation;
    }
    if (p.mutation == "challenge_reply.valid" || p.mutation == "challenge_reply.challenge_change") {
      EXPECT_EQ(in.expect, Expectation::Accept);
    }
    if (p.mutation == "challenge_reply.digest_flip") {
      EXPECT_EQ(in.expect, Expectation::Reject);
    }
  }
  EXPECT_EQ(kinds.size(), 9u);
}

// Our receiver implements OTP 25's checks: what the planner expects a node to accept must pass
// it, and what it expects a node to close on must fail it.
void check_connected_against_receiver(proto::HeaderMode mode) {
  RoundPlanner planner(options_for({FuzzPhase::Connected}));
  std::set<std::string> kinds;
  for (std::uint64_t r = 0; r < 3000; ++r) {
    auto p = planner.plan(r);
    auto in = planner.connected_input(p, mode);
    kinds.insert(p.mutation);
    if (in.expect != Expectation::Accept && in.expect != Expectation::Reject) continue;
    proto::ConnectionReceiver receiver({mode});
    std::span<const std::uint8_t> rest(in.bytes);
    bool failed = false;
    while (!rest.empty()) {
      auto used = receiver.put(rest);
      if (!used) {
        failed = true;
        break;
      }
      rest = rest.subspan(used.value());
      (void)receiver.take();
    }
    EXPECT_EQ(failed, in.expect == Expectation::Reject) << p.mutation << " round " << r;
  }
  EXPECT_EQ(kinds.size(), 16u);
}

TEST(LiveFuzzPlan, ConnectedExpectationsAgreeWithOurReceiverHeaderMode) {
  SCOPED_TRACE("seed " + std::to_string(test_seed()));
  check_connected_against_receiver({true, true});
}

TEST(LiveFuzzPlan, ConnectedExpectationsAgreeWithOurReceiverPassThrough) {
  SCOPED_TRACE("seed " + std::to_string(test_seed()));
  check_connected_against_receiver({false, false});
}

}  // namespace
}  // namespace distspec::node
