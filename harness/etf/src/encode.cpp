// The encoder: term_to_binary/1,2 of OTP 25, byte for byte (term-format.md §4). Iterative: a
// stack of compounds still being written, so nesting depth costs heap, not C++ stack.
#include "distspec/etf/encode.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>

#include "etf_tags.hpp"

namespace distspec::etf {
namespace {

// Appends to a vector through a raw cursor: the vector is grown ahead (amortized doubling) and
// trimmed to what was written by finish(), so a write is a bounds check and a store.
class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out), used_(out.size()) {}
  std::uint8_t* grow(std::size_t n) {
    if (out_.size() - used_ < n) out_.resize(std::max(out_.size() * 2, used_ + n + 64));
    std::uint8_t* p = out_.data() + used_;
    used_ += n;
    return p;
  }
  void u8(std::uint8_t v) { *grow(1) = v; }
  void u16(std::uint16_t v) { store(grow(2), v, 2); }
  void u32(std::uint32_t v) { store(grow(4), v, 4); }
  void u64(std::uint64_t v) { store(grow(8), v, 8); }
  void bytes(const void* p, std::size_t n) {
    if (n) std::memcpy(grow(n), p, n);
  }
  std::size_t size() const { return used_; }
  std::uint8_t* at(std::size_t offset) { return out_.data() + offset; }
  void patch32(std::size_t offset, std::uint32_t v) { store(out_.data() + offset, v, 4); }
  // Gives back the last n bytes of a grow() that turned out larger than needed.
  void unwrite(std::size_t n) { used_ -= n; }
  void finish() { out_.resize(used_); }

 private:
  static void store(std::uint8_t* p, std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v >>= 8) p[i] = std::uint8_t(v);
  }
  std::vector<std::uint8_t>& out_;
  std::size_t used_;
};

class Encoder {
 public:
  Encoder(std::vector<std::uint8_t>& out, const EncodeOptions& options)
      : w_(out), options_(options),
        utf8_atoms_(options.utf8_atoms || options.minor_version >= 2) {}

  void run(const Term& root);

 private:
  // A term to write, or (term == null) the place of a NEW_FUN_EXT Size field to fill in.
  // What is left to write of one compound. Leaves are written as they are reached, so only
  // compounds cost a frame. Built in place from scalars: pushing a braced temporary copied it
  // through memory and stalled on store forwarding.
  enum class FrameKind : std::uint8_t { Items, Pairs, SortedPairs, FunSize };
  struct Frame {
    Frame(FrameKind k, const void* p, std::size_t n) : kind(k), at(p), left(n) {}
    FrameKind kind;
    bool value_next = false;  // Pairs/SortedPairs: the key of the current pair is written
    const void* at;           // the next Term, pair, or (SortedPairs) index into order_
    std::size_t left;         // items or pairs left; FunSize: where the Size field is
  };

  void term(const Term& t);  // a leaf in full; a compound's header, its rest pushed as frames

  void integer(std::int64_t v);
  void big(bool negative, const std::uint8_t* magnitude, std::size_t n);
  void float_(double v);
  void atom(const Atom& a);
  void list(const List& l);
  void map(const Map& m);
  void bitstring(const Bitstring& b);
  void local_fun(const LocalFun& f);

  Writer w_;
  const EncodeOptions& options_;
  bool utf8_atoms_;
  std::vector<Frame> stack_;
  std::vector<const std::pair<Term, Term>*> order_;  // small maps not in map-key order, sorted
};

void Encoder::integer(std::int64_t v) {
  if (v >= 0 && v <= 255) {
    w_.u8(tag::kSmallInteger);
    w_.u8(std::uint8_t(v));
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    w_.u8(tag::kInteger);
    w_.u32(std::uint32_t(std::int32_t(v)));
  } else {
    std::uint64_t m = v < 0 ? ~std::uint64_t(v) + 1 : std::uint64_t(v);
    std::uint8_t digits[8];
    std::size_t n = 0;
    for (; m; m >>= 8) digits[n++] = std::uint8_t(m);
    big(v < 0, digits, n);
  }
}

void Encoder::big(bool negative, const std::uint8_t* magnitude, std::size_t n) {
  if (n < 256) {
    w_.u8(tag::kSmallBig);
    w_.u8(std::uint8_t(n));
  } else {
    w_.u8(tag::kLargeBig);
    w_.u32(std::uint32_t(n));
  }
  w_.u8(negative ? 1 : 0);
  w_.bytes(magnitude, n);
}

