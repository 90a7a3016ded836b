// Seeded random terms for the text-form tests: every kind of term, with the values that stress the
// printer (floats at the fixed/scientific boundaries, atoms that need quotes, Latin-1 and Unicode
// atoms, byte lists, bitstrings, improper lists, small and large maps).
#pragma once

#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "distspec/etf/term.hpp"
#include "distspec/etf/text.hpp"

namespace distspec::etf::testing {

struct TermGeneratorOptions {
  bool node_containers = true;  // pids, ports, references, local and external funs
  bool large_maps = true;       // maps of more than 32 keys
  int max_depth = 4;
};

class TermGenerator {
 public:
  TermGenerator(std::uint64_t seed, TermGeneratorOptions options = {})
      : rng_(seed), options_(options) {}

  Term term() { return term_at(0); }

  double float_value() {
    switch (pick(6)) {
      case 0: return std::bit_cast<double>(finite_bits());
      case 1: {  // powers of ten and their neighbours: the fixed/scientific boundaries
        double v = std::pow(10.0, int(pick(60)) - 30) * double(1 + pick(3) * 4);
        return pick(2) ? v : std::nextafter(v, 0.0);
      }
      case 2: return double(std::int64_t(rng_() % 2000000) - 1000000) / double(1 + pick(10000));
      case 3: {  // integers near 2^53, where BEAM switches to scientific notation
        double v = std::ldexp(1.0, 50 + int(pick(6))) + double(pick(5)) * 4;
        return v * double(1 + pick(9));
      }
      case 4: {
        static const double kSpecial[] = {0.0, -0.0, 1.0, 0.1, 0.5, 100.0, 1.0e15, 1.0e16,
                                          1.0e-4, 1.0e-5, 5e-324, 1.7976931348623157e308,
                                          2.2250738585072014e-308, 9007199254740992.0};
        return kSpecial[pick(std::size(kSpecial))];
      }
      default:
        return double(std::int64_t(pick(1u << 20)) - (1 << 19)) * std::pow(10.0, int(pick(8)) - 4);
    }
  }

  std::string atom_name() {
    static const char* kWords[] = {"a", "ok", "true", "nil", "fun", "case", "maybe", "else", "_x",
                                   "Abc", "a b", "a@b", "a.b", "", "node@host", "don't",
                                   "back\\slash", "ab1_@Z"};
    std::u32string chars;
    switch (pick(5)) {
      case 0: {
        std::string w = kWords[pick(std::size(kWords))];
        return w;
      }
      case 1:  // Latin-1, including controls and characters 128..255
        for (std::size_t n = pick(8); n > 0; --n) chars += char32_t(pick(256));
        break;
      case 2: {  // mostly letters with the odd Unicode character
        static const char32_t kPool[] = {U'a', U'z', U'A', U'_', U'@', U'\u00E4', U'\u00DF',
                                         U'\u00FF', U'\u00F7', U'\u00D7', U'\u00C0', U'\u03BB',
                                         U'\u00E9', U'\u20AC', U'\U0001F600', U'\u0100', U' '};
        chars += char32_t('a' + pick(26));
        for (std::size_t n = pick(6); n > 0; --n) chars += kPool[pick(std::size(kPool))];
        break;
      }
      case 3:  // any code point (no surrogates)
        for (std::size_t n = 1 + pick(4); n > 0; --n) {
          char32_t c = char32_t(pick(0x110000));
          chars += (c >= 0xD800 && c <= 0xDFFF) ? U'x' : c;
        }
        break;
      default:
        for (std::size_t n = 1 + pick(8); n > 0; --n) chars += char32_t('a' + pick(26));
    }
    std::string utf8;
    for (char32_t c : chars) append(utf8, c);
    return utf8;
  }

 private:
  std::size_t pick(std::size_t n) { return std::size_t(rng_() % n); }

  std::uint64_t finite_bits() {
    for (;;) {
      std::uint64_t bits = rng_();
      if (std::isfinite(std::bit_cast<double>(bits))) return bits;
    }
  }

