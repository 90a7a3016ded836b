// Pieces of the decoder shared by decode.cpp and decode_fields.cpp (not public).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "distspec/etf/decode.hpp"
#include "etf_tags.hpp"

namespace distspec::etf::detail {

inline std::uint16_t load16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }
inline std::uint32_t load32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
inline std::uint64_t load64(const std::uint8_t* p) {
  return std::uint64_t(load32(p)) << 32 | load32(p + 4);
}

// A cursor over the input with the error slot; every read is bounds-checked by need().
struct Cursor {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos;
  std::size_t base;  // offset of data[0] in the caller's input (for error offsets)
  const DecodeOptions* options;
  DecodeError error{DecodeErrorCode::Truncated, 0};

  std::size_t left() const { return size - pos; }
  bool need(std::size_t n) {
    if (n <= size - pos) return true;
    return fail(DecodeErrorCode::Truncated, size);
  }
  bool fail(DecodeErrorCode code, std::size_t at) {
    error = DecodeError{code, base + at};
    return false;
  }
};

// Reads an atom under any atom tag (or a cache reference when options allow). `out` null: check
// only. Applies length, UTF-8 and [safe] rules.
bool read_atom(Cursor& c, Atom* out);
// Reads an integer term that BEAM would accept where it wants a small (is_small: |v| < 2^59):
// SMALL_INTEGER_EXT, INTEGER_EXT or a bignum holding such a value.
bool read_small(Cursor& c, std::int64_t& out, DecodeErrorCode code);
// Parses FLOAT_EXT's 31 bytes as OTP's sys_chars_to_double does.
bool parse_float_text(const std::uint8_t* text, double& out);
// Reads the node atom, numbers and creation of a pid/port/reference (tag already consumed).
bool read_pid(Cursor& c, std::uint8_t tag, std::size_t at, Pid* out);
bool read_port(Cursor& c, std::uint8_t tag, std::size_t at, Port* out);
bool read_reference(Cursor& c, std::uint8_t tag, std::size_t at, Reference* out);

// validate(): checks one term at c.pos and moves past it, building nothing (validate.cpp).
bool skip_term(Cursor& c);
// The general (frame-stack) engine without building: for what skip_term hands over.
bool check_with_engine(Cursor& c);

}  // namespace distspec::etf::detail