void Encoder::float_(double v) {
  if (options_.minor_version == 0) {
    // FLOAT_EXT: "%.20e" text, NUL-padded to 31 bytes.
    std::uint8_t* p = w_.grow(32);
    p[0] = tag::kFloat;
    char text[64];
    auto r = std::to_chars(text, text + sizeof text, v, std::chars_format::scientific, 20);
    std::size_t n = std::min<std::size_t>(std::size_t(r.ptr - text), 31);
    std::memset(p + 1, 0, 31);
    std::memcpy(p + 1, text, n);
    return;
  }
  w_.u8(tag::kNewFloat);
  w_.u64(std::bit_cast<std::uint64_t>(v));
}

void Encoder::atom(const Atom& a) {
  if (options_.atom_cache_index) {
    if (auto index = options_.atom_cache_index(a)) {
      w_.u8(tag::kAtomCacheRef);
      w_.u8(*index);
      return;
    }
  }
  const std::string& s = a.name;
  if (!utf8_atoms_) {
    // t2b with minor_version 0/1: ATOM_EXT with Latin-1 bytes when every character is <= U+00FF.
    auto* text = reinterpret_cast<const std::uint8_t*>(s.data());
    std::uint8_t any = 0;
    for (std::size_t i = 0; i < s.size(); ++i) any |= text[i];
    if (any < 0x80) {  // ASCII, the common case: one copy
      std::uint8_t* p = w_.grow(3 + s.size());
      p[0] = tag::kAtom;
      p[1] = std::uint8_t(s.size() >> 8);
      p[2] = std::uint8_t(s.size());
      if (!s.empty()) std::memcpy(p + 3, text, s.size());
      return;
    }
    bool latin1 = any >= 0x80;
    for (std::size_t i = 0; latin1 && i < s.size(); ++i) {
      auto c = text[i];
      if (c < 0x80) continue;
      if ((c != 0xC2 && c != 0xC3) || i + 1 >= s.size()) latin1 = false;
      ++i;
    }
    if (latin1) {
      // At most s.size() Latin-1 bytes: written into one grow(), the unused tail given back.
      std::uint8_t* p = w_.grow(3 + s.size());
      std::size_t n = 0;
      for (std::size_t i = 0; i < s.size(); ++i, ++n) {
        auto c = text[i];
        if (c >= 0x80) c = std::uint8_t((c & 0x1F) << 6 | (text[++i] & 0x3F));
        p[3 + n] = c;
      }
      p[0] = tag::kAtom;
      p[1] = std::uint8_t(n >> 8);
      p[2] = std::uint8_t(n);
      w_.unwrite(s.size() - n);
      return;
    }
  }
  if (s.size() <= 255) {
    w_.u8(tag::kSmallAtomUtf8);
    w_.u8(std::uint8_t(s.size()));
  } else {
    w_.u8(tag::kAtomUtf8);
    w_.u16(std::uint16_t(s.size()));
  }
  w_.bytes(s.data(), s.size());
}

void Encoder::list(const List& l) {
  const auto& e = l.elements;
  // STRING_EXT for a proper list of 1..65535 integers in 0..255, as is_external_string.
  if (l.is_proper() && e.size() <= 0xFFFF) {
    bool bytes = std::all_of(e.begin(), e.end(), [](const Term& t) {
      auto* v = t.get_if<std::int64_t>();
      return v && *v >= 0 && *v <= 255;
    });
    if (bytes) {
      std::uint8_t* p = w_.grow(3 + e.size());
      p[0] = tag::kString;
      p[1] = std::uint8_t(e.size() >> 8);
      p[2] = std::uint8_t(e.size());
      for (std::size_t i = 0; i < e.size(); ++i) p[3 + i] = std::uint8_t(e[i].as_integer());
      return;
    }
  }
  w_.u8(tag::kList);
  w_.u32(std::uint32_t(e.size()));
  stack_.emplace_back(FrameKind::Items, l.tail.get(), 1);  // written after the elements
  stack_.emplace_back(FrameKind::Items, e.data(), e.size());
}

void Encoder::map(const Map& m) {
  w_.u8(tag::kMap);
  w_.u32(std::uint32_t(m.pairs.size()));
  constexpr std::size_t kSmallMapLimit = 32;  // erl_map.h MAP_SMALL_MAP_LIMIT
  if (m.pairs.size() <= kSmallMapLimit) {
    auto key_less = [](const auto& a, const auto& b) { return map_key_less(a.first, b.first); };
    // Maps decoded from BEAM's bytes are in map-key order already: n-1 comparisons, no sort.
    if (!std::is_sorted(m.pairs.begin(), m.pairs.end(), key_less)) {
      const std::size_t first = order_.size();
      for (const auto& pair : m.pairs) order_.push_back(&pair);
      std::stable_sort(order_.begin() + std::ptrdiff_t(first), order_.end(),
                       [&](auto* a, auto* b) { return key_less(*a, *b); });
      stack_.emplace_back(FrameKind::SortedPairs, reinterpret_cast<const void*>(first), m.pairs.size());
      return;
    }
  }
  if (!m.pairs.empty()) stack_.emplace_back(FrameKind::Pairs, m.pairs.data(), m.pairs.size());
}

