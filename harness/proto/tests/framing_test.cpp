#include "distspec/proto/framing.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// Feeds `stream` to a fresh reader in the chunks given by `cuts`; returns the packets.
std::vector<Bytes> read_all(const Bytes& stream, const std::vector<std::size_t>& cuts,
                            FramingOptions options = {}) {
  PacketReader reader(options);
  std::vector<Bytes> packets;
  std::size_t at = 0;
  auto feed = [&](std::size_t end) {
    end = std::min(end, stream.size());
    while (at < end) {
      auto n = reader.put(std::span(stream).subspan(at, end - at));
      EXPECT_TRUE(n.ok());
      if (!n.ok()) return;
      at += n.value();
      if (reader.has_packet()) packets.push_back(reader.take());
    }
  };
  for (std::size_t cut : cuts) feed(cut);
  feed(stream.size());
  return packets;
}

Bytes sample_stream(std::vector<Bytes>& packets) {
  packets = {Bytes{}, Bytes{131, 68, 0, 104, 0}, Bytes{}, Bytes(300, 7), Bytes{112}};
  Bytes stream;
  for (const auto& p : packets) {
    if (p.empty()) frame_tick(stream);
    else frame_packet(stream, p);
  }
  return stream;
}

TEST(Framing, TickIsFourZeroBytes) {
  Bytes out;
  frame_tick(out);
  EXPECT_EQ(out, (Bytes{0, 0, 0, 0}));
  frame_packet(out, Bytes{1, 2});
  EXPECT_EQ(out, (Bytes{0, 0, 0, 0, 0, 0, 0, 2, 1, 2}));
}

TEST(Framing, WholeStreamAndEverySingleSplit) {
  std::vector<Bytes> expected;
  Bytes stream = sample_stream(expected);
  EXPECT_EQ(read_all(stream, {}), expected);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut)
    ASSERT_EQ(read_all(stream, {cut}), expected) << "split at " << cut;
}

TEST(Framing, ByteAtATime) {
  std::vector<Bytes> expected;
  Bytes stream = sample_stream(expected);
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(read_all(stream, cuts), expected);
}

TEST(Framing, RandomChunking) {
  std::uint32_t seed = std::random_device{}();
  std::printf("Framing.RandomChunking seed %u\n", seed);
  std::mt19937 rng(seed);
  std::vector<Bytes> expected;
  Bytes stream = sample_stream(expected);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0; at < stream.size();) cuts.push_back(at += 1 + rng() % 40);
    ASSERT_EQ(read_all(stream, cuts), expected) << "seed " << seed;
  }
}

TEST(Framing, RejectsLengthAboveLimitBeforeAnyPayload) {
  PacketReader reader(FramingOptions{.max_packet_size = 1000});
  Bytes header{0, 0, 0x03, 0xe9};  // 1001
  auto r = reader.put(header);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ConnectionErrorCode::PacketTooLarge);
  EXPECT_EQ(reader.put(Bytes{1}).error().code, ConnectionErrorCode::PacketTooLarge);  // stays failed
  PacketReader exact(FramingOptions{.max_packet_size = 1001});
  EXPECT_TRUE(exact.put(header).ok());
}

// With a limit of 4 GiB, an announced length of ~4 GiB followed by a few bytes must cost a few
// bytes: OTP 25 reserves the announced size up front.
TEST(Framing, AnnouncedLengthAllocatesNothingUntilBytesArrive) {
  PacketReader reader(FramingOptions{.max_packet_size = 0xffffffffu});
  Bytes bytes{0xff, 0xff, 0xff, 0xf0, 1, 2, 3};
  auto r = reader.put(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), bytes.size());
  EXPECT_FALSE(reader.has_packet());
  EXPECT_EQ(reader.stream_offset(), bytes.size());
}

TEST(Framing, DefaultLimitRejects2GiB) {
  PacketReader reader;
  auto r = reader.put(Bytes{0x80, 0, 0, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ConnectionErrorCode::PacketTooLarge);
}

TEST(TickPolicy, IntervalIsTicktimeOverIntensity) {
  TickPolicy p(TickOptions{}, 0ms);
  EXPECT_EQ(p.tick_interval(), 15000ms);
  TickPolicy q(TickOptions{.net_ticktime = 4000ms, .net_tickintensity = 4}, 0ms);
  EXPECT_EQ(q.tick_interval(), 1000ms);
}

TEST(TickPolicy, TicksOnlyWhenNothingWasWritten) {
  TickPolicy p(TickOptions{.net_ticktime = 4000ms}, 0ms);
  EXPECT_FALSE(p.poll(999ms).send_tick);
  p.on_received();
  auto d = p.poll(1000ms);
  EXPECT_TRUE(d.send_tick);
  EXPECT_FALSE(d.timed_out);
  EXPECT_EQ(d.next_check, 2000ms);
  p.on_sent();
  p.on_received();
  EXPECT_FALSE(p.poll(2000ms).send_tick);  // data was written in the interval
}

TEST(TickPolicy, HiddenPeerAlsoTickedWhenNothingWasRead) {
  TickPolicy visible(TickOptions{.net_ticktime = 4000ms}, 0ms);
  TickPolicy hidden(TickOptions{.net_ticktime = 4000ms, .hidden_peer = true}, 0ms);
  visible.on_sent();
  hidden.on_sent();
  EXPECT_FALSE(visible.poll(1000ms).send_tick);
  EXPECT_TRUE(hidden.poll(1000ms).send_tick);
}

TEST(TickPolicy, TimesOutAfterIntensitySilentIntervals) {
  // net_ticktime 4 s: observed OTP closing about 5 s after the peer's last byte.
  TickPolicy p(TickOptions{.net_ticktime = 4000ms}, 0ms);
  p.on_received();  // last byte at ~0.5 s
  EXPECT_FALSE(p.poll(1000ms).timed_out);
  EXPECT_FALSE(p.poll(2000ms).timed_out);
  EXPECT_FALSE(p.poll(3000ms).timed_out);
  EXPECT_FALSE(p.poll(4000ms).timed_out);
  auto d = p.poll(5000ms);
  EXPECT_TRUE(d.timed_out);
  EXPECT_FALSE(d.send_tick);
  p.on_received();  // too late: stays timed out
  EXPECT_TRUE(p.poll(6000ms).timed_out);
}

TEST(TickPolicy, ReceivingResetsTheSilenceCount) {
  TickPolicy p(TickOptions{.net_ticktime = 4000ms}, 0ms);
  for (int i = 1; i <= 20; ++i) {
    if (i % 3 == 0) p.on_received();
    EXPECT_FALSE(p.poll(std::chrono::milliseconds(1000 * i)).timed_out) << i;
  }
}

TEST(TickPolicy, LatePollCatchesUpEveryBoundary) {
  TickPolicy p(TickOptions{.net_ticktime = 60000ms}, 0ms);
  p.on_received();
  auto d = p.poll(59999ms);  // boundaries at 15, 30, 45 s: 1 with data, 2 silent
  EXPECT_FALSE(d.timed_out);
  EXPECT_TRUE(d.send_tick);
  EXPECT_TRUE(p.poll(75000ms).timed_out);  // 60 and 75 s: 4 silent intervals
}

}  // namespace
}  // namespace distspec::proto
