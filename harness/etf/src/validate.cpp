// validate()'s fast path: one counter of terms still to read instead of a frame stack, since ETF
// is prefix-ordered (a tuple of n adds n to read, a list n + 1, a fun its free variables). Maps
// need their keys compared; simple keys (small integers, atoms, binaries, floats, []) are compared
// by a canonical byte form; any other key sends the map to the full decoder. The full decoder
// also takes over when a depth limit could trigger, so the verdicts are decode()'s.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "decode_internal.hpp"

namespace distspec::etf::detail {
namespace {

using Code = DecodeErrorCode;

constexpr int kMaxMapRecursion = 32;  // maps inside maps deeper than this go to the full decoder

bool skip(Cursor& c, int map_depth, std::vector<KeyForm>& keys);

bool key_form(const std::uint8_t* p, std::size_t n, KeyForm& out) {
  out = KeyForm{0, 0, nullptr, 0};
  switch (p[0]) {
    case tag::kSmallInteger: out.kind = 'i'; out.number = p[1]; return true;
    case tag::kInteger:
      out.kind = 'i';
      out.number = std::uint64_t(std::int64_t(std::int32_t(load32(p + 1))));
      return true;
    case tag::kNewFloat: {
      double d = std::bit_cast<double>(load64(p + 1));
      out.kind = 'f';
      out.number = float_key_bits(d);
      return true;
    }
    case tag::kAtom: case tag::kSmallAtom: case tag::kAtomUtf8: case tag::kSmallAtomUtf8: {
      std::size_t header = (p[0] == tag::kAtom || p[0] == tag::kAtomUtf8) ? 3 : 2;
      if (p[0] == tag::kAtom || p[0] == tag::kSmallAtom)
        for (std::size_t i = header; i < n; ++i)
          if (p[i] >= 0x80) return false;  // Latin-1 beyond ASCII: not spelled as in UTF-8
      out = bytes_key_form('a', p + header, n - header);
      return true;
    }
    case tag::kBinary: out = bytes_key_form('b', p + 5, n - 5); return true;
    case tag::kNil: out.kind = 'n'; return true;
    default: return false;
  }
}

// A binary or an ASCII atom key (without [safe]) read in place: what skip() and key_form() would
// conclude for it. False (nothing read) for anything else, which skip() then decides.
bool inline_key(Cursor& c, KeyForm& form) {
  const std::uint8_t* p = c.data + c.pos;
  const std::size_t left = c.size - c.pos;
  if (left < 2) return false;
  switch (p[0]) {
    case tag::kBinary: {
      if (left < 5) return false;
      const std::size_t n = load32(p + 1);
      if (n > left - 5) return false;
      form = bytes_key_form('b', p + 5, n);
      c.pos += 5 + n;
      return true;
    }
    case tag::kAtom: case tag::kAtomUtf8: case tag::kSmallAtom: case tag::kSmallAtomUtf8: {
      const std::size_t width = (p[0] == tag::kAtom || p[0] == tag::kAtomUtf8) ? 2 : 1;
      if (c.options->safe || left < 1 + width) return false;
      const std::size_t n = width == 2 ? load16(p + 1) : p[1];
      if (n > tag::kMaxAtomCharacters || n > left - 1 - width ||
          !ascii_only(p + 1 + width, n, left - 1 - width))
        return false;
      form = bytes_key_form('a', p + 1 + width, n);
      c.pos += 1 + width + n;
      return true;
    }
    default:
      return false;
  }
}

bool skip_map(Cursor& c, std::size_t at, std::uint64_t pairs, int map_depth,
              std::vector<KeyForm>& keys) {
  // Keys of enclosing maps sit below `base`; nested maps pop theirs before the next key is read.
  std::size_t base = keys.size();
  bool simple = true;
  const std::uint8_t* d = c.data;
  for (std::uint64_t i = 0; i < pairs; ++i) {
    KeyForm form;
    if (simple && inline_key(c, form)) {  // the common keys without a call to skip()
      keys.push_back(form);
    } else {
      std::size_t begin = c.pos;
      if (!skip(c, map_depth, keys)) return false;
      simple = simple && key_form(d + begin, c.pos - begin, form);
      if (simple) keys.push_back(form);
    }
    if (!skip(c, map_depth, keys)) return false;
  }
  if (!simple) {
    // Not all keys are simple: let the full decoder check this map (it compares built keys).
    keys.resize(base);
    std::size_t end = c.pos;
    c.pos = at;
    if (!check_with_tape(c)) return false;
    c.pos = end;
    return true;
  }
  const bool duplicate = has_duplicate_forms(keys.data() + base, keys.data() + keys.size());
  keys.resize(base);
  if (duplicate) return c.fail(Code::DuplicateMapKey, at);
  return true;
}

bool skip(Cursor& c, int map_depth, std::vector<KeyForm>& keys) {
  const std::uint8_t* d = c.data;
  std::uint64_t todo = 1;
  AtomText atom;  // what the checks read, unused here
  const std::uint8_t* fixed;
  while (todo > 0) {
    --todo;
    const std::size_t at = c.pos;
    if (!c.need(1)) return false;
    const std::uint8_t t = d[c.pos++];
    switch (t) {
      case tag::kSmallInteger: if (!c.need(1)) return false; c.pos += 1; break;
      case tag::kInteger: if (!c.need(4)) return false; c.pos += 4; break;
      case tag::kSmallBig: case tag::kLargeBig: {
        std::size_t n;
        if (t == tag::kSmallBig) {
          if (!c.need(1)) return false;
          n = d[c.pos++];
        } else {
          if (!c.need(4)) return false;
          n = load32(d + c.pos);
          c.pos += 4;
          if (n > tag::kMaxBigBytes) return c.fail(Code::BigTooLarge, at);
        }
        if (!c.need(1 + n)) return false;
        c.pos += 1 + n;
        break;
      }
      case tag::kNewFloat:
        if (!c.need(8)) return false;
        if (!std::isfinite(std::bit_cast<double>(load64(d + c.pos)))) return c.fail(Code::BadFloat, at);
        c.pos += 8;
        break;
      case tag::kFloat: {
        if (!c.need(31)) return false;
        double v;
        if (!parse_float_text(d + c.pos, v)) return c.fail(Code::BadFloat, at);
        c.pos += 31;
        break;
      }
      case tag::kAtom: case tag::kSmallAtom: case tag::kAtomUtf8: case tag::kSmallAtomUtf8:
      case tag::kAtomCacheRef:
        c.pos = at;
        if (!read_atom_text(c, atom)) return false;
        break;
      case tag::kNewPid: case tag::kPid:
        if (!read_pid(c, t, at, atom, fixed)) return false;
        break;
      case tag::kNewPort: case tag::kPort: case tag::kV4Port:
        if (!read_port(c, t, at, atom, fixed)) return false;
        break;
      case tag::kNewerReference: case tag::kNewReference: case tag::kReference: {
        std::size_t words;
        if (!read_reference(c, t, at, atom, words, fixed)) return false;
        break;
      }
      case tag::kSmallTuple: case tag::kLargeTuple: {
        std::size_t width = t == tag::kSmallTuple ? 1 : 4;
        if (!c.need(width)) return false;
        std::uint64_t n = width == 1 ? d[c.pos] : load32(d + c.pos);
        c.pos += width;
        if (n > c.left()) return c.fail(Code::TooLarge, at);
        todo += n;
        break;
      }
      case tag::kNil: break;
      case tag::kString: {
        if (!c.need(2)) return false;
        std::size_t n = load16(d + c.pos);
        if (!c.need(2 + n)) return false;
        c.pos += 2 + n;
        break;
      }
      case tag::kList: {
        if (!c.need(4)) return false;
        std::uint64_t n = load32(d + c.pos);
        c.pos += 4;
        if (n > 0 && n + 1 > c.left()) return c.fail(Code::TooLarge, at);
        todo += n + 1;  // elements and the tail (LIST_EXT of length 0 is just its tail)
        break;
      }
      case tag::kBinary: {
        if (!c.need(4)) return false;
        std::size_t n = load32(d + c.pos);
        if (!c.need(4 + n)) return false;
        c.pos += 4 + n;
        break;
      }
      case tag::kBitBinary: {
        if (!c.need(5)) return false;
        std::size_t n = load32(d + c.pos);
        unsigned bits = d[c.pos + 4];
        if (!c.need(5 + n)) return false;
        if (n == 0 ? bits != 0 : (bits < 1 || bits > 8)) return c.fail(Code::BadBitstring, at);
        c.pos += 5 + n;
        break;
      }
      case tag::kMap: {
        if (!c.need(4)) return false;
        std::uint64_t n = load32(d + c.pos);
        c.pos += 4;
        if (n >= (std::uint64_t(1) << 31)) return c.fail(Code::TooLarge, at);
        if (n == 0) break;
        if (2 * n > c.left()) return c.fail(Code::TooLarge, at);
        if (map_depth >= kMaxMapRecursion) {
          c.pos = at;
          if (!check_with_tape(c)) return false;
        } else if (!skip_map(c, at, n, map_depth + 1, keys)) {
          return false;
        }
        break;
      }
      case tag::kExport: {
        if (c.options->safe && c.options->export_exists) {
          c.pos = at;  // [safe] needs the names: the full decoder reads them
          if (!check_with_tape(c)) return false;
          break;
        }
        if (!read_atom_text(c, atom) || !read_atom_text(c, atom)) return false;
        std::int64_t arity;
        if (!read_small(c, arity, Code::BadFun)) return false;
        if (arity < 0 || arity > INT32_MAX) return c.fail(Code::BadFun, at);
        break;
      }
      case tag::kNewFun: {
        if (!c.need(29)) return false;
        std::uint32_t num_free = load32(d + c.pos + 25);
        c.pos += 29;
        if (num_free > tag::kMaxFunFree) return c.fail(Code::BadFun, at);
        std::int64_t unused;
        if (!read_atom_text(c, atom) || !read_small(c, unused, Code::BadFun) ||
            !read_small(c, unused, Code::BadFun))
          return false;
        std::size_t pid_at = c.pos;
        if (!c.need(1)) return false;
        std::uint8_t pid_tag = d[c.pos++];
        if (pid_tag != tag::kNewPid && pid_tag != tag::kPid) return c.fail(Code::BadFun, pid_at);
        if (!read_pid(c, pid_tag, pid_at, atom, fixed)) return false;
        if (num_free > c.left()) return c.fail(Code::TooLarge, at);
        todo += num_free;
        break;
      }
      default:
        return c.fail(Code::UnknownTag, at);
    }
  }
  return true;
}

}  // namespace

bool skip_term(Cursor& c) {
  // Each level of nesting takes at least 2 bytes, so a depth limit of at least half the input
  // can never trigger; otherwise the full decoder (which counts depth) decides.
  if (c.options->max_depth < (c.size - c.pos) / 2) return check_with_tape(c);
  std::vector<KeyForm> keys;  // allocated only if the term holds a map
  return skip(c, 0, keys);
}

}  // namespace distspec::etf::detail
