// Erlang term order (erts_cmp in OTP 25 utils.c), without recursion on the C++ stack.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "distspec/etf/term.hpp"

namespace distspec::etf {
namespace {

using Kind = Term::Kind;

// Position in term order. Integers and bignums share a rank; in exact mode (=:=, map keys) floats
// rank above all integers, otherwise numbers compare by value across kinds.
int rank(Kind k) {
  switch (k) {
    case Kind::Integer: case Kind::BigInteger: return 0;
    case Kind::Float: return 1;
    case Kind::Atom: return 2;
    case Kind::Reference: return 3;
    case Kind::LocalFun: return 4;  // BEAM: local funs before external funs
    case Kind::ExportFun: return 5;
    case Kind::Port: return 6;
    case Kind::Pid: return 7;
    case Kind::Tuple: return 8;
    case Kind::Map: return 9;
    case Kind::Nil: return 10;
    case Kind::List: return 11;
    case Kind::Bitstring: return 12;
  }
  return 13;
}

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_bytes(std::string_view a, std::string_view b) {
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int compare_magnitudes(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (std::size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

int compare_bigs(const BigInteger& a, const BigInteger& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  int c = compare_magnitudes(a.magnitude, b.magnitude);
  return a.negative ? -c : c;
}

// An integral double of magnitude >= 2^63 as a bignum (exact: such doubles have no fraction).
BigInteger big_from_double(double d) {
  BigInteger big;
  big.negative = d < 0;
  int exponent = 0;
  double fraction = std::frexp(std::fabs(d), &exponent);  // |d| = fraction * 2^exponent
  auto mantissa = std::uint64_t(std::ldexp(fraction, 53));
  int shift = exponent - 53;  // >= 11 here
  big.magnitude.assign(std::size_t(exponent + 7) / 8 + 1, 0);
  for (int bit = 0; bit < 53; ++bit)
    if (mantissa >> bit & 1) {
      int at = bit + shift;
      big.magnitude[std::size_t(at / 8)] |= std::uint8_t(1u << (at % 8));
    }
  while (!big.magnitude.empty() && big.magnitude.back() == 0) big.magnitude.pop_back();
  return big;
}

constexpr double kTwoTo63 = 9223372036854775808.0;

// Integer (int64) against float by exact value.
int compare_int_float(std::int64_t i, double d) {
  if (d >= kTwoTo63) return -1;
  if (d < -kTwoTo63) return 1;
  double whole = std::trunc(d);
  auto w = std::int64_t(whole);  // in range: -2^63 <= whole < 2^63
  if (i != w) return i < w ? -1 : 1;
  double rest = d - whole;
  return rest > 0 ? -1 : (rest < 0 ? 1 : 0);
}

int compare_big_float(const BigInteger& b, double d) {
  if (std::fabs(d) < kTwoTo63) return b.negative ? -1 : 1;  // b lies outside int64
  return compare_bigs(b, big_from_double(d));
}

int compare_numbers(const Term& a, const Term& b) {
  Kind ka = a.kind(), kb = b.kind();
  if (ka == Kind::Integer && kb == Kind::Integer) return three_way(a.as_integer(), b.as_integer());
  if (ka == Kind::Float && kb == Kind::Float) return three_way(a.as_float(), b.as_float());
  if (ka == Kind::BigInteger && kb == Kind::BigInteger)
    return compare_bigs(a.as_big_integer(), b.as_big_integer());
  if (ka == Kind::Integer && kb == Kind::BigInteger) return b.as_big_integer().negative ? 1 : -1;
  if (ka == Kind::BigInteger && kb == Kind::Integer) return a.as_big_integer().negative ? -1 : 1;
  if (ka == Kind::Integer) return compare_int_float(a.as_integer(), b.as_float());
  if (kb == Kind::Integer) return -compare_int_float(b.as_integer(), a.as_float());
  if (ka == Kind::BigInteger) return compare_big_float(a.as_big_integer(), b.as_float());
  return -compare_big_float(b.as_big_integer(), a.as_float());
}

int compare_nodes(const Atom& a_node, std::uint32_t a_creation, const Atom& b_node,
                  std::uint32_t b_creation) {
  if (int c = compare_bytes(a_node.name, b_node.name)) return c;
  return three_way(a_creation, b_creation);
}

int compare_references(const Reference& a, const Reference& b) {
  if (int c = compare_nodes(a.node, a.creation, b.node, b.creation)) return c;
  // The longer reference wins if its extra (most significant) words are not zero.
  std::size_t an = a.ids.size(), bn = b.ids.size();
  for (; an > bn; --an)
    if (a.ids[an - 1] != 0) return 1;
  for (; bn > an; --bn)
    if (b.ids[bn - 1] != 0) return -1;
  for (std::size_t i = an; i-- > 0;)
    if (a.ids[i] != b.ids[i]) return a.ids[i] < b.ids[i] ? -1 : 1;
  return 0;
}

int compare_bitstrings(const Bitstring& a, const Bitstring& b) {
  std::uint64_t a_bits = a.bit_size(), b_bits = b.bit_size();
  std::uint64_t common = std::min(a_bits, b_bits);
  std::size_t whole = std::size_t(common / 8);
  if (whole) {
    int c = std::memcmp(a.data, b.data, whole);
    if (c) return c < 0 ? -1 : 1;
  }
  if (unsigned rest = unsigned(common % 8)) {
    auto mask = std::uint8_t(0xFF << (8 - rest));
    int c = three_way(std::uint8_t(a.data[whole] & mask), std::uint8_t(b.data[whole] & mask));
    if (c) return c;
  }
  return three_way(a_bits, b_bits);
}

// Pairs still to compare; `fixed` stands for a result already known once all pairs pushed after
// it have compared equal (a longer list against a shorter list's non-list tail).
struct Pending {
  const Term* a;
  const Term* b;
  bool exact;
  int fixed;
};

std::vector<const std::pair<Term, Term>*> sorted_pairs(const Map& m) {
  std::vector<const std::pair<Term, Term>*> pairs;
  pairs.reserve(m.pairs.size());
  for (const auto& p : m.pairs) pairs.push_back(&p);
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](auto* x, auto* y) { return map_key_less(x->first, y->first); });
  return pairs;
}

// Compares one pair; pairs of children still to compare go on `stack` (which is not touched, so
// not allocated, for leaves).
int compare_one(const Pending& p, std::vector<Pending>& stack) {
  {
    if (!p.a) return p.fixed;
    const Term& a = *p.a;
    const Term& b = *p.b;
    Kind ka = a.kind(), kb = b.kind();
    if (a.is_number() && b.is_number() && (!p.exact || rank(ka) == rank(kb))) {
      return compare_numbers(a, b);
    }
    if (rank(ka) != rank(kb)) return rank(ka) < rank(kb) ? -1 : 1;
    int c = 0;
    switch (ka) {
      case Kind::Integer: case Kind::BigInteger: case Kind::Float: break;  // handled above
      case Kind::Atom: c = compare_bytes(a.as_atom().name, b.as_atom().name); break;
      case Kind::Reference: c = compare_references(a.as_reference(), b.as_reference()); break;
      case Kind::ExportFun: {
        const auto &x = a.as_export_fun(), &y = b.as_export_fun();
        if (!(c = compare_bytes(x.module.name, y.module.name)))
          if (!(c = compare_bytes(x.function.name, y.function.name))) c = three_way(x.arity, y.arity);
        break;
      }
      case Kind::LocalFun: {
        const auto &x = a.as_local_fun(), &y = b.as_local_fun();
        if (!(c = compare_bytes(x.module.name, y.module.name)))
          if (!(c = three_way(x.old_index, y.old_index)))
            if (!(c = three_way(x.old_uniq, y.old_uniq)))
              c = three_way(x.free_vars.size(), y.free_vars.size());
        if (c) break;
        for (std::size_t i = x.free_vars.size(); i-- > 0;)
          stack.push_back({&x.free_vars[i], &y.free_vars[i], p.exact, 0});
        break;
      }
      case Kind::Port: {
        const auto &x = a.as_port(), &y = b.as_port();
        if (!(c = compare_nodes(x.node, x.creation, y.node, y.creation))) c = three_way(x.id, y.id);
        break;
      }
      case Kind::Pid: {
        const auto &x = a.as_pid(), &y = b.as_pid();
        if (!(c = three_way(x.serial, y.serial)))
          if (!(c = three_way(x.id, y.id))) c = compare_nodes(x.node, x.creation, y.node, y.creation);
        break;
      }
      case Kind::Tuple: {
        const auto &x = a.as_tuple().elements, &y = b.as_tuple().elements;
        if ((c = three_way(x.size(), y.size()))) break;
        for (std::size_t i = x.size(); i-- > 0;) stack.push_back({&x[i], &y[i], p.exact, 0});
        break;
      }
      case Kind::Map: {
        const Map &x = a.as_map(), &y = b.as_map();
        if ((c = three_way(x.pairs.size(), y.pairs.size()))) break;
        // Keys first (in map-key order, exactly), then values in that order.
        auto xs = sorted_pairs(x), ys = sorted_pairs(y);
        for (std::size_t i = xs.size(); i-- > 0;)
          stack.push_back({&xs[i]->second, &ys[i]->second, p.exact, 0});
        for (std::size_t i = xs.size(); i-- > 0;)
          stack.push_back({&xs[i]->first, &ys[i]->first, true, 0});
        break;
      }
      case Kind::Nil: break;
      case Kind::List: {
        const List &x = a.as_list(), &y = b.as_list();
        std::size_t n = std::min(x.elements.size(), y.elements.size());
        if (x.elements.size() == y.elements.size())
          stack.push_back({x.tail.get(), y.tail.get(), p.exact, 0});
        else if (x.elements.size() > n)  // rest of x (a list) against y's tail (not a list)
          stack.push_back({nullptr, nullptr, false, y.tail->kind() == Kind::Bitstring ? -1 : 1});
        else
          stack.push_back({nullptr, nullptr, false, x.tail->kind() == Kind::Bitstring ? 1 : -1});
        for (std::size_t i = n; i-- > 0;)
          stack.push_back({&x.elements[i], &y.elements[i], p.exact, 0});
        break;
      }
      case Kind::Bitstring: c = compare_bitstrings(a.as_bitstring(), b.as_bitstring()); break;
    }
    return c;
  }
}

int compare_terms(const Term& a, const Term& b, bool exact) {
  std::vector<Pending> stack;
  if (int c = compare_one({&a, &b, exact, 0}, stack)) return c;
  while (!stack.empty()) {
    Pending p = stack.back();
    stack.pop_back();
    if (int c = compare_one(p, stack)) return c;
  }
  return 0;
}

std::strong_ordering to_ordering(int c) {
  return c < 0 ? std::strong_ordering::less
               : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

}  // namespace

std::strong_ordering compare(const Term& a, const Term& b) {
  return to_ordering(compare_terms(a, b, false));
}

bool exactly_equal(const Term& a, const Term& b) { return compare_terms(a, b, true) == 0; }

bool map_key_less(const Term& a, const Term& b) { return compare_terms(a, b, true) < 0; }

}  // namespace distspec::etf
