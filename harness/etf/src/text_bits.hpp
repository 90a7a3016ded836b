// Building bitstrings segment by segment, for the <<...>> syntax of parse() (private).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "distspec/etf/term.hpp"

namespace distspec::etf::text_detail {

// Appends bits most significant first, as Erlang's binary construction does.
class BitWriter {
 public:
  std::uint64_t bit_size() const { return bits_; }

  void append_bit(bool bit) {
    if (bits_ % 8 == 0) bytes_.push_back(0);
    if (bit) bytes_.back() |= std::uint8_t(0x80 >> (bits_ % 8));
    ++bits_;
  }

  // The low `count` bits of `value` (count <= 64), most significant first.
  void append_uint(std::uint64_t value, unsigned count) {
    if (bits_ % 8 == 0 && count % 8 == 0) {  // the common, aligned case
      for (unsigned i = count; i > 0; i -= 8) bytes_.push_back(std::uint8_t(value >> (i - 8)));
      bits_ += count;
      return;
    }
    for (unsigned i = count; i > 0; --i) append_bit((value >> (i - 1)) & 1);
  }

  // The first `count` bits of `data`.
  void append_bits(const std::uint8_t* data, std::uint64_t count) {
    if (bits_ % 8 == 0) {
      bytes_.insert(bytes_.end(), data, data + count / 8);
      bits_ += count / 8 * 8;
      for (std::uint64_t i = count / 8 * 8; i < count; ++i)
        append_bit((data[i / 8] >> (7 - i % 8)) & 1);
      return;
    }
    for (std::uint64_t i = 0; i < count; ++i) append_bit((data[i / 8] >> (7 - i % 8)) & 1);
  }

  Term take() {
    Bitstring b;
    std::uint8_t tail_bits = std::uint8_t(bits_ % 8 == 0 ? 8 : bits_ % 8);
    auto storage = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes_));
    b.data = storage->data();
    b.byte_size = storage->size();
    b.bits_in_last_byte = b.byte_size == 0 ? 8 : tail_bits;
    b.owner = std::move(storage);
    bits_ = 0;
    return Term::bitstring(std::move(b));
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint64_t bits_ = 0;
};

// A segment's size times its unit may not exceed this many bits: a short text such as
// <<0:9999999999>> must not allocate gigabytes.
inline constexpr std::uint64_t kMaxSegmentBits = std::uint64_t(1) << 27;  // 16 MiB

// One segment of <<...>>: Value[:Size][/Type-Endianness-Signedness-unit:N]. Strings were already
// split into one integer segment per character by the parser.
struct Segment {
  enum class Type { Integer, Float, Binary, Bitstring, Utf8, Utf16, Utf32 };
  Term value;  // an integer, a float or a bitstring
  std::optional<std::uint64_t> size;
  std::optional<std::uint64_t> unit;
  Type type = Type::Integer;
  bool little = false;  // little or native (BEAM on this machine is little-endian)
};

// The bits an explicit Size asks for (Size times the unit), capped at kMaxSegmentBits + 1; nullopt
// without a size. For the parser's budget of sized segments.
std::optional<std::uint64_t> sized_segment_bits(const Segment& segment);

// Appends the segment as Erlang's binary construction would; returns an error message, or an
// empty string on success.
std::string append_segment(BitWriter& out, const Segment& segment);

}  // namespace distspec::etf::text_detail
