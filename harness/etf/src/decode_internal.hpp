// Pieces of the decoder shared by decode.cpp and decode_fields.cpp (not public).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

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

// An atom as it sits in the input: its text (UTF-8, or Latin-1 beyond ASCII) or a cache entry.
struct AtomText {
  enum class Encoding : std::uint8_t { Utf8, Latin1, Cached };
  const std::uint8_t* bytes = nullptr;
  std::size_t size = 0;
  Encoding encoding = Encoding::Utf8;  // Utf8 also for ASCII text under a Latin-1 tag
  const Atom* cached = nullptr;        // Encoding::Cached
};

// A cursor over the input with the error slot; every read is bounds-checked by need().
struct Cursor {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t pos;
  std::size_t base;  // offset of data[0] in the caller's input (for error offsets)
  const DecodeOptions* options;
  DecodeError error{DecodeErrorCode::Truncated, 0};
  // The last node atom read by read_node_atom: its bytes (tag included) and its reading.
  const std::uint8_t* node_bytes = nullptr;
  std::size_t node_size = 0;
  AtomText node_text{};

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

inline bool ascii_only(const std::uint8_t* s, std::size_t n) {
  std::uint64_t any = 0, w;
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i) any |= s[i];
    return (any & 0x80) == 0;
  }
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&w, s + i, 8);
    any |= w;
  }
  std::memcpy(&w, s + n - 8, 8);  // the tail as one word overlapping what was read
  any |= w;
  return (any & 0x8080808080808080u) == 0;
}

// The same when at least 8 bytes are readable at s: short text in one load, no byte loop.
inline bool ascii_only(const std::uint8_t* s, std::size_t n, std::size_t readable) {
  if (n > 8 || readable < 8) return ascii_only(s, n);
  std::uint64_t w;
  std::memcpy(&w, s, 8);
  const std::uint64_t used = n == 8 ? ~std::uint64_t(0) : (std::uint64_t(1) << (8 * n)) - 1;
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return (w & used & 0x8080808080808080u) == 0;
}

// Whether n bytes at a and b are equal; 8 or more compared a word at a time (the tail as one word
// overlapping the last), without a call.
inline bool same_bytes(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  if (n < 8) return n == 0 || std::memcmp(a, b, n) == 0;
  std::uint64_t x, y, diff = 0;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    diff |= x ^ y;
  }
  std::memcpy(&x, a + n - 8, 8);
  std::memcpy(&y, b + n - 8, 8);
  return (diff | (x ^ y)) == 0;
}

// Reads an atom under any atom tag (or a cache reference when options allow), applying the
// length and UTF-8 rules and, under [safe], the existence check. Builds nothing.
bool read_atom_text(Cursor& c, AtomText& out);
// The same for the node atom of a pid, port or reference: a node atom spelled with the same bytes
// as the previous one (most are) reuses its reading (the verdict depends only on those bytes and
// the options) after one compare.
bool read_node_atom(Cursor& c, AtomText& out);
// Latin-1 to UTF-8, appended to `out` (a std::string or a byte vector).
template <class Out>
void append_latin1_as_utf8(const std::uint8_t* s, std::size_t n, Out& out) {
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < 0x80) {
      out.push_back(static_cast<typename Out::value_type>(s[i]));
    } else {
      out.push_back(static_cast<typename Out::value_type>(0xC0 | s[i] >> 6));
      out.push_back(static_cast<typename Out::value_type>(0x80 | (s[i] & 0x3F)));
    }
  }
}
// Reads an integer term that BEAM would accept where it wants a small (is_small: |v| < 2^59):
// SMALL_INTEGER_EXT, INTEGER_EXT or a bignum holding such a value.
bool read_small(Cursor& c, std::int64_t& out, DecodeErrorCode code);
// Parses FLOAT_EXT's 31 bytes as OTP's sys_chars_to_double does.
bool parse_float_text(const std::uint8_t* text, double& out);

// Pids, ports and references (tag already consumed, `at` is its offset): read and check the node
// atom and the fixed fields; `fixed` points at the fields after the node atom.
bool read_pid(Cursor& c, std::uint8_t tag, std::size_t at, AtomText& node, const std::uint8_t*& fixed);
bool read_port(Cursor& c, std::uint8_t tag, std::size_t at, AtomText& node, const std::uint8_t*& fixed);
bool read_reference(Cursor& c, std::uint8_t tag, std::size_t at, AtomText& node,
                    std::size_t& words, const std::uint8_t*& fixed);
