// Decoding of the fields that are not general terms: atoms, node containers, fun integers, FLOAT_EXT.
#include <algorithm>
#include <bit>
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <locale.h>
#include <string>

#include "decode_internal.hpp"

namespace distspec::etf::detail {
namespace {

using Code = DecodeErrorCode;

// Counts code points of valid UTF-8 (no overlong forms, surrogates or values above U+10FFFF);
// returns -1 when invalid.
long count_utf8(const std::uint8_t* s, std::size_t n) {
  long chars = 0;
  std::size_t i = 0;
  while (i < n) {
    std::uint8_t b = s[i];
    if (b < 0x80) { ++i; ++chars; continue; }
    std::size_t len;
    std::uint32_t cp;
    if ((b & 0xE0) == 0xC0) { len = 2; cp = b & 0x1F; }
    else if ((b & 0xF0) == 0xE0) { len = 3; cp = b & 0x0F; }
    else if ((b & 0xF8) == 0xF0) { len = 4; cp = b & 0x07; }
    else return -1;
    if (n - i < len) return -1;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return -1;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return -1;
    i += len;
    ++chars;
  }
  return chars;
}

// Whether an atom spells `name` (UTF-8), without building its text.
bool atom_spells(const AtomText& a, std::string_view name) {
  if (a.encoding == AtomText::Encoding::Cached) return a.cached->name == name;
  if (a.encoding == AtomText::Encoding::Utf8)
    return name == std::string_view(reinterpret_cast<const char*>(a.bytes), a.size);
  std::string utf8;
  append_latin1_as_utf8(a.bytes, a.size, utf8);
  return utf8 == name;
}

bool is_local_slow(const Cursor& c, const AtomText& node, std::uint32_t creation) {
  const LocalNode* local = c.options->local_node;
  return (creation == local->creation || creation == 0) && atom_spells(node, local->name);
}
inline bool is_local(const Cursor& c, const AtomText& node, std::uint32_t creation) {
  return c.options->local_node && is_local_slow(c, node, creation);
}

}  // namespace

bool read_atom_text(Cursor& c, AtomText& out) {
  std::size_t at = c.pos;
  if (!c.need(1)) return false;
  std::uint8_t t = c.data[c.pos++];
  std::size_t len;
  bool utf8;
  switch (t) {
    case tag::kAtom: case tag::kAtomUtf8:
      if (!c.need(2)) return false;
      len = load16(c.data + c.pos);
      c.pos += 2;
      utf8 = t == tag::kAtomUtf8;
      break;
    case tag::kSmallAtom: case tag::kSmallAtomUtf8:
      if (!c.need(1)) return false;
      len = c.data[c.pos++];
      utf8 = t == tag::kSmallAtomUtf8;
      break;
    case tag::kAtomCacheRef: {
      if (!c.options->atom_cache) return c.fail(Code::UnknownTag, at);
      if (!c.need(1)) return false;
      const Atom* cached = c.options->atom_cache->lookup(c.data[c.pos++]);
      if (!cached) return c.fail(Code::BadAtom, at);
      out = AtomText{nullptr, 0, AtomText::Encoding::Cached, cached};
      return true;
    }
    default:
      return c.fail(Code::BadAtom, at);
  }
  if (!c.need(len)) return false;
  const std::uint8_t* text = c.data + c.pos;
  c.pos += len;
  bool ascii = ascii_only(text, len, std::size_t(c.data + c.size - text));
  if (!utf8 || ascii) {
    if (len > tag::kMaxAtomCharacters) return c.fail(Code::BadAtom, at);
  } else {
    long chars = count_utf8(text, len);
    if (chars < 0 || std::size_t(chars) > tag::kMaxAtomCharacters) return c.fail(Code::BadAtom, at);
  }
  out = AtomText{text, len, utf8 || ascii ? AtomText::Encoding::Utf8 : AtomText::Encoding::Latin1,
                 nullptr};
  if (!c.options->safe) return true;
  std::string latin1;
  std::string_view name(reinterpret_cast<const char*>(text), len);
  if (out.encoding == AtomText::Encoding::Latin1) {
    append_latin1_as_utf8(text, len, latin1);
    name = latin1;
  }
  if (!(c.options->atom_exists && c.options->atom_exists(name))) return c.fail(Code::UnsafeAtom, at);
  return true;
}

bool read_node_atom(Cursor& c, AtomText& out) {
  const std::uint8_t* at = c.data + c.pos;
  if (c.node_size != 0 && c.node_size <= c.size - c.pos && same_bytes(at, c.node_bytes, c.node_size)) {
    out = c.node_text;
    c.pos += c.node_size;
    return true;
  }
  if (!read_atom_text(c, out)) return false;
  c.node_bytes = at;
  c.node_size = std::size_t(c.data + c.pos - at);
  c.node_text = out;
  return true;
}

bool read_small(Cursor& c, std::int64_t& out, DecodeErrorCode code) {
  std::size_t at = c.pos;
  if (!c.need(1)) return false;
  std::uint8_t t = c.data[c.pos++];
  if (t == tag::kSmallInteger) {
    if (!c.need(1)) return false;
    out = c.data[c.pos++];
    return true;
  }
  if (t == tag::kInteger) {
    if (!c.need(4)) return false;
    out = std::int32_t(load32(c.data + c.pos));
    c.pos += 4;
    return true;
  }
  if (t != tag::kSmallBig && t != tag::kLargeBig) return c.fail(code, at);
  std::size_t n;
  if (t == tag::kSmallBig) {
    if (!c.need(2)) return false;
    n = c.data[c.pos];
    c.pos += 1;
  } else {
    if (!c.need(5)) return false;
    n = load32(c.data + c.pos);
    c.pos += 4;
    if (n > tag::kMaxBigBytes) return c.fail(Code::BigTooLarge, at);
  }
  if (!c.need(1 + n)) return false;
  bool negative = c.data[c.pos] != 0;
  const std::uint8_t* digits = c.data + c.pos + 1;
  c.pos += 1 + n;
  while (n > 0 && digits[n - 1] == 0) --n;
  if (n > 8) return c.fail(code, at);
  std::uint64_t m = 0;
  for (std::size_t i = n; i-- > 0;) m = m << 8 | digits[i];
  if (m > std::uint64_t(tag::kMaxSmall) + (negative ? 1 : 0)) return c.fail(code, at);
  out = negative ? -std::int64_t(m) : std::int64_t(m);
  return true;
}

bool parse_float_text(const std::uint8_t* text, double& out) {
  // Syntax first, as sys_chars_to_double: [+-]digits(.|,)digits[(e|E)[+-]digits], then NUL.
  char buf[32];
  std::memcpy(buf, text, 31);
  buf[31] = 0;
  if (std::memchr(buf, 0, 31) == nullptr) return false;  // text must end inside its 31 bytes
  char* s = buf;
  auto digit = [](char ch) { return ch >= '0' && ch <= '9'; };
  if (*s == '+' || *s == '-') ++s;
  if (!digit(*s)) return false;
  while (digit(*s)) ++s;
  if (*s != '.' && *s != ',') return false;
  *s++ = '.';
  if (!digit(*s)) return false;
  while (digit(*s)) ++s;
  if (*s == 'e' || *s == 'E') {
    ++s;
    if (*s == '+' || *s == '-') ++s;
    if (!digit(*s)) return false;
    while (digit(*s)) ++s;
  }
  if (*s) return false;
  static locale_t c_locale = newlocale(LC_NUMERIC_MASK, "C", nullptr);
  char* end = nullptr;
  errno = 0;
  double v = strtod_l(buf, &end, c_locale);
  if (end != s) return false;
  if (errno == ERANGE && std::isinf(v)) return false;  // overflow; underflow gives 0 or a denormal
  if (!std::isfinite(v)) return false;
  out = v;
  return true;
}

bool read_pid(Cursor& c, std::uint8_t t, std::size_t at, AtomText& node, const std::uint8_t*& fixed) {
  if (!read_node_atom(c, node)) return false;
  std::size_t size = t == tag::kNewPid ? 12 : 9;
  if (!c.need(size)) return false;
  fixed = c.data + c.pos;
  c.pos += size;
  PidNumbers n = pid_numbers(t, fixed);
  if (t == tag::kPid && n.creation > 3) return c.fail(Code::BadCreation, at);
  if (is_local(c, node, n.creation) && (n.id > tag::kMaxLocalPidId || n.serial > tag::kMaxLocalPidSerial))
    return c.fail(Code::BadNodeName, at);
  return true;
}

bool read_port(Cursor& c, std::uint8_t t, std::size_t at, AtomText& node, const std::uint8_t*& fixed) {
  if (!read_node_atom(c, node)) return false;
  std::size_t size = t == tag::kV4Port ? 12 : (t == tag::kNewPort ? 8 : 5);
  if (!c.need(size)) return false;
  fixed = c.data + c.pos;
  c.pos += size;
  PortNumbers n = port_numbers(t, fixed);
  if (t == tag::kPort && n.creation > 3) return c.fail(Code::BadCreation, at);
  if (is_local(c, node, n.creation) && n.id > tag::kMaxLocalPortId) return c.fail(Code::BadNodeName, at);
  return true;
}

bool read_reference(Cursor& c, std::uint8_t t, std::size_t at, AtomText& node, std::size_t& words,
                    const std::uint8_t*& fixed) {
  words = 1;
  if (t != tag::kReference) {
    if (!c.need(2)) return false;
    words = load16(c.data + c.pos);
    c.pos += 2;
    // Len 0 is accepted by OTP 25 but reads a word past the declared data: we refuse it
    // (harness/etf/README.md, "Differences from binary_to_term").
    if (words == 0 || words > kMaxReferenceWords) return c.fail(Code::BadReference, at);
  }
  if (!read_node_atom(c, node)) return false;
  std::size_t creation_size = t == tag::kNewerReference ? 4 : 1;
  if (!c.need(creation_size + 4 * words)) return false;
  fixed = c.data + c.pos;
  c.pos += creation_size + 4 * words;
  std::uint32_t creation = reference_creation(t, fixed);
  if (t != tag::kNewerReference && creation > 3) return c.fail(Code::BadCreation, at);
  std::uint32_t first = load32(reference_words(t, fixed));
  if (t != tag::kNewerReference && first > tag::kMaxOldRefFirstWord)
    return c.fail(Code::BadReference, at);
  if (is_local(c, node, creation) &&
      (words > tag::kMaxLocalRefWords || first > tag::kMaxOldRefFirstWord))
    return c.fail(Code::BadReference, at);
  return true;
}

bool operator<(const KeyForm& x, const KeyForm& y) {
  if (x.kind != y.kind) return x.kind < y.kind;
  if (x.number != y.number) return x.number < y.number;
  const std::size_t common = std::min(x.size, y.size);
  // memcmp with a null pointer is undefined even for length 0 (integer keys carry no bytes).
  int r = common == 0 ? 0 : std::memcmp(x.bytes, y.bytes, common);
  return r != 0 ? r < 0 : x.size < y.size;
}

bool has_duplicate_forms(KeyForm* first, KeyForm* last) {
  const std::size_t n = std::size_t(last - first);
  std::size_t rising = 1;
  while (rising < n && beam_order_less(first[rising - 1], first[rising])) ++rising;
  if (rising >= n) return false;  // strictly increasing: all distinct
  if (n <= 16) {
    for (std::size_t i = 1; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (first[i] == first[j]) return true;
    return false;
  }
  std::sort(first, last);
  return std::adjacent_find(first, last) != last;
}

}  // namespace distspec::etf::detail
