// Binary construction semantics for the segments of <<...>> in parse().
#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <vector>

#include "text_bits.hpp"
#include "text_chars.hpp"

namespace distspec::etf::text_detail {
namespace {

using Type = Segment::Type;

// value mod 2^(8 * width), two's complement, little-endian bytes.
std::vector<std::uint8_t> twos_complement(const Term& value, std::size_t width) {
  std::vector<std::uint8_t> out(width, 0);
  bool negative;
  if (value.kind() == Term::Kind::Integer) {
    std::int64_t v = value.as_integer();
    negative = v < 0;
    std::uint64_t magnitude = negative ? 0 - std::uint64_t(v) : std::uint64_t(v);
    for (std::size_t i = 0; i < width && i < 8; ++i) out[i] = std::uint8_t(magnitude >> (8 * i));
  } else {
    const BigInteger& big = value.as_big_integer();
    negative = big.negative;
    for (std::size_t i = 0; i < width && i < big.magnitude.size(); ++i) out[i] = big.magnitude[i];
  }
  if (negative) {
    unsigned carry = 1;
    for (auto& b : out) {
      unsigned sum = unsigned(std::uint8_t(~b)) + carry;
      b = std::uint8_t(sum);
      carry = sum >> 8;
    }
  }
  return out;
}

void append_integer(BitWriter& out, const Term& value, std::uint64_t bits, bool little) {
  std::vector<std::uint8_t> le = twos_complement(value, std::size_t((bits + 7) / 8));
  unsigned partial = unsigned(bits % 8);
  std::size_t whole = std::size_t(bits / 8);
  if (little) {  // low bytes first; the remaining high bits last (as BEAM does)
    for (std::size_t i = 0; i < whole; ++i) out.append_uint(le[i], 8);
    if (partial) out.append_uint(le[whole], partial);
  } else {
    if (partial) out.append_uint(le[whole], partial);
    for (std::size_t i = whole; i-- > 0;) out.append_uint(le[i], 8);
  }
}

// IEEE half precision, rounded to nearest even; too large becomes infinity (as BEAM builds
// <<65520.0:16/float>> = <<124,0>>).
std::uint16_t to_half(double d) {
  std::uint16_t sign = std::signbit(d) ? 0x8000 : 0;
  double a = std::fabs(d);
  if (a < std::ldexp(1.0, -14)) {  // subnormal (or zero); 1024 here is the smallest normal
    return std::uint16_t(sign | std::uint16_t(std::nearbyint(std::ldexp(a, 24))));
  }
  int e2;
  double m = std::frexp(a, &e2);  // a = m * 2^e2, m in [0.5, 1)
  int exponent = e2 - 1;
  auto fraction = std::uint32_t(std::nearbyint((m * 2 - 1) * 1024));
  if (fraction == 1024) fraction = 0, ++exponent;
  if (exponent > 15) return std::uint16_t(sign | 0x7C00);
  return std::uint16_t(sign | std::uint16_t((exponent + 15) << 10) | fraction);
}

std::string append_float(BitWriter& out, const Term& value, std::uint64_t bits, bool little) {
  double d;
  if (value.kind() == Term::Kind::Float) d = value.as_float();
  else if (value.kind() == Term::Kind::Integer) d = double(value.as_integer());
  else return "an integer this large does not fit a float segment";
  std::uint64_t raw;
  if (bits == 64) {
    raw = std::bit_cast<std::uint64_t>(d);
  } else if (bits == 32) {
    float f = float(d);
    if (!std::isfinite(f)) return "the value does not fit a 32-bit float";
    raw = std::bit_cast<std::uint32_t>(f);
  } else if (bits == 16) {
    raw = to_half(d);
  } else {
    return "float segments must be 16, 32 or 64 bits";
  }
  if (little) {
    for (std::uint64_t i = 0; i < bits / 8; ++i) out.append_uint(std::uint8_t(raw >> (8 * i)), 8);
  } else {
    out.append_uint(raw, unsigned(bits));
  }
  return {};
}

std::string append_utf(BitWriter& out, const Segment& s) {
  if (s.size || s.unit) return "utf8/utf16/utf32 segments take no size or unit";
  if (s.value.kind() != Term::Kind::Integer) return "a utf segment needs an integer value";
  std::int64_t v = s.value.as_integer();
  if (v < 0 || v > kMaxCodePoint || (v >= 0xD800 && v <= 0xDFFF))
    return "not a Unicode code point: " + std::to_string(v);
  char32_t cp = char32_t(v);
  auto unit16 = [&](std::uint32_t u) {
    if (s.little) out.append_uint(u & 0xFF, 8), out.append_uint(u >> 8, 8);
    else out.append_uint(u, 16);
  };
  switch (s.type) {
    case Type::Utf8: {
      std::string bytes;
      append_utf8(bytes, cp);
      for (char c : bytes) out.append_uint(std::uint8_t(c), 8);
      break;
    }
    case Type::Utf16:
      if (cp < 0x10000) {
        unit16(cp);
      } else {
        unit16(0xD800 + ((cp - 0x10000) >> 10));
        unit16(0xDC00 + ((cp - 0x10000) & 0x3FF));
      }
      break;
    default:
      if (s.little) {
        for (int i = 0; i < 4; ++i) out.append_uint((cp >> (8 * i)) & 0xFF, 8);
      } else {
        out.append_uint(cp, 32);
      }
  }
  return {};
}

}  // namespace

std::optional<std::uint64_t> sized_segment_bits(const Segment& s) {
  if (!s.size) return std::nullopt;
  std::uint64_t unit = std::clamp<std::uint64_t>(s.unit.value_or(s.type == Type::Binary ? 8 : 1), 1, 256);
  return std::min(*s.size, kMaxSegmentBits + 1) * unit;
}

std::string append_segment(BitWriter& out, const Segment& s) {
  if (s.type == Type::Utf8 || s.type == Type::Utf16 || s.type == Type::Utf32)
    return append_utf(out, s);
  bool binary_like = s.type == Type::Binary || s.type == Type::Bitstring;
  std::uint64_t unit = s.unit.value_or(s.type == Type::Binary ? 8 : 1);
  if (unit < 1 || unit > 256) return "unit must be 1..256";
  std::optional<std::uint64_t> bits;
  if (s.size) {
    if (*s.size > kMaxSegmentBits / unit)
      return "segment larger than " + std::to_string(kMaxSegmentBits) + " bits";
    bits = *s.size * unit;
  }
  if (binary_like) {
    const Bitstring* b = s.value.get_if<Bitstring>();
    if (!b) return "a binary segment needs a binary value";
    std::uint64_t have = b->bit_size();
    if (!bits) {
      if (have % unit != 0) return "the value's size is not a multiple of the unit";
      bits = have;
    }
    if (*bits > have) return "the segment is longer than its value";
    out.append_bits(b->data, *bits);
    return {};
  }
  if (s.type == Type::Float) return append_float(out, s.value, bits.value_or(64), s.little);
  if (s.value.kind() != Term::Kind::Integer && s.value.kind() != Term::Kind::BigInteger)
    return "an integer segment needs an integer value";
  append_integer(out, s.value, bits.value_or(8), s.little);
  return {};
}

}  // namespace distspec::etf::text_detail
