#include "distspec/proto/framing.hpp"

#include <algorithm>

namespace distspec::proto {

Result<std::size_t, ConnectionError> PacketReader::put(std::span<const std::uint8_t> bytes) {
  if (state_ == State::Failed) return *error_;
  if (state_ == State::Complete) return std::size_t{0};  // take() first
  std::size_t used = 0;
  if (state_ == State::Length) {
    while (length_have_ < 4 && used < bytes.size()) length_bytes_[length_have_++] = bytes[used++];
    if (length_have_ < 4) {
      stream_offset_ += used;
      return used;
    }
    length_ = (std::size_t(length_bytes_[0]) << 24) | (std::size_t(length_bytes_[1]) << 16) |
              (std::size_t(length_bytes_[2]) << 8) | std::size_t(length_bytes_[3]);
    if (length_ > options_.max_packet_size) {
      error_ = ConnectionError{ConnectionErrorCode::PacketTooLarge, std::size_t(stream_offset_),
                               "announced " + std::to_string(length_) + " bytes, limit " +
                                   std::to_string(options_.max_packet_size)};
      state_ = State::Failed;
      return *error_;
    }
    state_ = length_ == 0 ? State::Complete : State::Data;
  }
  if (state_ == State::Data) {
    // Grow only by what arrived: the announced length alone never drives an allocation.
    std::size_t take = std::min(length_ - data_.size(), bytes.size() - used);
    data_.insert(data_.end(), bytes.begin() + used, bytes.begin() + used + take);
    used += take;
    if (data_.size() == length_) state_ = State::Complete;
  }
  stream_offset_ += used;
  return used;
}

std::vector<std::uint8_t> PacketReader::take() {
  std::vector<std::uint8_t> packet;
  take_into(packet);
  return packet;
}

void PacketReader::take_into(std::vector<std::uint8_t>& packet) {
  packet.clear();
  if (state_ != State::Complete) return;
  packet.swap(data_);
  state_ = State::Length;
  length_have_ = 0;
  length_ = 0;
}

void frame_packet(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> packet) {
  std::uint32_t n = std::uint32_t(packet.size());
  out.push_back(std::uint8_t(n >> 24));
  out.push_back(std::uint8_t(n >> 16));
  out.push_back(std::uint8_t(n >> 8));
  out.push_back(std::uint8_t(n));
  out.insert(out.end(), packet.begin(), packet.end());
}

void frame_tick(std::vector<std::uint8_t>& out) { out.insert(out.end(), 4, std::uint8_t{0}); }

TickPolicy::TickPolicy(TickOptions options, std::chrono::milliseconds start)
    : options_(options),
      interval_(options.net_ticktime / std::max(1u, options.net_tickintensity)),
      next_boundary_(start + interval_) {
  if (interval_.count() <= 0) interval_ = std::chrono::milliseconds{1};
  next_boundary_ = start + interval_;
}

TickDecision TickPolicy::poll(std::chrono::milliseconds now) {
  TickDecision decision;
  while (!timed_out_ && now >= next_boundary_) {
    if (!wrote_ || (options_.hidden_peer && !read_)) decision.send_tick = true;
    silent_intervals_ = read_ ? 0 : silent_intervals_ + 1;
    if (silent_intervals_ >= options_.net_tickintensity) timed_out_ = true;
    wrote_ = false;
    read_ = false;
    next_boundary_ += interval_;
  }
  decision.timed_out = timed_out_;
  if (timed_out_) decision.send_tick = false;
  decision.next_check = next_boundary_;
  return decision;
}

}  // namespace distspec::proto
