// Decoding of the fields that are not general terms: atoms, node containers, fun integers, FLOAT_EXT.
#include <cerrno>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <locale.h>

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

void latin1_to_utf8(const std::uint8_t* s, std::size_t n, std::string& out) {
  out.clear();
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < 0x80) {
      out.push_back(char(s[i]));
    } else {
      out.push_back(char(0xC0 | s[i] >> 6));
      out.push_back(char(0x80 | (s[i] & 0x3F)));
    }
  }
}

bool ascii_only(const std::uint8_t* s, std::size_t n) {
  std::uint8_t any = 0;
  for (std::size_t i = 0; i < n; ++i) any |= s[i];
  return any < 0x80;
}

bool is_local(const Cursor& c, const Atom& node, std::uint32_t creation) {
  const LocalNode* local = c.options->local_node;
  return local && node.name == local->name && (creation == local->creation || creation == 0);
}

// Reads the node atom of a pid/port/reference. The name is only built when the caller keeps it
// or a local node is configured to compare with: validate() checks it in place.
bool read_node(Cursor& c, bool keep, Atom& node) {
  return read_atom(c, keep || c.options->local_node ? &node : nullptr);
}

}  // namespace

bool read_atom(Cursor& c, Atom* out) {
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
      if (out) *out = *cached;
      return true;
    }
    default:
      return c.fail(Code::BadAtom, at);
  }
  if (!c.need(len)) return false;
  const std::uint8_t* text = c.data + c.pos;
  c.pos += len;
  bool ascii = ascii_only(text, len);
  if (!utf8 || ascii) {
    if (len > tag::kMaxAtomCharacters) return c.fail(Code::BadAtom, at);
  } else {
    long chars = count_utf8(text, len);
    if (chars < 0 || std::size_t(chars) > tag::kMaxAtomCharacters) return c.fail(Code::BadAtom, at);
  }
  if (!out && !c.options->safe) return true;
  Atom scratch;
  Atom& atom = out ? *out : scratch;
  if (utf8 || ascii)
    atom.name.assign(reinterpret_cast<const char*>(text), len);
  else
    latin1_to_utf8(text, len, atom.name);
  if (c.options->safe && !(c.options->atom_exists && c.options->atom_exists(atom.name)))
    return c.fail(Code::UnsafeAtom, at);
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

bool read_pid(Cursor& c, std::uint8_t t, std::size_t at, Pid* out) {
  Atom node;
  if (!read_node(c, out != nullptr, node)) return false;
  std::size_t fixed = t == tag::kNewPid ? 12 : 9;
  if (!c.need(fixed)) return false;
  const std::uint8_t* p = c.data + c.pos;
  c.pos += fixed;
  std::uint32_t id = load32(p), serial = load32(p + 4);
  std::uint32_t creation = t == tag::kNewPid ? load32(p + 8) : p[8];
  if (t == tag::kPid && creation > 3) return c.fail(Code::BadCreation, at);
  if (is_local(c, node, creation) && (id > tag::kMaxLocalPidId || serial > tag::kMaxLocalPidSerial))
    return c.fail(Code::BadNodeName, at);
  if (out) *out = Pid{std::move(node), id, serial, creation};
  return true;
}

bool read_port(Cursor& c, std::uint8_t t, std::size_t at, Port* out) {
  Atom node;
  if (!read_node(c, out != nullptr, node)) return false;
  std::size_t fixed = t == tag::kV4Port ? 12 : (t == tag::kNewPort ? 8 : 5);
  if (!c.need(fixed)) return false;
  const std::uint8_t* p = c.data + c.pos;
  c.pos += fixed;
  std::uint64_t id = t == tag::kV4Port ? load64(p) : load32(p);
  std::size_t id_size = t == tag::kV4Port ? 8 : 4;
  std::uint32_t creation = t == tag::kPort ? p[4] : load32(p + id_size);
  if (t == tag::kPort && creation > 3) return c.fail(Code::BadCreation, at);
  if (is_local(c, node, creation) && id > tag::kMaxLocalPortId) return c.fail(Code::BadNodeName, at);
  if (out) *out = Port{std::move(node), id, creation};
  return true;
}

bool read_reference(Cursor& c, std::uint8_t t, std::size_t at, Reference* out) {
  std::size_t words = 1;
  if (t != tag::kReference) {
    if (!c.need(2)) return false;
    words = load16(c.data + c.pos);
    c.pos += 2;
    // Len 0 is accepted by OTP 25 but reads a word past the declared data: we refuse it
    // (harness/etf/README.md, "Differences from binary_to_term").
    if (words == 0 || words > kMaxReferenceWords) return c.fail(Code::BadReference, at);
  }
  Atom node;
  if (!read_node(c, out != nullptr, node)) return false;
  std::size_t creation_size = t == tag::kNewerReference ? 4 : 1;
  if (!c.need(creation_size + 4 * words)) return false;
  const std::uint8_t* p = c.data + c.pos;
  c.pos += creation_size + 4 * words;
  // REFERENCE_EXT puts its one ID word before the creation byte; the others put creation first.
  const std::uint8_t* ids = t == tag::kReference ? p : p + creation_size;
  std::uint32_t creation =
      t == tag::kNewerReference ? load32(p) : (t == tag::kReference ? p[4] : p[0]);
  if (t != tag::kNewerReference && creation > 3) return c.fail(Code::BadCreation, at);
  std::uint32_t first = load32(ids);
  if (t != tag::kNewerReference && first > tag::kMaxOldRefFirstWord)
    return c.fail(Code::BadReference, at);
  if (is_local(c, node, creation) &&
      (words > tag::kMaxLocalRefWords || first > tag::kMaxOldRefFirstWord))
    return c.fail(Code::BadReference, at);
  if (out) {
    out->node = std::move(node);
    out->creation = creation;
    out->ids.resize(words);
    for (std::size_t i = 0; i < words; ++i) out->ids[i] = load32(ids + 4 * i);
  }
  return true;
}

}  // namespace distspec::etf::detail
