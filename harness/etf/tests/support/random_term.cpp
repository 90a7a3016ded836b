#include "support/random_term.hpp"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <random>

namespace distspec::etf::testing {
namespace {

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += char(c);
  } else if (c < 0x800) {
    out += char(0xC0 | c >> 6);
    out += char(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += char(0xE0 | c >> 12);
    out += char(0x80 | (c >> 6 & 0x3F));
    out += char(0x80 | (c & 0x3F));
  } else {
    out += char(0xF0 | c >> 18);
    out += char(0x80 | (c >> 12 & 0x3F));
    out += char(0x80 | (c >> 6 & 0x3F));
    out += char(0x80 | (c & 0x3F));
  }
}

}  // namespace

std::uint64_t seed_for(const char* test) {
  std::uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("DISTSPEC_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::cout << test << ": seed " << seed << " (DISTSPEC_SEED=" << seed << " to replay)\n";
  return seed;
}

RandomTerms::RandomTerms(std::uint64_t seed, RandomTermOptions options)
    : rng_(seed), options_(std::move(options)) {}

Term RandomTerms::next() {
  large_map_ = false;
  return term(options_.max_depth);
}

Term RandomTerms::term(int depth) {
  if (depth <= 0 || below(3) == 0) return leaf(depth);
  return container(depth);
}

Term RandomTerms::leaf(int depth) {
  switch (below(9)) {
    case 0: case 1: return integer();
    case 2: return Term::float_(float_value());
    case 3: case 4: return Term::atom(atom_name());
    case 5: return bitstring();
    case 6: return below(2) ? Term::nil() : Term::tuple({});
    case 7:
      if (options_.node_containers) return node_container(depth);
      return integer();
    default:
      if (!options_.special_leaves.empty())
        return options_.special_leaves[below(options_.special_leaves.size())];
      return Term::atom(atom_name());
  }
}

Term RandomTerms::integer() {
  static const std::int64_t edges[] = {0, 1, 255, 256, -1, -256, INT32_MAX, INT32_MIN,
                                       std::int64_t(INT32_MAX) + 1, std::int64_t(INT32_MIN) - 1,
                                       INT64_MAX, INT64_MIN, (std::int64_t(1) << 59) - 1};
  switch (below(5)) {
    case 0: return Term::integer(edges[below(std::size(edges))]);
    case 1: return Term::integer(std::int64_t(below(256)));
    case 2: return Term::integer(std::int32_t(rng_()));
    case 3: return Term::integer(std::int64_t(rng_()) >> below(64));
    default: {
      // Bignums: mostly SMALL_BIG sizes (some that fit in 64 bits), sometimes LARGE_BIG (>= 256).
      std::size_t n = below(4) == 0 ? 250 + below(20) : 1 + below(40);
      std::vector<std::uint8_t> magnitude(n);
      for (auto& b : magnitude) b = std::uint8_t(rng_());
      magnitude.back() |= 1;
      return Term::big_integer(below(2) == 0, std::move(magnitude));
    }
  }
}

double RandomTerms::float_value() {
  static const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 100.0, 1.0e15, 1.0e16, 1.0e-4,
                                 1.0e-5, 1e300, -1e-300, 5e-324, 123456789.0,
                                 std::numeric_limits<double>::max(), 2.2250738585072014e-308,
                                 9007199254740992.0};
  switch (below(6)) {
    case 0: return edges[below(std::size(edges))];
    case 1: {  // powers of ten and their neighbours: the fixed/scientific boundaries
      double v = std::pow(10.0, int(below(60)) - 30) * double(1 + below(3) * 4);
      return below(2) ? v : std::nextafter(v, 0.0);
    }
    case 2: return double(std::int64_t(rng_() % 2000000) - 1000000) / double(1 + below(10000));
    case 3:  // integers near 2^53, where BEAM switches to scientific notation
      return (std::ldexp(1.0, 50 + int(below(6))) + double(below(5)) * 4) * double(1 + below(9));
    case 4: return double(std::int64_t(below(1u << 20)) - (1 << 19)) * std::pow(10.0, int(below(8)) - 4);
    default:
      for (;;) {
        double d = std::bit_cast<double>(std::uint64_t(rng_()));
        if (std::isfinite(d)) return d;
      }
  }
}

std::string RandomTerms::atom_name() {
  static const char* words[] = {"a", "ok", "true", "nil", "fun", "case", "maybe", "else", "_x",
                                "Abc", "a b", "a@b", "a.b", "", "node@host", "don't",
                                "back\\slash", "ab1_@Z"};
  std::string name;
  switch (below(6)) {
    case 0: return words[below(std::size(words))];
    case 1:  // Latin-1, controls and 128..255 included
      for (std::size_t n = below(8); n > 0; --n) append_utf8(name, char32_t(below(256)));
      return name;
    case 2: {  // mostly letters with the odd character beyond ASCII (some beyond Latin-1)
      static const char32_t pool[] = {U'a', U'z', U'A', U'_', U'@', U' ', U'\'', U'\\', U'\0',
                                      0xE4, 0xDF, 0xFF, 0xF7, 0xD7, 0xC0, 0xE9, 0x100,
                                      0x3BB, 0x4E2D, 0x20AC, 0x1F600};
      append_utf8(name, char32_t('a' + below(26)));
      for (std::size_t n = below(8); n > 0; --n) append_utf8(name, pool[below(std::size(pool))]);
      return name;
    }
    case 3:  // any code point but surrogates
      for (std::size_t n = 1 + below(4); n > 0; --n) {
        auto c = char32_t(below(0x110000));
        append_utf8(name, c >= 0xD800 && c <= 0xDFFF ? U'x' : c);
      }
      return name;
    case 4: {  // the longest atom: 255 characters, Latin-1 or wider
      bool wide = below(2);
      for (int n = 0; n < 255; ++n) append_utf8(name, wide && below(4) == 0 ? char32_t(0x3BB) : char32_t('a' + below(26)));
      return name;
    }
    default:
      for (std::size_t n = 1 + below(8); n > 0; --n) name += char('a' + below(26));
      return name;
  }
}

