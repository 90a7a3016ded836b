// The encoder: term_to_binary/1,2 of OTP 25, byte for byte (term-format.md §4). Iterative: a
// stack of compounds still being written, so nesting depth costs heap, not C++ stack.
//
// Speed: the write position is a local of run() (a store through a byte pointer may alias any
// member, so a member cursor is reloaded after every store). Each value first makes room for its
// largest encoding (one compare; the buffer doubles when short), then is written with raw stores.
// encode() writes into a buffer the thread keeps and copies the result out once, so a fresh vector
// is neither zero-filled nor copied as it doubles.
#include "distspec/etf/encode.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <memory>
#include <string_view>

#include "etf_tags.hpp"

namespace distspec::etf {
namespace {

using Kind = Term::Kind;

std::uint8_t* put16(std::uint8_t* p, std::uint16_t v) {
  v = std::uint16_t(v << 8 | v >> 8);
  std::memcpy(p, &v, 2);
  return p + 2;
}
std::uint8_t* put32(std::uint8_t* p, std::uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
  return p + 4;
}
std::uint8_t* put64(std::uint8_t* p, std::uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
  return p + 8;
}
std::uint8_t* put_bytes(std::uint8_t* p, const void* bytes, std::size_t n) {
  if (n) std::memcpy(p, bytes, n);
  return p + n;
}

// Copies n bytes to out; false if one is not ASCII. Names up to 16 bytes (most atoms) are moved
// as two overlapping words, not through a memcpy call and a byte loop.
bool copy_ascii(std::uint8_t* out, const char* text, std::size_t n) {
  constexpr std::uint64_t kHigh = 0x8080808080808080u;
  std::uint64_t a = 0, b = 0;
  if (n >= 8 && n <= 16) {
    std::memcpy(&a, text, 8);
    std::memcpy(&b, text + n - 8, 8);
    std::memcpy(out, &a, 8);
    std::memcpy(out + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    std::uint32_t x, y;
    std::memcpy(&x, text, 4);
    std::memcpy(&y, text + n - 4, 4);
    std::memcpy(out, &x, 4);
    std::memcpy(out + n - 4, &y, 4);
    a = x | y;
  } else {
    std::uint8_t any = 0;
    for (std::size_t i = 0; i < n; ++i) any |= std::uint8_t(out[i] = std::uint8_t(text[i]));
    return any < 0x80;
  }
  return ((a | b) & kHigh) == 0;
}

// Largest encodings, made room for before writing.
constexpr std::size_t kMaxInteger = 11;  // SMALL_BIG_EXT of 8 bytes
std::size_t atom_bound(const Atom& a) { return 3 + a.name.size(); }

std::string_view text_of(const Bitstring& b) { return {reinterpret_cast<const char*>(b.data), b.byte_size}; }

// map_key_less, with the common keys (two atoms, two integers, two binaries) compared in place:
// atoms and binaries order by their bytes, then by length.
bool key_less(const Term& a, const Term& b) {
  if (a.kind() == b.kind()) {
    switch (a.kind()) {
      case Kind::Atom: return a.as_atom().name < b.as_atom().name;
      case Kind::Integer: return a.as_integer() < b.as_integer();
      case Kind::Bitstring:
        if (a.as_bitstring().is_binary() && b.as_bitstring().is_binary())
          return text_of(a.as_bitstring()) < text_of(b.as_bitstring());
        break;
      default: break;
    }
  }
  return map_key_less(a, b);
}

// encode()'s buffer, kept by the thread across calls (not zero-filled). It grows to at most
// kLimit: a larger output moves to the result vector (so a thread pins at most kLimit, and a big
// binary is not copied twice).
struct Scratch {
  static constexpr std::size_t kLimit = std::size_t(256) << 10;
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t capacity = 0;
};

class Encoder {
 public:
  // Appends to out (on an exception, out is as it was).
  Encoder(std::vector<std::uint8_t>& out, const EncodeOptions& options)
      : vector_(&out), options_(options),
        utf8_atoms_(options.utf8_atoms || options.minor_version >= 2) {}
  // Writes into scratch from its start, or, once the output outgrows it, into spill (then of
  // run()'s size; left empty otherwise).
  Encoder(Scratch& scratch, std::vector<std::uint8_t>& spill, const EncodeOptions& options)
      : scratch_(&scratch), spill_(&spill), options_(options),
        utf8_atoms_(options.utf8_atoms || options.minor_version >= 2) {}

  // Returns the size written (with the 131 first when `version`).
  std::size_t run(const Term& root, bool version = false);

 private:
  // What is left to write of one compound. Leaves are written as they are reached, so only
  // compounds cost a frame.
  enum class FrameKind : std::uint8_t { Items, Pairs, SortedPairs, FunSize };
  struct Frame {
    Frame(FrameKind k, const void* p, std::size_t n) : kind(k), at(p), left(n) {}
    FrameKind kind;
    bool value_next = false;  // Pairs/SortedPairs: the key of the current pair is written
    const void* at;           // the next Term, pair, or (SortedPairs) index into order_
    std::size_t left;         // items or pairs left; FunSize: where the Size field is
  };

  // Makes room for n more bytes at p; returns where p now is.
  std::uint8_t* room(std::uint8_t* p, std::size_t n) {
    if (std::size_t(end_ - p) < n) [[unlikely]] return grow(p, n);
    return p;
  }
  [[gnu::noinline]] std::uint8_t* grow(std::uint8_t* p, std::size_t n);
  std::uint8_t* drain(std::uint8_t* p);  // writes what the frames hold
  std::uint8_t* term(std::uint8_t* p, const Term& t);  // a leaf; a compound's header and frames

  std::uint8_t* integer(std::uint8_t* p, std::int64_t v);
  static std::uint8_t* big(std::uint8_t* p, bool negative, const std::uint8_t* magnitude, std::size_t n);
  std::uint8_t* float_(std::uint8_t* p, double v);
  std::uint8_t* atom(std::uint8_t* p, const Atom& a);
  [[gnu::noinline]] std::uint8_t* atom_slow(std::uint8_t* p, const Atom& a);
  std::uint8_t* list(std::uint8_t* p, const List& l);
  std::uint8_t* map(std::uint8_t* p, const Map& m);
  static std::uint8_t* bitstring(std::uint8_t* p, const Bitstring& b);
  [[gnu::noinline]] std::uint8_t* other(std::uint8_t* p, const Term& t);  // pids, ports, refs, funs

  std::vector<std::uint8_t>* vector_ = nullptr;  // the output: this vector (its size is the room),
  Scratch* scratch_ = nullptr;                   // or (while vector_ is null) this buffer
  std::vector<std::uint8_t>* spill_ = nullptr;   // where a scratch output too large goes
  std::uint8_t* base_ = nullptr;                 // the output's first byte
  std::uint8_t* end_ = nullptr;                  // the end of the room
  const EncodeOptions& options_;
  bool utf8_atoms_;
  std::vector<Frame> stack_;
  std::vector<const std::pair<Term, Term>*> order_;  // small maps not in map-key order, sorted
};

std::uint8_t* Encoder::grow(std::uint8_t* p, std::size_t n) {
  const std::size_t used = std::size_t(p - base_);
  const std::size_t want = std::max(2 * std::size_t(end_ - base_), used + n + 64);
  if (!vector_ && want > Scratch::kLimit) {
    vector_ = spill_;
    vector_->resize(want);
    if (used) std::memcpy(vector_->data(), base_, used);
    base_ = vector_->data();
  } else if (vector_) {
    vector_->resize(want);
    base_ = vector_->data();
  } else {
    auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(want);
    if (used) std::memcpy(bigger.get(), base_, used);
    scratch_->data = std::move(bigger);
    scratch_->capacity = want;
    base_ = scratch_->data.get();
  }
  end_ = base_ + want;
  return base_ + used;
}

std::uint8_t* Encoder::integer(std::uint8_t* p, std::int64_t v) {
  if (std::uint64_t(v) <= 255) {
    p[0] = tag::kSmallInteger;
    p[1] = std::uint8_t(v);
    return p + 2;
  }
  if (v >= INT32_MIN && v <= INT32_MAX) {
    *p = tag::kInteger;
    return put32(p + 1, std::uint32_t(std::int32_t(v)));
  }
  std::uint64_t m = v < 0 ? ~std::uint64_t(v) + 1 : std::uint64_t(v);
  std::uint8_t digits[8];
  std::size_t n = 0;
  for (; m; m >>= 8) digits[n++] = std::uint8_t(m);
  return big(p, v < 0, digits, n);
}

std::uint8_t* Encoder::big(std::uint8_t* p, bool negative, const std::uint8_t* magnitude, std::size_t n) {
  if (n < 256) {
    *p++ = tag::kSmallBig;
    *p++ = std::uint8_t(n);
  } else {
    *p++ = tag::kLargeBig;
    p = put32(p, std::uint32_t(n));
  }
  *p++ = negative ? 1 : 0;
  return put_bytes(p, magnitude, n);
}

std::uint8_t* Encoder::float_(std::uint8_t* p, double v) {
  if (options_.minor_version == 0) {
    // FLOAT_EXT: "%.20e" text, NUL-padded to 31 bytes.
    p[0] = tag::kFloat;
    char text[64];
    auto r = std::to_chars(text, text + sizeof text, v, std::chars_format::scientific, 20);
    std::size_t n = std::min<std::size_t>(std::size_t(r.ptr - text), 31);
    std::memset(p + 1, 0, 31);
    std::memcpy(p + 1, text, n);
    return p + 32;
  }
  *p = tag::kNewFloat;
  return put64(p + 1, std::bit_cast<std::uint64_t>(v));
}

// Needs atom_bound(a) bytes of room.
std::uint8_t* Encoder::atom(std::uint8_t* p, const Atom& a) {
  const std::string& s = a.name;
  // The common case: ATOM_EXT of ASCII text (t2b with minor_version 0/1), no atom cache.
  if (!utf8_atoms_ && !options_.atom_cache_index && copy_ascii(p + 3, s.data(), s.size())) {
    p[0] = tag::kAtom;
    p[1] = std::uint8_t(s.size() >> 8);
    p[2] = std::uint8_t(s.size());
    return p + 3 + s.size();
  }
  return atom_slow(p, a);  // (it overwrites what copy_ascii wrote)
}

std::uint8_t* Encoder::atom_slow(std::uint8_t* p, const Atom& a) {
  if (options_.atom_cache_index) {
    if (auto index = options_.atom_cache_index(a)) {
      p[0] = tag::kAtomCacheRef;
      p[1] = *index;
      return p + 2;
    }
  }
  const std::string& s = a.name;
  auto* text = reinterpret_cast<const std::uint8_t*>(s.data());
  if (!utf8_atoms_) {
    // ATOM_EXT with Latin-1 bytes when every character is <= U+00FF (UTF-8 lead byte C2 or C3).
    bool latin1 = true;
    for (std::size_t i = 0; latin1 && i < s.size(); ++i) {
      auto c = text[i];
      if (c < 0x80) continue;
      if ((c != 0xC2 && c != 0xC3) || i + 1 >= s.size()) latin1 = false;
      ++i;
    }
    if (latin1) {
      std::size_t n = 0;
      for (std::size_t i = 0; i < s.size(); ++i, ++n) {
        auto c = text[i];
        if (c >= 0x80) c = std::uint8_t((c & 0x1F) << 6 | (text[++i] & 0x3F));
        p[3 + n] = c;
      }
      p[0] = tag::kAtom;
      p[1] = std::uint8_t(n >> 8);
      p[2] = std::uint8_t(n);
      return p + 3 + n;
    }
  }
  if (s.size() <= 255) {
    *p++ = tag::kSmallAtomUtf8;
    *p++ = std::uint8_t(s.size());
  } else {
    *p++ = tag::kAtomUtf8;
    p = put16(p, std::uint16_t(s.size()));
  }
  return put_bytes(p, text, s.size());
}

// Needs 5 bytes of room (the header); a byte list makes its own.
std::uint8_t* Encoder::list(std::uint8_t* p, const List& l) {
  const auto& e = l.elements;
  // STRING_EXT for a proper list of 1..65535 integers in 0..255, as is_external_string.
  if (l.is_proper() && e.size() <= 0xFFFF) {
    bool bytes = std::all_of(e.begin(), e.end(), [](const Term& t) {
      auto* v = t.get_if<std::int64_t>();
      return v && std::uint64_t(*v) <= 255;
    });
    if (bytes) {
      p = room(p, 3 + e.size());
      p[0] = tag::kString;
      p[1] = std::uint8_t(e.size() >> 8);
      p[2] = std::uint8_t(e.size());
      for (std::size_t i = 0; i < e.size(); ++i) p[3 + i] = std::uint8_t(e[i].as_integer());
      return p + 3 + e.size();
    }
  }
  *p = tag::kList;
  p = put32(p + 1, std::uint32_t(e.size()));
  stack_.emplace_back(FrameKind::Items, l.tail.get(), 1);  // written after the elements
  stack_.emplace_back(FrameKind::Items, e.data(), e.size());
  return p;
}

// Needs 5 bytes of room.
std::uint8_t* Encoder::map(std::uint8_t* p, const Map& m) {
  *p = tag::kMap;
  p = put32(p + 1, std::uint32_t(m.pairs.size()));
  constexpr std::size_t kSmallMapLimit = 32;  // erl_map.h MAP_SMALL_MAP_LIMIT
  if (m.pairs.size() <= kSmallMapLimit) {
    auto pair_less = [](const auto& a, const auto& b) { return key_less(a.first, b.first); };
    // Maps decoded from BEAM's bytes are in map-key order already: n-1 comparisons, no sort.
    if (!std::is_sorted(m.pairs.begin(), m.pairs.end(), pair_less)) {
      const std::size_t first = order_.size();
      for (const auto& pair : m.pairs) order_.push_back(&pair);
      std::stable_sort(order_.begin() + std::ptrdiff_t(first), order_.end(),
                       [&](auto* a, auto* b) { return pair_less(*a, *b); });
      stack_.emplace_back(FrameKind::SortedPairs, reinterpret_cast<const void*>(first), m.pairs.size());
      return p;
    }
  }
  if (!m.pairs.empty()) stack_.emplace_back(FrameKind::Pairs, m.pairs.data(), m.pairs.size());
  return p;
}

// Needs 6 + byte_size bytes of room.
std::uint8_t* Encoder::bitstring(std::uint8_t* p, const Bitstring& b) {
  if (b.is_binary()) {
    *p = tag::kBinary;
    return put_bytes(put32(p + 1, std::uint32_t(b.byte_size)), b.data, b.byte_size);
  }
  *p = tag::kBitBinary;
  p = put32(p + 1, std::uint32_t(b.byte_size));
  *p++ = b.bits_in_last_byte;
  p = put_bytes(p, b.data, b.byte_size);
  p[-1] &= std::uint8_t(0xFF << (8 - b.bits_in_last_byte));  // unused bits: zero
  return p;
}

// The rare kinds: each makes its own room.
std::uint8_t* Encoder::other(std::uint8_t* p, const Term& t) {
  switch (t.kind()) {
    case Kind::BigInteger: {
      const auto& b = t.as_big_integer();
      p = room(p, 6 + b.magnitude.size());
      return big(p, b.negative, b.magnitude.data(), b.magnitude.size());
    }
    case Kind::Reference: {
      const auto& r = t.as_reference();
      p = room(p, 7 + atom_bound(r.node) + 4 * r.ids.size());
      *p = tag::kNewerReference;
      p = atom(put16(p + 1, std::uint16_t(r.ids.size())), r.node);
      p = put32(p, r.creation);
      for (auto id : r.ids) p = put32(p, id);
      return p;
    }
    case Kind::ExportFun: {
      const auto& f = t.as_export_fun();
      p = room(p, 1 + atom_bound(f.module) + atom_bound(f.function) + kMaxInteger);
      *p = tag::kExport;
      return integer(atom(atom(p + 1, f.module), f.function), f.arity);
    }
    case Kind::LocalFun: {
      const auto& f = t.as_local_fun();
      p = room(p, 30 + atom_bound(f.module) + 2 * kMaxInteger);
      *p = tag::kNewFun;
      const std::size_t size_at = std::size_t(p + 1 - base_);
      p = put32(p + 1, 0);  // Size, filled in once the free variables are written
      *p++ = f.arity;
      p = put_bytes(p, f.uniq.data(), f.uniq.size());
      p = put32(p, f.index);
      p = put32(p, std::uint32_t(f.free_vars.size()));
      p = integer(integer(atom(p, f.module), f.old_index), f.old_uniq);
      stack_.emplace_back(FrameKind::FunSize, nullptr, size_at);
      if (!f.free_vars.empty()) stack_.emplace_back(FrameKind::Items, f.free_vars.data(), f.free_vars.size());
      if (f.pid) stack_.emplace_back(FrameKind::Items, f.pid.get(), 1);
      return p;
    }
    case Kind::Port: {
      const auto& port = t.as_port();
      p = room(p, 13 + atom_bound(port.node));
      constexpr std::uint64_t kMaxV3PortId = (std::uint64_t(1) << 28) - 1;
      bool v4 = port.id > kMaxV3PortId;
      *p = v4 ? tag::kV4Port : tag::kNewPort;
      p = atom(p + 1, port.node);
      p = v4 ? put64(p, port.id) : put32(p, std::uint32_t(port.id));
      return put32(p, port.creation);
    }
    case Kind::Pid: {
      const auto& pid = t.as_pid();
      p = room(p, 13 + atom_bound(pid.node));
      *p = tag::kNewPid;
      p = atom(p + 1, pid.node);
      return put32(put32(put32(p, pid.id), pid.serial), pid.creation);
    }
    default: return p;  // not reached: term() handles the other kinds
  }
}

[[gnu::always_inline]] inline std::uint8_t* Encoder::term(std::uint8_t* p, const Term& t) {
  switch (t.kind()) {
    case Kind::Integer: return integer(room(p, kMaxInteger), t.as_integer());
    case Kind::Float: return float_(room(p, 32), t.as_float());
    case Kind::Atom: return atom(room(p, atom_bound(t.as_atom())), t.as_atom());
    case Kind::Tuple: {
      p = room(p, 5);
      const auto& e = t.as_tuple().elements;
      if (e.size() < 256) {
        p[0] = tag::kSmallTuple;
        p[1] = std::uint8_t(e.size());
        p += 2;
      } else {
        *p = tag::kLargeTuple;
        p = put32(p + 1, std::uint32_t(e.size()));
      }
      if (!e.empty()) stack_.emplace_back(FrameKind::Items, e.data(), e.size());
      return p;
    }
    case Kind::Map: return map(room(p, 5), t.as_map());
    case Kind::Nil:
      p = room(p, 1);
      *p = tag::kNil;
      return p + 1;
    case Kind::List: return list(room(p, 5), t.as_list());
    case Kind::Bitstring: return bitstring(room(p, 6 + t.as_bitstring().byte_size), t.as_bitstring());
    default: return other(p, t);
  }
}

std::size_t Encoder::run(const Term& root, bool version) {
  std::size_t start = 0;
  if (vector_) {
    start = vector_->size();
    vector_->resize(std::max<std::size_t>(vector_->capacity(), start + 64));
    base_ = vector_->data();
    end_ = base_ + vector_->size();
  } else {
    base_ = scratch_->data.get();
    end_ = base_ + scratch_->capacity;
  }
  std::uint8_t* p = base_ + start;
  try {
    if (version) {
      p = room(p, 1);
      *p++ = tag::kVersion;
    }
    p = drain(term(p, root));
  } catch (...) {
    if (vector_) vector_->resize(start);
    throw;
  }
  const std::size_t end = std::size_t(p - base_);
  if (vector_) vector_->resize(end);
  return end - start;
}

std::uint8_t* Encoder::drain(std::uint8_t* p) {
  while (!stack_.empty()) {
    Frame& f = stack_.back();
    const Term* next = nullptr;
    switch (f.kind) {
      case FrameKind::Items:
        next = static_cast<const Term*>(f.at);
        f.at = next + 1;
        if (--f.left == 0) stack_.pop_back();
        break;
      case FrameKind::Pairs: {
        auto* pair = static_cast<const std::pair<Term, Term>*>(f.at);
        next = f.value_next ? &pair->second : &pair->first;
        if ((f.value_next = !f.value_next)) break;
        f.at = pair + 1;
        if (--f.left == 0) stack_.pop_back();
        break;
      }
      case FrameKind::SortedPairs: {
        auto index = reinterpret_cast<std::size_t>(f.at);
        const std::pair<Term, Term>* pair = order_[index];
        next = f.value_next ? &pair->second : &pair->first;
        if ((f.value_next = !f.value_next)) break;
        f.at = reinterpret_cast<const void*>(index + 1);
        if (--f.left == 0) stack_.pop_back();  // (order_ is dropped with the encoder)
        break;
      }
      case FrameKind::FunSize: {
        const std::size_t size_at = f.left;
        put32(base_ + size_at, std::uint32_t(std::size_t(p - base_) - size_at));
        stack_.pop_back();
        continue;
      }
    }
    p = term(p, *next);
  }
  return p;
}

}  // namespace
void encode_body(std::vector<std::uint8_t>& out, const Term& term, const EncodeOptions& options) {
  Encoder(out, options).run(term);
}

std::vector<std::uint8_t> encode(const Term& term, const EncodeOptions& options) {
  thread_local Scratch thread_scratch;
  thread_local bool in_use = false;  // an atom_cache_index callback may itself call encode()
  Scratch own_scratch;
  Scratch& scratch = in_use ? own_scratch : thread_scratch;
  struct Use {
    bool& flag;
    bool was;
    ~Use() { flag = was; }
  } use{in_use, in_use};
  in_use = true;
  std::vector<std::uint8_t> out;
  const std::size_t size = Encoder(scratch, out, options).run(term, true);
  if (out.empty()) out.assign(scratch.data.get(), scratch.data.get() + size);
  int level = options.compression_level.value_or(0);
  if (level == 0) return out;
  // As OTP: compress the body, and keep the result only if it is at most body - 5 bytes (so the
  // 6-byte COMPRESSED header never makes the output longer).
  std::size_t body = out.size() - 1;
  if (body < 5) return out;
  uLongf capacity = compressBound(uLong(body));
  std::vector<std::uint8_t> packed(6 + capacity);
  uLongf packed_size = capacity;
  if (compress2(packed.data() + 6, &packed_size, out.data() + 1, uLong(body), level) != Z_OK ||
      packed_size > body - 5)
    return out;
  packed[0] = tag::kVersion;
  packed[1] = tag::kCompressed;
  packed.resize(6 + packed_size);
  for (int k = 0; k < 4; ++k) packed[2 + k] = std::uint8_t(body >> (24 - 8 * k));
  return packed;
}

}  // namespace distspec::etf
