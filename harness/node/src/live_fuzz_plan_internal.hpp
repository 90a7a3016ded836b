// Shared byte helpers and mutation tables of the live-fuzz planner (live_fuzz_plan.cpp: handshake
// rounds; live_fuzz_packets.cpp: connected rounds). Private to harness/node.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace distspec::node::plan_detail {

using Bytes = std::vector<std::uint8_t>;
using Rng = std::mt19937_64;

inline std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

inline std::uint64_t pick(Rng& rng, std::uint64_t n) { return n ? rng() % n : 0; }

inline void put16(Bytes& out, std::uint16_t v) {
  out.push_back(std::uint8_t(v >> 8));
  out.push_back(std::uint8_t(v));
}
inline void put32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(std::uint8_t(v >> s));
}
inline std::uint64_t get_be(std::span<const std::uint8_t> b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | b[at + i];
  return v;
}

inline Bytes frame2(std::span<const std::uint8_t> payload, std::size_t claimed) {
  Bytes out;
  put16(out, std::uint16_t(claimed));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

inline void frame4(Bytes& out, std::span<const std::uint8_t> packet, std::uint32_t claimed) {
  put32(out, claimed);
  out.insert(out.end(), packet.begin(), packet.end());
}
inline void frame4(Bytes& out, std::span<const std::uint8_t> packet) {
  frame4(out, packet, std::uint32_t(packet.size()));
}

// 1..4 random edits (flip a bit, set a byte, insert, delete) at offsets >= `from`.
inline void edit_bytes(Bytes& bytes, Rng& rng, std::size_t from) {
  static constexpr std::uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '@', 'N', 131};
  const int edits = 1 + int(pick(rng, 4));
  for (int e = 0; e < edits; ++e) {
    if (bytes.size() <= from) {
      bytes.push_back(std::uint8_t(rng()));
      continue;
    }
    const std::size_t at = from + pick(rng, bytes.size() - from);
    switch (pick(rng, 5)) {
      case 0: bytes[at] ^= std::uint8_t(1u << pick(rng, 8)); break;
      case 1: bytes[at] = std::uint8_t(rng()); break;
      case 2: bytes[at] = kInteresting[pick(rng, std::size(kInteresting))]; break;
      case 3: bytes.insert(bytes.begin() + std::ptrdiff_t(at), std::uint8_t(rng())); break;
      default: bytes.erase(bytes.begin() + std::ptrdiff_t(at)); break;
    }
  }
}

inline constexpr std::array<std::string_view, 15> kSendNameMutations = {
    "valid", "trailing", "flags_random", "flags_drop_mandatory", "flags_name_me", "creation",
    "name_variant", "tag", "version5", "nlen_short", "nlen_long", "short_fields", "frame_short",
    "bytes", "corpus"};
inline constexpr std::array<std::string_view, 9> kReplyMutations = {
    "valid", "digest_flip", "digest_zero", "challenge_change", "truncate", "extend", "tag",
    "empty", "bytes"};
inline constexpr std::array<std::string_view, 16> kConnectedMutations = {
    "valid", "op_unknown", "wrong_arity", "bad_element", "not_tuple", "version_byte",
    "wrong_mode", "cache_ref_out_of_range", "truncate", "frame_short", "frame_huge",
    "fragment_bad_order", "fragment_duplicate", "fragment_seq0", "fragment_valid", "bytes"};

inline std::string_view mutation_kind(const std::string& mutation) {
  auto dot = mutation.find('.');
  return dot == std::string::npos ? std::string_view(mutation)
                                  : std::string_view(mutation).substr(dot + 1);
}

}  // namespace distspec::node::plan_detail