Term RandomTerms::bitstring() {
  std::size_t n = below(6) == 0 ? 300 : below(3) == 0 ? below(40) : below(6);
  std::vector<std::uint8_t> bytes(n);
  for (auto& b : bytes) b = std::uint8_t(rng_());
  Term t = Term::binary_copy(bytes);
  if (n == 0 || below(3) != 0) return t;
  Bitstring b = t.as_bitstring();
  b.bits_in_last_byte = std::uint8_t(1 + below(7));
  // Keep the unused bits zero, as the decoder and BEAM hold them.
  auto owned = std::make_shared<std::vector<std::uint8_t>>(bytes);
  owned->back() &= std::uint8_t(0xFF << (8 - b.bits_in_last_byte));
  b.data = owned->data();
  b.owner = owned;
  return Term::bitstring(std::move(b));
}

Term RandomTerms::node_container(int depth) {
  auto node = [&] { return Atom{below(2) ? "nonode@nohost" : atom_name()}; };
  switch (below(5)) {
    case 0: return Term::pid(Pid{node(), std::uint32_t(rng_()), std::uint32_t(rng_()), std::uint32_t(rng_())});
    case 1: return Term::port(Port{node(), rng_(), std::uint32_t(rng_())});
    case 2: {
      Reference r{node(), std::uint32_t(rng_()), {}};
      for (std::size_t n = below(kMaxReferenceWords + 1); n > 0; --n) r.ids.push_back(std::uint32_t(rng_()));
      return Term::reference(std::move(r));
    }
    case 3: return Term::export_fun(ExportFun{Atom{atom_name()}, Atom{atom_name()}, std::uint32_t(below(300))});
    default: {
      LocalFun f;
      f.arity = std::uint8_t(rng_());
      for (auto& b : f.uniq) b = std::uint8_t(rng_());
      f.index = std::uint32_t(rng_());
      f.module = Atom{atom_name()};
      f.old_index = std::int64_t(std::int32_t(rng_()));
      f.old_uniq = std::int64_t(std::int32_t(rng_()));
      f.pid = std::make_shared<const Term>(Term::pid(Pid{node(), std::uint32_t(below(1000)), 0, std::uint32_t(below(4))}));
      for (std::size_t n = below(3); n > 0; --n) f.free_vars.push_back(term(depth - 1));
      return Term::local_fun(std::move(f));
    }
  }
}

Term RandomTerms::container(int depth) {
  switch (below(7)) {
    case 0: {  // tuple, sometimes LARGE_TUPLE_EXT
      std::size_t n = below(100) == 0 ? 256 + below(10) : below(6);
      std::vector<Term> e;
      for (std::size_t i = 0; i < n; ++i) e.push_back(term(n > 8 ? 0 : depth - 1));
      return Term::tuple(std::move(e));
    }
    case 1: {  // byte list (STRING_EXT), sometimes with a non-byte or longer than 65535
      std::size_t n = below(500) == 0 ? 65535 + below(3) : 1 + below(20);
      std::vector<Term> e;
      for (std::size_t i = 0; i < n; ++i) e.push_back(Term::integer(std::int64_t(below(256))));
      if (below(4) == 0) e[below(n)] = Term::integer(256);
      return Term::list(std::move(e));
    }
    case 2: {  // a byte list made from text, as "abc" is
      std::string s(below(12), ' ');
      for (auto& c : s) c = char(below(256));
      return Term::string(s);
    }
    case 3: case 4: {  // list, proper or improper
      std::size_t n = 1 + below(5);
      std::vector<Term> e;
      for (std::size_t i = 0; i < n; ++i) e.push_back(term(depth - 1));
      Term tail;
      if (below(3) == 0) {
        do tail = term(depth - 1);
        while (tail.kind() == Term::Kind::List || tail.kind() == Term::Kind::Nil);
      }
      return Term::list(std::move(e), std::move(tail));
    }
    default: return map(depth);
  }
}

Term RandomTerms::map(int depth) {
  // Distinct keys (=:=, so 0.0 and -0.0 count as one, as in OTP 25).
  std::size_t n = options_.large_maps && below(8) == 0 ? 33 + below(20) : below(7);
  std::vector<std::pair<Term, Term>> pairs;
  for (std::size_t tries = 0; pairs.size() < n && tries < 4 * n; ++tries) {
    Term key = below(2) ? integer() : term(depth - 2);
    bool seen = false;
    for (const auto& p : pairs) seen = seen || exactly_equal(p.first, key);
    if (!seen) pairs.emplace_back(std::move(key), term(depth - 1));
  }
  if (pairs.size() > 32) large_map_ = true;
  return Term::map(std::move(pairs));
}

}  // namespace distspec::etf::testing
