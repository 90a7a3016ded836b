// Big-endian reads/writes shared by the EPMD and handshake codecs (internal header).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace distspec::proto::wire {

inline std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
inline std::uint32_t get32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t(b[at]) << 24) | (std::uint32_t(b[at + 1]) << 16) |
         (std::uint32_t(b[at + 2]) << 8) | std::uint32_t(b[at + 3]);
}
inline std::uint64_t get64(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint64_t(get32(b, at)) << 32) | get32(b, at + 4);
}
inline void put8(std::vector<std::uint8_t>& out, std::uint8_t v) { out.push_back(v); }
inline void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(std::uint8_t(v >> 8));
  out.push_back(std::uint8_t(v));
}
inline void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, std::uint16_t(v >> 16));
  put16(out, std::uint16_t(v));
}
inline void put64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  put32(out, std::uint32_t(v >> 32));
  put32(out, std::uint32_t(v));
}
inline void put_text(std::vector<std::uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}
inline std::string_view text_at(std::span<const std::uint8_t> b, std::size_t at, std::size_t n) {
  return {reinterpret_cast<const char*>(b.data() + at), n};
}
// Fills the 2-byte length prefix reserved at out[start..start+2).
inline void patch_length16(std::vector<std::uint8_t>& out, std::size_t start) {
  const std::size_t n = out.size() - start - 2;
  out[start] = std::uint8_t(n >> 8);
  out[start + 1] = std::uint8_t(n);
}

}  // namespace distspec::proto::wire
