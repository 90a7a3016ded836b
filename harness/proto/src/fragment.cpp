#include "distspec/proto/fragment.hpp"

#include <algorithm>

namespace distspec::proto {

namespace {
ConnectionError error(ConnectionErrorCode code, std::string detail = {}) {
  // Offsets are those of the FragmentIds field in the packet.
  return ConnectionError{code, kFragmentIdsOffset, std::move(detail)};
}
}  // namespace

Result<std::monostate, ConnectionError> FragmentAssembler::begin(FragmentIds ids,
                                                                 PendingMessage message) {
  if (ids.fragment_id == 0) return error(ConnectionErrorCode::FragmentIdZero);
  if (ids.sequence_id == 0) return error(ConnectionErrorCode::FragmentSequenceZero);
  if (pending_.count(ids.sequence_id)) return error(ConnectionErrorCode::FragmentDuplicateSequence);
  if (pending_.size() >= limits_.max_sequences) return error(ConnectionErrorCode::TooManySequences);
  if (message.payload.size() > limits_.max_message_size)
    return error(ConnectionErrorCode::FragmentTooLarge);
  message.fragments = std::size_t(std::min<std::uint64_t>(ids.fragment_id, SIZE_MAX));
  pending_.emplace(ids.sequence_id, Entry{std::move(message), ids.fragment_id - 1});
  return std::monostate{};
}

Result<std::optional<PendingMessage>, ConnectionError> FragmentAssembler::append(
    FragmentIds ids, std::span<const std::uint8_t> body) {
  if (ids.sequence_id == 0) return error(ConnectionErrorCode::FragmentSequenceZero);
  if (ids.fragment_id == 0) return error(ConnectionErrorCode::FragmentIdZero);
  auto it = pending_.find(ids.sequence_id);
  if (it == pending_.end()) return error(ConnectionErrorCode::FragmentUnknownSequence);
  Entry& entry = it->second;
  if (ids.fragment_id != entry.next_fragment_id)
    return error(ConnectionErrorCode::FragmentOutOfOrder,
                 "expected " + std::to_string(entry.next_fragment_id));
  if (body.size() > limits_.max_message_size - entry.message.payload.size())
    return error(ConnectionErrorCode::FragmentTooLarge);
  entry.message.payload.insert(entry.message.payload.end(), body.begin(), body.end());
  if (ids.fragment_id != 1) {
    --entry.next_fragment_id;
    return std::optional<PendingMessage>{};
  }
  PendingMessage done = std::move(entry.message);
  pending_.erase(it);
  return std::optional<PendingMessage>{std::move(done)};
}

std::vector<std::vector<std::uint8_t>> encode_fragmented(std::span<const std::uint8_t> section,
                                                         std::span<const std::uint8_t> body,
                                                         std::size_t control_size,
                                                         std::uint64_t sequence_id,
                                                         std::size_t fragment_size) {
  std::vector<std::vector<std::uint8_t>> packets;
  if (body.size() <= fragment_size) {
    auto& p = packets.emplace_back();
    p.reserve(2 + section.size() + body.size());
    p.push_back(kVersionMagic);
    p.push_back(kDistHeaderTag);
    p.insert(p.end(), section.begin(), section.end());
    p.insert(p.end(), body.begin(), body.end());
    return packets;
  }
  std::size_t first = std::max(fragment_size, control_size);
  std::size_t rest = body.size() - first;
  std::uint64_t count = 1 + (rest + fragment_size - 1) / fragment_size;
  {
    auto& p = packets.emplace_back();
    p.reserve(kFragmentPrefixSize + section.size() + first);
    write_fragment_prefix(p, kFragHeaderTag, {sequence_id, count});
    p.insert(p.end(), section.begin(), section.end());
    p.insert(p.end(), body.begin(), body.begin() + first);
  }
  std::size_t at = first;
  for (std::uint64_t id = count - 1; id >= 1; --id) {
    std::size_t n = std::min(fragment_size, body.size() - at);
    auto& p = packets.emplace_back();
    p.reserve(kFragmentPrefixSize + n);
    write_fragment_prefix(p, kFragContTag, {sequence_id, id});
    p.insert(p.end(), body.begin() + at, body.begin() + at + n);
    at += n;
  }
  return packets;
}

}  // namespace distspec::proto
