#include "support/random_term.hpp"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>

namespace distspec::etf::testing {

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
  if (depth <= 0 || below(3) == 0) return leaf();
  return container(depth);
}

Term RandomTerms::leaf() {
  switch (below(options_.special_leaves.empty() ? 7 : 8)) {
    case 0: case 1: return integer();
    case 2: return float_();
    case 3: case 4: return atom();
    case 5: return bitstring();
    case 6: return below(2) ? Term::nil() : Term::tuple({});
    default: return options_.special_leaves[below(options_.special_leaves.size())];
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
      // Bignums: mostly SMALL_BIG sizes, sometimes LARGE_BIG (>= 256 bytes).
      std::size_t n = below(4) == 0 ? 250 + below(20) : 8 + below(30);
      std::vector<std::uint8_t> magnitude(n);
      for (auto& b : magnitude) b = std::uint8_t(rng_());
      magnitude.back() |= 1;
      return Term::big_integer(below(2) == 0, std::move(magnitude));
    }
  }
}

Term RandomTerms::float_() {
  static const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.1, 1e300, -1e-300, 5e-324,
                                 std::numeric_limits<double>::max(), 123456789.0, 0.5};
  if (below(2)) return Term::float_(edges[below(std::size(edges))]);
  for (;;) {
    double d = std::bit_cast<double>(rng_());
    if (std::isfinite(d)) return Term::float_(d);
  }
}

Term RandomTerms::atom() {
  // Latin-1 letters, some above U+007F, some beyond U+00FF (forcing UTF-8 tags), NUL included.
  static const char32_t alphabet[] = {U'a', U'b', U'z', U'_', U'@', U'0', U'A', U' ', U'\'',
                                      U'\0', U'\\', 0xE4, 0xFF, 0xC0, 0x3BB, 0x4E2D, 0x1F600};
  std::size_t n = below(8) == 0 ? 255 : below(12);
  bool wide = below(3) == 0;
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    char32_t c = alphabet[below(wide ? std::size(alphabet) : 14)];
    if (c < 0x80) {
      s.push_back(char(c));
    } else if (c < 0x800) {
      s.push_back(char(0xC0 | c >> 6));
      s.push_back(char(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      s.push_back(char(0xE0 | c >> 12));
      s.push_back(char(0x80 | (c >> 6 & 0x3F)));
      s.push_back(char(0x80 | (c & 0x3F)));
    } else {
      s.push_back(char(0xF0 | c >> 18));
      s.push_back(char(0x80 | (c >> 12 & 0x3F)));
      s.push_back(char(0x80 | (c >> 6 & 0x3F)));
      s.push_back(char(0x80 | (c & 0x3F)));
    }
  }
  return Term::atom(s);
}

Term RandomTerms::bitstring() {
  std::size_t n = below(6) == 0 ? 300 : below(20);
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

Term RandomTerms::container(int depth) {
  switch (below(6)) {
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
    case 2: case 3: {  // list, proper or improper
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
    default: {  // map with distinct keys
      std::size_t n = options_.large_maps && below(8) == 0 ? 33 + below(10) : below(7);
      std::vector<std::pair<Term, Term>> pairs;
      for (std::size_t tries = 0; pairs.size() < n && tries < 4 * n; ++tries) {
        Term key = term(depth - 2);
        bool seen = false;
        for (const auto& p : pairs) seen = seen || exactly_equal(p.first, key);
        if (!seen) pairs.emplace_back(std::move(key), term(depth - 1));
      }
      if (pairs.size() > 32) large_map_ = true;
      return Term::map(std::move(pairs));
    }
  }
}

}  // namespace distspec::etf::testing