// The numbers in those fixed fields (one reading for the decoder and the tape's accessors).
struct PidNumbers { std::uint32_t id, serial, creation; };
struct PortNumbers { std::uint64_t id; std::uint32_t creation; };
inline PidNumbers pid_numbers(std::uint8_t tag, const std::uint8_t* p) {
  return {load32(p), load32(p + 4), tag == tag::kNewPid ? load32(p + 8) : p[8]};
}
inline PortNumbers port_numbers(std::uint8_t tag, const std::uint8_t* p) {
  if (tag == tag::kV4Port) return {load64(p), load32(p + 8)};
  return {load32(p), tag == tag::kPort ? std::uint32_t(p[4]) : load32(p + 4)};
}
inline std::uint32_t reference_creation(std::uint8_t tag, const std::uint8_t* p) {
  return tag == tag::kNewerReference ? load32(p) : (tag == tag::kReference ? p[4] : p[0]);
}
// REFERENCE_EXT puts its one ID word before the creation byte; the others put creation first.
inline const std::uint8_t* reference_words(std::uint8_t tag, const std::uint8_t* p) {
  return tag == tag::kReference ? p : p + (tag == tag::kNewerReference ? 4 : 1);
}

// A simple map key (small integer, float, atom as UTF-8, binary, []) in a comparable form:
// equal forms <=> exactly equal keys (0.0 and -0.0 one form, as =:= in OTP 25).
struct KeyForm {
  char kind;
  std::uint64_t number;
  const std::uint8_t* bytes;
  std::size_t size;
  friend bool operator==(const KeyForm& x, const KeyForm& y) {
    return x.kind == y.kind && x.number == y.number && x.size == y.size &&
           (x.size == 0 || std::memcmp(x.bytes, y.bytes, x.size) == 0);
  }
  friend bool operator<(const KeyForm& x, const KeyForm& y);
};
// Atoms and binaries: `number` holds their first 8 bytes big-endian (zero-padded), so most keys
// compare, equal or ordered, without memcmp. Below 8 bytes: one 8-byte load, masked, when the
// caller says the 8 bytes from p are readable (readable_end: the end of the buffer p points into,
// or null); else byte by byte (a partial memcpy then an 8-byte load stalls on store forwarding).
inline KeyForm bytes_key_form(char kind, const std::uint8_t* p, std::size_t n,
                              const std::uint8_t* readable_end = nullptr) {
  std::uint64_t head = 0;
  if (n >= 8 || (n > 0 && readable_end && std::size_t(readable_end - p) >= 8)) {
    std::memcpy(&head, p, 8);
    head = __builtin_bswap64(head);
    if (n < 8) head &= ~std::uint64_t(0) << (64 - 8 * n);
  } else {
    for (std::size_t i = 0; i < n; ++i) head |= std::uint64_t(p[i]) << (56 - 8 * i);
  }
  return KeyForm{kind, head, p, n};
}
inline std::uint64_t float_key_bits(double d) { return d == 0 ? 0 : std::bit_cast<std::uint64_t>(d); }
// A total order on forms whose equality is KeyForm's, matching the order BEAM writes small maps
// in for the common cases (integers by value, then floats, atoms and binaries by their bytes), so
// BEAM's own maps are checked in n - 1 comparisons.
inline int key_form_rank(char kind) {
  switch (kind) {
    case 'i': return 0;
    case 'f': return 1;
    case 'a': return 2;
    case 'n': return 3;
    default: return 4;
  }
}
inline bool beam_order_less(const KeyForm& x, const KeyForm& y) {
  if (x.kind != y.kind) return key_form_rank(x.kind) < key_form_rank(y.kind);
  switch (x.kind) {
    case 'i': return std::int64_t(x.number) < std::int64_t(y.number);
    case 'f': return std::bit_cast<double>(x.number) < std::bit_cast<double>(y.number);
    case 'n': return false;
    default: {  // bytes: the big-endian heads order the first 8 bytes
      if (x.number != y.number) return x.number < y.number;
      const std::size_t common = std::min(x.size, y.size);
      int r = common <= 8 ? 0 : std::memcmp(x.bytes + 8, y.bytes + 8, common - 8);
      return r != 0 ? r < 0 : x.size < y.size;
    }
  }
}
// Whether [first, last) holds two equal forms (may reorder the range).
bool has_duplicate_forms(KeyForm* first, KeyForm* last);

// Inflates a COMPRESSED payload (`in` starts after the 80 tag at offset `at`): UncompressedSize:32
// then a zlib stream that must inflate to exactly that size.
struct Inflated {
  std::shared_ptr<std::vector<std::uint8_t>> data;
  std::size_t stream_bytes;  // input bytes the zlib stream took
};
Result<Inflated, DecodeError> inflate_payload(std::span<const std::uint8_t> in, std::size_t at);

// validate(): checks one term at c.pos and moves past it, building nothing (validate.cpp).
bool skip_term(Cursor& c);
// The full decoder (a tape, then dropped): for what skip_term hands over (tape_build.cpp).
bool check_with_tape(Cursor& c);

}  // namespace distspec::etf::detail
