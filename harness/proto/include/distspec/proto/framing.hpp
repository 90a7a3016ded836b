// 4-byte packet framing after the handshake ({packet,4}) and the tick policy, sans-I/O.
//
// PacketReader is fed arbitrary chunks of the byte stream and yields whole packets; an empty
// packet is a tick. It never allocates for an announced length before the bytes arrive (OTP 25
// reserves up to 2 GiB on the length alone, pitfalls B / issue 3) and rejects any length above
// FramingOptions::max_packet_size as soon as the 4 length bytes are in.
//
// TickPolicy is the net_ticktime rule of connection.md §5 as pure logic: the caller reports what
// it sent and received and asks, at "now" values of its own clock, whether to send a tick and
// whether the peer has timed out.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "distspec/etf/result.hpp"
#include "distspec/proto/connection_error.hpp"

namespace distspec::proto {

struct FramingOptions {
  // Largest packet accepted. OTP has no limit below 2^32-1; fragments are 64 KiB, but an OTP peer
  // without FRAGMENTS (or a huge control term) may send one large packet, so the default is
  // generous while still far below what an attacker could make OTP reserve.
  std::size_t max_packet_size = 64u * 1024 * 1024;
};

// Incremental reader of [Len:32][Data:Len] packets.
class PacketReader {
 public:
  explicit PacketReader(FramingOptions options = {}) : options_(options) {}

  // Consumes bytes until one packet is complete or the input is exhausted; returns the number of
  // bytes consumed. After an error the reader stays failed (every later put() repeats it).
  Result<std::size_t, ConnectionError> put(std::span<const std::uint8_t> bytes);
  // True when a packet is complete; take() hands it out (empty vector = tick) and resets.
  bool has_packet() const { return state_ == State::Complete; }
  std::vector<std::uint8_t> take();
  // The same into `packet` (its old contents are dropped, its capacity is reused for the next
  // packet): a receiver that keeps one buffer allocates nothing per packet once warmed up.
  void take_into(std::vector<std::uint8_t>& packet);
  // Bytes of the stream consumed so far (error offsets are stream offsets).
  std::uint64_t stream_offset() const { return stream_offset_; }

 private:
  enum class State : std::uint8_t { Length, Data, Complete, Failed };
  FramingOptions options_;
  State state_ = State::Length;
  std::uint8_t length_bytes_[4] = {};
  std::size_t length_have_ = 0;
  std::size_t length_ = 0;
  std::vector<std::uint8_t> data_;
  std::uint64_t stream_offset_ = 0;
  std::optional<ConnectionError> error_;
};

// Appends [Len:32][packet] to out.
void frame_packet(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> packet);
// Appends a tick (00 00 00 00) to out.
void frame_tick(std::vector<std::uint8_t>& out);

struct TickOptions {
  std::chrono::milliseconds net_ticktime{60'000};  // kernel net_ticktime (default 60 s)
  unsigned net_tickintensity = 4;                  // 4..1000 (OTP 24.3+), default 4
  bool hidden_peer = false;  // OTP also ticks a hidden peer when it read nothing in an interval
};

struct TickDecision {
  bool send_tick = false;    // write a tick now (nothing written during the last interval)
  bool timed_out = false;    // nothing received for net_tickintensity intervals: close
  std::chrono::milliseconds next_check{0};  // when to call poll() again (absolute, caller's clock)
};

// One connection's tick state. Time values are the caller's clock (any epoch), in milliseconds.
// Intervals are TickInterval = net_ticktime / net_tickintensity long and start at `start`; at each
// interval boundary poll() decides as OTP's dist_util:send_tick/6 does.
class TickPolicy {
 public:
  TickPolicy(TickOptions options, std::chrono::milliseconds start);

  std::chrono::milliseconds tick_interval() const { return interval_; }
  void on_sent() { wrote_ = true; }        // any packet (tick or data) written
  void on_received() { read_ = true; }     // any packet (tick or data) received
  // Processes every interval boundary up to `now`. send_tick is set when at least one boundary
  // needed a tick; timed_out once the peer stayed silent for net_tickintensity intervals.
  TickDecision poll(std::chrono::milliseconds now);

 private:
  TickOptions options_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds next_boundary_;
  bool wrote_ = false;
  bool read_ = false;
  unsigned silent_intervals_ = 0;
  bool timed_out_ = false;
};

}  // namespace distspec::proto