void Encoder::bitstring(const Bitstring& b) {
  if (b.is_binary()) {
    w_.u8(tag::kBinary);
    w_.u32(std::uint32_t(b.byte_size));
    w_.bytes(b.data, b.byte_size);
    return;
  }
  w_.u8(tag::kBitBinary);
  w_.u32(std::uint32_t(b.byte_size));
  w_.u8(b.bits_in_last_byte);
  w_.bytes(b.data, b.byte_size);
  *w_.at(w_.size() - 1) &= std::uint8_t(0xFF << (8 - b.bits_in_last_byte));  // unused bits: zero
}

void Encoder::local_fun(const LocalFun& f) {
  w_.u8(tag::kNewFun);
  std::size_t size_at = w_.size();
  w_.u32(0);  // Size, filled in once the free variables are written
  w_.u8(f.arity);
  w_.bytes(f.uniq.data(), f.uniq.size());
  w_.u32(f.index);
  w_.u32(std::uint32_t(f.free_vars.size()));
  atom(f.module);
  integer(f.old_index);
  integer(f.old_uniq);
  stack_.emplace_back(FrameKind::FunSize, nullptr, size_at);
  if (!f.free_vars.empty()) stack_.emplace_back(FrameKind::Items, f.free_vars.data(), f.free_vars.size());
  if (f.pid) stack_.emplace_back(FrameKind::Items, f.pid.get(), 1);
}

void Encoder::run(const Term& root) {
  struct Trim {
    Writer& w;
    ~Trim() { w.finish(); }
  } trim{w_};
  term(root);
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
      case FrameKind::FunSize:
        w_.patch32(f.left, std::uint32_t(w_.size() - f.left));
        stack_.pop_back();
        continue;
    }
    term(*next);
  }
}

void Encoder::term(const Term& t) {
  switch (t.kind()) {
    case Term::Kind::Integer: integer(t.as_integer()); break;
    case Term::Kind::BigInteger: {
      const auto& b = t.as_big_integer();
      big(b.negative, b.magnitude.data(), b.magnitude.size());
      break;
    }
    case Term::Kind::Float: float_(t.as_float()); break;
    case Term::Kind::Atom: atom(t.as_atom()); break;
    case Term::Kind::Reference: {
      const auto& r = t.as_reference();
      w_.u8(tag::kNewerReference);
      w_.u16(std::uint16_t(r.ids.size()));
      atom(r.node);
      w_.u32(r.creation);
      for (auto id : r.ids) w_.u32(id);
      break;
    }
    case Term::Kind::ExportFun: {
      const auto& f = t.as_export_fun();
      w_.u8(tag::kExport);
      atom(f.module);
      atom(f.function);
      integer(f.arity);
      break;
    }
    case Term::Kind::LocalFun: local_fun(t.as_local_fun()); break;
    case Term::Kind::Port: {
      const auto& port = t.as_port();
      constexpr std::uint64_t kMaxV3PortId = (std::uint64_t(1) << 28) - 1;
      bool v4 = port.id > kMaxV3PortId;
      w_.u8(v4 ? tag::kV4Port : tag::kNewPort);
      atom(port.node);
      if (v4) w_.u64(port.id);
      else w_.u32(std::uint32_t(port.id));
      w_.u32(port.creation);
      break;
    }
    case Term::Kind::Pid: {
      const auto& pid = t.as_pid();
      w_.u8(tag::kNewPid);
      atom(pid.node);
      w_.u32(pid.id);
      w_.u32(pid.serial);
      w_.u32(pid.creation);
      break;
    }
    case Term::Kind::Tuple: {
      const auto& e = t.as_tuple().elements;
      if (e.size() < 256) {
        w_.u8(tag::kSmallTuple);
        w_.u8(std::uint8_t(e.size()));
      } else {
        w_.u8(tag::kLargeTuple);
        w_.u32(std::uint32_t(e.size()));
      }
      if (!e.empty()) stack_.emplace_back(FrameKind::Items, e.data(), e.size());
      break;
    }
    case Term::Kind::Map: map(t.as_map()); break;
    case Term::Kind::Nil: w_.u8(tag::kNil); break;
    case Term::Kind::List: list(t.as_list()); break;
  case Term::Kind::Bitstring: bitstring(t.as_bitstring()); break;
  }
}

}  // namespace

void encode_body(std::vector<std::uint8_t>& out, const Term& term, const EncodeOptions& options) {
  Encoder(out, options).run(term);
}

std::vector<std::uint8_t> encode(const Term& term, const EncodeOptions& options) {
  std::vector<std::uint8_t> out;
  out.reserve(64);
  out.push_back(tag::kVersion);
  encode_body(out, term, options);
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
