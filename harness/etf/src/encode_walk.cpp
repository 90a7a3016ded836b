// The encoder's walk over a Term (iterative: a stack of compounds still being written, so nesting
// depth costs heap, not C++ stack) and the common kinds, written in place. encoder.hpp says how.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <string_view>

#include "encoder.hpp"
#include "etf_tags.hpp"

namespace distspec::etf::detail {
namespace {

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

}  // namespace

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

}  // namespace distspec::etf::detail
