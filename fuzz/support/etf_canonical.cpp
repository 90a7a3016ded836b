#include "support/etf_canonical.hpp"

#include <zlib.h>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::fuzz {
namespace {

// Walks one term at a time, answering "could term_to_binary/1 have written these bytes?".
class CanonicalWalker {
 public:
  explicit CanonicalWalker(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool whole_input() {
    std::size_t pos = 1;
    return bytes_.size() >= 2 && bytes_[0] == 131 && term(pos, 0) && pos == bytes_.size();
  }

 private:
  bool have(std::size_t pos, std::size_t n) const { return n <= bytes_.size() - std::min(pos, bytes_.size()); }
  std::uint64_t be(std::size_t pos, int n) const {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | bytes_[pos + i];
    return v;
  }

  bool atom(std::size_t& pos, int depth) {
    if (!have(pos, 1)) return false;
    std::uint8_t tag = bytes_[pos];
    return (tag == 100 || tag == 118 || tag == 119) && term(pos, depth);
  }

  bool integer_term(std::size_t& pos) {  // OldIndex/OldUniq/EXPORT arity: 97 or 98 only
    return have(pos, 1) && (bytes_[pos] == 97 || bytes_[pos] == 98) && term(pos, 0);
  }

  bool term(std::size_t& pos, std::size_t depth) {
    if (depth > kCanonicalMaxDepth || !have(pos, 1)) return false;
    const std::uint8_t tag = bytes_[pos++];
    switch (tag) {
      case 97: return have(pos, 1) && (pos += 1, true);
      case 98: {
        if (!have(pos, 4)) return false;
        auto v = std::int32_t(std::uint32_t(be(pos, 4)));
        pos += 4;
        return v < 0 || v > 255;
      }
      case 110:
      case 111: {
        const int width = tag == 110 ? 1 : 4;
        if (!have(pos, width + 1)) return false;
        const std::uint64_t n = be(pos, width);
        const std::uint8_t sign = bytes_[pos + width];
        pos += width + 1;
        if (!have(pos, n) || n == 0 || sign > 1 || bytes_[pos + n - 1] == 0) return false;
        if ((tag == 110) != (n <= 255)) return false;
        if (n <= 4) {  // must not fit INTEGER_EXT
          std::uint64_t m = 0;
          for (std::size_t i = n; i-- > 0;) m = (m << 8) | bytes_[pos + i];
          if (m <= (sign ? 0x80000000u : 0x7fffffffu)) return false;
        }
        pos += n;
        return true;
      }
      case 70: return have(pos, 8) && (pos += 8, true);
      case 100:
      case 118:
      case 119: {
        const int width = tag == 119 ? 1 : 2;
        if (!have(pos, width)) return false;
        const std::uint64_t len = be(pos, width);
        pos += width;
        if (!have(pos, len)) return false;
        bool beyond_latin1 = false;  // valid UTF-8 (the decoder checked) has a char > U+00FF iff a byte >= 0xC4
        for (std::size_t i = 0; i < len; ++i) beyond_latin1 |= bytes_[pos + i] >= 0xC4;
        pos += len;
        if (tag == 100) return true;
        return beyond_latin1 && ((tag == 119) == (len <= 255));
      }
      case 104:
      case 105: {
        const int width = tag == 104 ? 1 : 4;
        if (!have(pos, width)) return false;
        const std::uint64_t arity = be(pos, width);
        pos += width;
        if (tag == 105 && arity <= 255) return false;
        for (std::uint64_t i = 0; i < arity; ++i)
          if (!term(pos, depth + 1)) return false;
        return true;
      }
      case 106: return true;
      case 107: {
        if (!have(pos, 2)) return false;
        const std::uint64_t len = be(pos, 2);
        pos += 2;
        return len > 0 && have(pos, len) && (pos += len, true);
      }
      case 108: {
        if (!have(pos, 4)) return false;
        const std::uint64_t len = be(pos, 4);
        pos += 4;
        if (len == 0) return false;
        bool all_bytes = true;
        for (std::uint64_t i = 0; i < len; ++i) {
          all_bytes &= have(pos, 1) && bytes_[pos] == 97;
          if (!term(pos, depth + 1)) return false;
        }
        if (!have(pos, 1) || bytes_[pos] == 107 || bytes_[pos] == 108) return false;
        const bool proper = bytes_[pos] == 106;
        if (!term(pos, depth + 1)) return false;
        return !(proper && all_bytes && len <= 65535);
      }
      case 109: {
        if (!have(pos, 4)) return false;
        const std::uint64_t len = be(pos, 4);
        pos += 4;
        return have(pos, len) && (pos += len, true);
      }
      case 77: {
        if (!have(pos, 5)) return false;
        const std::uint64_t len = be(pos, 4);
        const unsigned bits = bytes_[pos + 4];
        pos += 5;
        if (len == 0 || bits < 1 || bits > 7 || !have(pos, len)) return false;
        const bool unused_zero = (bytes_[pos + len - 1] & ((1u << (8 - bits)) - 1)) == 0;
        pos += len;
        return unused_zero;
      }
      case 116: return map(pos, depth);
      case 88:
        if (!atom(pos, depth + 1) || !have(pos, 12)) return false;
        pos += 12;
        return true;
      case 89:
      case 120: {
        if (!atom(pos, depth + 1)) return false;
        const int width = tag == 89 ? 4 : 8;
        if (!have(pos, width + 4)) return false;
        const std::uint64_t id = be(pos, width);
        pos += width + 4;
        return (tag == 89) == (id <= 0x0fffffff);
      }
      case 90: {
        if (!have(pos, 2)) return false;
        const std::uint64_t words = be(pos, 2);
        pos += 2;
        if (words < 1 || words > 5 || !atom(pos, depth + 1) || !have(pos, 4 + 4 * words)) return false;
        pos += 4 + 4 * words;
        return true;
      }
      case 113:
        if (!atom(pos, depth + 1) || !atom(pos, depth + 1)) return false;
        return have(pos, 1) && bytes_[pos] == 97 && term(pos, depth + 1);
      case 112: {
        const std::size_t size_field = pos;
        if (!have(pos, 4 + 1 + 16 + 4 + 4)) return false;
        const std::uint64_t num_free = be(pos + 25, 4);
        pos += 29;
        if (!atom(pos, depth + 1) || !integer_term(pos) || !integer_term(pos)) return false;
        if (!have(pos, 1) || bytes_[pos] != 88 || !term(pos, depth + 1)) return false;
        for (std::uint64_t i = 0; i < num_free; ++i)
          if (!term(pos, depth + 1)) return false;
        return be(size_field, 4) == pos - size_field;
      }
      default: return false;  // legacy, internal, cache refs, nested COMPRESSED, unknown
    }
  }

  bool map(std::size_t& pos, std::size_t depth) {
    if (!have(pos, 4)) return false;
    const std::uint64_t arity = be(pos, 4);
    pos += 4;
    std::optional<etf::Term> previous_key;
    for (std::uint64_t i = 0; i < arity; ++i) {
      const std::size_t key_start = pos;
      if (!term(pos, depth + 1)) return false;
      if (arity <= 32) {
        auto key = etf::decode_body(bytes_.subspan(key_start, pos - key_start));
        if (!key.ok()) return false;
        if (previous_key && !etf::map_key_less(*previous_key, key->term)) return false;
        previous_key = std::move(key->term);
      }
      if (!term(pos, depth + 1)) return false;
    }
    return true;
  }

  std::span<const std::uint8_t> bytes_;
};

}  // namespace

bool is_t2b_canonical(std::span<const std::uint8_t> bytes) { return CanonicalWalker(bytes).whole_input(); }

std::optional<std::vector<std::uint8_t>> inflate_envelope(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 6 || bytes[0] != 131 || bytes[1] != 80) return std::nullopt;
  const std::uint32_t size = (std::uint32_t(bytes[2]) << 24) | (bytes[3] << 16) | (bytes[4] << 8) | bytes[5];
  // zlib expands at most ~1032:1; a larger claim cannot be honest, so never allocate for it.
  if (size > (bytes.size() - 6) * 1032 + 64) return std::nullopt;
  std::vector<std::uint8_t> out(1 + std::size_t(size) + 1);
  out[0] = 131;
  uLongf out_len = size + 1;  // one spare byte detects an inflated length above Size
  uLong in_len = bytes.size() - 6;
  if (uncompress2(out.data() + 1, &out_len, bytes.data() + 6, &in_len) != Z_OK || out_len != size)
    return std::nullopt;
  out.resize(1 + size);
  return out;
}

}  // namespace distspec::fuzz