  static void append(std::string& out, char32_t c) {
    if (c < 0x80) {
      out += char(c);
    } else if (c < 0x800) {
      out += char(0xC0 | (c >> 6)), out += char(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += char(0xE0 | (c >> 12)), out += char(0x80 | ((c >> 6) & 0x3F));
      out += char(0x80 | (c & 0x3F));
    } else {
      out += char(0xF0 | (c >> 18)), out += char(0x80 | ((c >> 12) & 0x3F));
      out += char(0x80 | ((c >> 6) & 0x3F)), out += char(0x80 | (c & 0x3F));
    }
  }

  Term integer() {
    switch (pick(5)) {
      case 0: return Term::integer(std::int64_t(pick(256)));
      case 1: return Term::integer(std::int64_t(std::int32_t(rng_())));
      case 2: return Term::integer(std::int64_t(rng_()));
      case 3: {
        std::vector<std::uint8_t> magnitude(1 + pick(40));
        for (auto& b : magnitude) b = std::uint8_t(rng_());
        return Term::big_integer(pick(2) == 0, std::move(magnitude));
      }
      default: {
        static const std::int64_t kEdges[] = {0, -1, 255, 256, -256, 2147483647, -2147483648LL,
                                              2147483648LL, INT64_MAX, INT64_MIN};
        return Term::integer(kEdges[pick(std::size(kEdges))]);
      }
    }
  }

  Term bitstring() {
    std::vector<std::uint8_t> bytes(pick(3) == 0 ? pick(40) : pick(6));
    for (auto& b : bytes) b = std::uint8_t(rng_());
    if (bytes.empty() || pick(2)) return Term::binary_copy(bytes);
    Bitstring b;
    auto storage = std::make_shared<std::vector<std::uint8_t>>(bytes);
    b.bits_in_last_byte = std::uint8_t(1 + pick(7));
    storage->back() &= std::uint8_t(0xFF << (8 - b.bits_in_last_byte));  // as OTP encodes it
    b.data = storage->data();
    b.byte_size = storage->size();
    b.owner = storage;
    return Term::bitstring(std::move(b));
  }

  Atom node() { return Atom{pick(2) ? "nonode@nohost" : atom_name()}; }

  Term node_container(int depth) {
    switch (pick(5)) {
      case 0: return Term::pid(Pid{node(), std::uint32_t(rng_()), std::uint32_t(rng_()),
                                   std::uint32_t(rng_())});
      case 1: return Term::port(Port{node(), rng_(), std::uint32_t(rng_())});
      case 2: {
        Reference r{node(), std::uint32_t(rng_()), {}};
        for (std::size_t n = pick(kMaxReferenceWords + 1); n > 0; --n)
          r.ids.push_back(std::uint32_t(rng_()));
        return Term::reference(std::move(r));
      }
      case 3: return Term::export_fun(ExportFun{Atom{atom_name()}, Atom{atom_name()},
                                                std::uint32_t(pick(300))});
      default: {
        LocalFun f;
        f.arity = std::uint8_t(rng_());
        for (auto& b : f.uniq) b = std::uint8_t(rng_());
        f.index = std::uint32_t(rng_());
        f.module = Atom{atom_name()};
        f.old_index = std::int64_t(std::int32_t(rng_()));
        f.old_uniq = std::int64_t(std::int32_t(rng_()));
        f.pid = std::make_shared<const Term>(
            Term::pid(Pid{node(), std::uint32_t(pick(1000)), 0, std::uint32_t(pick(4))}));
        for (std::size_t n = pick(3); n > 0; --n) f.free_vars.push_back(term_at(depth + 1));
        return Term::local_fun(std::move(f));
      }
    }
  }

  std::vector<Term> terms(int depth, std::size_t max_count) {
    std::vector<Term> out(pick(max_count + 1));
    for (auto& t : out) t = term_at(depth + 1);
    return out;
  }

  Term map(int depth) {
    std::size_t count = options_.large_maps && pick(4) == 0 ? 33 + pick(20) : pick(6);
    std::vector<std::pair<Term, Term>> pairs;
    std::set<std::string> seen;  // keys are distinct when their texts are
    for (std::size_t i = 0; i < count; ++i) {
      Term key = pick(2) ? integer() : term_at(depth + 2);
      if (seen.insert(key_identity(format(key))).second)
        pairs.emplace_back(std::move(key), term_at(depth + 1));
    }
    return Term::map(std::move(pairs));
  }

  // OTP 25 map keys: -0.0 and 0.0 are the same key (they are =:=), so both texts must count as one.
  static std::string key_identity(std::string text) {
    auto digit = [&](std::size_t i) { return std::isdigit(static_cast<unsigned char>(text[i])); };
    for (std::size_t at = text.find("-0.0"); at != std::string::npos;
         at = text.find("-0.0", at + 1)) {
      bool whole_token = at + 4 == text.size() || !(digit(at + 4) || text[at + 4] == 'e');
      bool token_start = at == 0 || !digit(at - 1);
      if (whole_token && token_start) text.erase(at, 1);
    }
    return text;
  }

  Term term_at(int depth) {
    bool leaf = depth >= options_.max_depth;
    std::size_t kinds = leaf ? 5 : 11;
    switch (pick(kinds)) {
      case 0: return integer();
      case 1: return Term::float_(float_value());
      case 2: return Term::atom(atom_name());
      case 3: return bitstring();
      case 4:
        if (options_.node_containers) return node_container(depth);
        return Term::nil();
      case 5: return Term::tuple(terms(depth, 4));
      case 6: return Term::list(terms(depth, 4));
      case 7: {  // improper
        auto items = terms(depth, 3);
        items.push_back(term_at(depth + 1));
        return Term::list(std::move(items), pick(2) ? Term::atom("t") : integer());
      }
      case 8: {  // a byte list, as "abc" is
        std::string s(pick(12), ' ');
        for (auto& c : s) c = char(pick(256));
        return Term::string(s);
      }
      case 9: return map(depth);
      default: return Term::list(terms(depth, 2), pick(2) ? Term::nil() : term_at(depth + 1));
    }
  }

  std::mt19937_64 rng_;
  TermGeneratorOptions options_;
};

}  // namespace distspec::etf::testing
