#include "distspec/proto/fragment.hpp"

#include <gtest/gtest.h>

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;

PendingMessage pending(Bytes payload) {
  return PendingMessage{{}, ControlMessage{Link{}}, std::move(payload), 0};
}

TEST(FragmentAssembler, AssemblesInOrder) {
  FragmentAssembler a;
  ASSERT_TRUE(a.begin({7, 3}, pending({1, 2})).ok());
  EXPECT_EQ(a.in_flight(), 1u);
  auto r2 = a.append({7, 2}, Bytes{3});
  ASSERT_TRUE(r2.ok());
  EXPECT_FALSE(r2.value().has_value());
  auto r1 = a.append({7, 1}, Bytes{4, 5});
  ASSERT_TRUE(r1.ok());
  ASSERT_TRUE(r1.value().has_value());
  EXPECT_EQ(r1.value()->payload, (Bytes{1, 2, 3, 4, 5}));
  EXPECT_EQ(r1.value()->fragments, 3u);
  EXPECT_EQ(a.in_flight(), 0u);
}

TEST(FragmentAssembler, SequencesInterleave) {
  FragmentAssembler a;
  ASSERT_TRUE(a.begin({1, 2}, pending({1})).ok());
  ASSERT_TRUE(a.begin({2, 2}, pending({9})).ok());
  auto b = a.append({2, 1}, Bytes{8});
  ASSERT_TRUE(b.ok() && b.value());
  EXPECT_EQ(b.value()->payload, (Bytes{9, 8}));
  auto c = a.append({1, 1}, Bytes{2});
  ASSERT_TRUE(c.ok() && c.value());
  EXPECT_EQ(c.value()->payload, (Bytes{1, 2}));
}

ConnectionErrorCode begin_error(FragmentAssembler& a, FragmentIds ids, Bytes payload = {}) {
  auto r = a.begin(ids, pending(std::move(payload)));
  EXPECT_FALSE(r.ok());
  return r.ok() ? ConnectionErrorCode::TrailingBytes : r.error().code;
}
ConnectionErrorCode append_error(FragmentAssembler& a, FragmentIds ids, Bytes body = {}) {
  auto r = a.append(ids, body);
  EXPECT_FALSE(r.ok());
  return r.ok() ? ConnectionErrorCode::TrailingBytes : r.error().code;
}

// pitfalls B14: OTP 25.2.3 segfaults on an 'E' with SequenceId 0 and FragmentId > 1.
TEST(FragmentAssembler, SequenceZeroIsRejected) {
  FragmentAssembler a;
  EXPECT_EQ(begin_error(a, {0, 2}), ConnectionErrorCode::FragmentSequenceZero);
  EXPECT_EQ(append_error(a, {0, 1}), ConnectionErrorCode::FragmentSequenceZero);
}

TEST(FragmentAssembler, FragmentIdZeroIsRejected) {
  FragmentAssembler a;
  EXPECT_EQ(begin_error(a, {5, 0}), ConnectionErrorCode::FragmentIdZero);
  ASSERT_TRUE(a.begin({5, 2}, pending({})).ok());
  EXPECT_EQ(append_error(a, {5, 0}), ConnectionErrorCode::FragmentIdZero);
}

TEST(FragmentAssembler, OrderAndSequenceViolations) {
  FragmentAssembler a;
  EXPECT_EQ(append_error(a, {5, 1}), ConnectionErrorCode::FragmentUnknownSequence);
  ASSERT_TRUE(a.begin({5, 4}, pending({})).ok());
  EXPECT_EQ(begin_error(a, {5, 4}), ConnectionErrorCode::FragmentDuplicateSequence);
  EXPECT_EQ(append_error(a, {5, 2}), ConnectionErrorCode::FragmentOutOfOrder);  // skips 3
  EXPECT_EQ(append_error(a, {5, 4}), ConnectionErrorCode::FragmentOutOfOrder);  // repeats 4
  EXPECT_EQ(append_error(a, {5, 5}), ConnectionErrorCode::FragmentOutOfOrder);
  ASSERT_TRUE(a.append({5, 3}, Bytes{}).ok());
  EXPECT_EQ(append_error(a, {5, 3}), ConnectionErrorCode::FragmentOutOfOrder);
}

TEST(FragmentAssembler, MemoryIsBounded) {
  FragmentAssembler a(FragmentLimits{.max_sequences = 2, .max_message_size = 10});
  EXPECT_EQ(begin_error(a, {1, 2}, Bytes(11)), ConnectionErrorCode::FragmentTooLarge);
  ASSERT_TRUE(a.begin({1, 3}, pending(Bytes(6))).ok());
  ASSERT_TRUE(a.begin({2, 9}, pending({})).ok());
  EXPECT_EQ(begin_error(a, {3, 2}), ConnectionErrorCode::TooManySequences);
  ASSERT_TRUE(a.append({1, 2}, Bytes(4)).ok());  // exactly 10
  EXPECT_EQ(append_error(a, {1, 1}, Bytes(1)), ConnectionErrorCode::FragmentTooLarge);
  // A huge announced FragmentId costs nothing by itself.
  FragmentAssembler b;
  ASSERT_TRUE(b.begin({1, ~0ull}, pending({})).ok());
  ASSERT_TRUE(b.append({1, ~0ull - 1}, Bytes{1}).ok());
}

// Observed: a 200 000-byte reply arrived as fragments 4,3,2,1 of 65555, 65554, 65554, 3470 bytes.
TEST(EncodeFragmented, MatchesOtpSizes) {
  Bytes section{0};
  Bytes body(65536 * 3 + 3452, 0x61);
  auto packets = encode_fragmented(section, body, 40, 0x368000006d3ull, kOtpFragmentSize);
  ASSERT_EQ(packets.size(), 4u);
  EXPECT_EQ(packets[0].size(), 65555u);
  EXPECT_EQ(packets[1].size(), 65554u);
  EXPECT_EQ(packets[2].size(), 65554u);
  EXPECT_EQ(packets[3].size(), 3470u);
  std::uint64_t expected_id = 4;
  for (const auto& p : packets) {
    auto ids = parse_fragment_ids(p);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(ids->sequence_id, 0x368000006d3ull);
    EXPECT_EQ(ids->fragment_id, expected_id--);
    EXPECT_EQ(p[1], &p == &packets[0] ? kFragHeaderTag : kFragContTag);
  }
  EXPECT_EQ(packets[0][18], 0);  // the atom cache section follows the ids
}

TEST(EncodeFragmented, SmallBodyIsOneDPacket) {
  Bytes section{0};
  Bytes body{104, 1, 97, 1};
  auto packets = encode_fragmented(section, body, 4, 1, 4);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], (Bytes{131, 68, 0, 104, 1, 97, 1}));
}

TEST(EncodeFragmented, ControlLargerThanAFragmentStaysWhole) {
  Bytes section{0};
  Bytes body(25, 1);
  auto packets = encode_fragmented(section, body, 12, 9, 5);  // control 12 bytes > 5
  ASSERT_EQ(packets.size(), 4u);                             // 12 + 5 + 5 + 3
  EXPECT_EQ(packets[0].size(), 18u + 1 + 12);
  EXPECT_EQ(packets[3].size(), 18u + 3);
}

}  // namespace
}  // namespace distspec::proto
