// The term model: normalization, Erlang term order, exact equality, map-key order, deep values.
#include <gtest/gtest.h>

#include <algorithm>

#include "distspec/etf/term.hpp"

namespace distspec::etf {
namespace {

Term i(std::int64_t v) { return Term::integer(v); }
Term f(double v) { return Term::float_(v); }
Term a(std::string_view s) { return Term::atom(s); }

TEST(Term, IntegersHaveOneRepresentation) {
  EXPECT_EQ(Term::big_integer(false, {5, 0, 0}).kind(), Term::Kind::Integer);
  EXPECT_EQ(Term::big_integer(true, {}).as_integer(), 0);
  EXPECT_EQ(Term::big_integer(true, {0, 0, 0, 0, 0, 0, 0, 0x80}).as_integer(), INT64_MIN);
  Term big = Term::big_integer(false, {0, 0, 0, 0, 0, 0, 0, 0x80, 0});
  ASSERT_EQ(big.kind(), Term::Kind::BigInteger);
  EXPECT_EQ(big.as_big_integer().magnitude.size(), 8u);
}

TEST(Term, ListsAreNormalized) {
  Term nested = Term::list({i(1)}, Term::list({i(2), i(3)}, a("t")));
  const List& l = nested.as_list();
  ASSERT_EQ(l.elements.size(), 3u);
  EXPECT_TRUE(l.tail->is_atom("t"));
  EXPECT_TRUE(Term::list({}, a("x")).is_atom("x"));
  EXPECT_TRUE(Term::list({i(1)}).as_list().is_proper());
  EXPECT_EQ(Term::list({i(1)}).as_list().tail->kind(), Term::Kind::Nil);
  EXPECT_EQ(Term::string("ab"), Term::list({i(97), i(98)}));
}

TEST(Term, TermOrderAcrossKinds) {
  // Observed with lists:sort/1 on OTP 25: number < atom < ref < fun < port < pid < tuple < map
  // < [] < list < bitstring, local funs before external ones.
  std::vector<Term> sorted = {
      i(1), a("a"), Term::reference({Atom{"n@h"}, 1, {1, 2, 3}}),
      Term::local_fun(LocalFun{}), Term::export_fun({Atom{"lists"}, Atom{"map"}, 2}),
      Term::port({Atom{"n@h"}, 1, 1}), Term::pid({Atom{"n@h"}, 1, 0, 1}), Term::tuple({}),
      Term::map({}), Term::nil(), Term::list({i(1)}), Term::binary_copy({})};
  for (std::size_t x = 0; x < sorted.size(); ++x)
    for (std::size_t y = 0; y < sorted.size(); ++y)
      EXPECT_EQ(compare(sorted[x], sorted[y]), x <=> y) << x << " vs " << y;
}

TEST(Term, NumbersCompareByValueButAreNotExactlyEqual) {
  EXPECT_EQ(compare(i(1), f(1.0)), std::strong_ordering::equal);
  EXPECT_FALSE(exactly_equal(i(1), f(1.0)));
  EXPECT_TRUE(exactly_equal(f(0.0), f(-0.0)));  // OTP 25: 0.0 =:= -0.0 (observed)
  EXPECT_EQ(compare(i(2), f(1.5)), std::strong_ordering::greater);
  EXPECT_EQ(compare(i(-2), f(-1.5)), std::strong_ordering::less);
  Term two_to_64 = Term::big_integer(false, {0, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(compare(two_to_64, f(18446744073709551616.0)), std::strong_ordering::equal);
  EXPECT_EQ(compare(two_to_64, f(1e19)), std::strong_ordering::greater);
  EXPECT_EQ(compare(two_to_64, f(1e20)), std::strong_ordering::less);
  EXPECT_EQ(compare(two_to_64, f(1e300)), std::strong_ordering::less);
  EXPECT_EQ(compare(Term::big_integer(true, {0, 0, 0, 0, 0, 0, 0, 0, 1}), f(-1e300)),
            std::strong_ordering::greater);
  EXPECT_EQ(compare(i(INT64_MAX), f(9223372036854775808.0)), std::strong_ordering::less);
  EXPECT_EQ(compare(i(INT64_MIN), f(-9223372036854775808.0)), std::strong_ordering::equal);
}

TEST(Term, MapKeyOrderPutsIntegersBeforeFloats) {
  // The order OTP 25 writes small-map keys in (term-format.md §4, observed).
  std::vector<Term> keys = {i(-1), i(1), i(2), f(0.5), f(1.0), a("a"),
                            Term::reference({Atom{"n@h"}, 1, {1}}), Term::pid({Atom{"n@h"}, 1, 0, 1}),
                            Term::tuple({}), Term::tuple({a("t")}), Term::tuple({a("a"), a("b")}),
                            Term::map({}), Term::nil(), Term::string("s"),
                            Term::list({a("x")}), Term::binary_copy(std::vector<std::uint8_t>{'b'})};
  for (std::size_t x = 0; x + 1 < keys.size(); ++x) {
    EXPECT_TRUE(map_key_less(keys[x], keys[x + 1])) << x;
    EXPECT_FALSE(map_key_less(keys[x + 1], keys[x])) << x;
  }
}

TEST(Term, ListsCompareElementWiseThenByTail) {
  EXPECT_EQ(compare(Term::string("ab"), Term::string("abc")), std::strong_ordering::less);
  EXPECT_EQ(compare(Term::list({i(1)}, a("t")), Term::list({i(1), i(2)})),
            std::strong_ordering::less);  // tail 't' (atom) < [2] (list)
  EXPECT_EQ(compare(Term::list({i(1)}, Term::binary_copy({})), Term::list({i(1), i(2)})),
            std::strong_ordering::greater);  // <<>> > [2]
}

TEST(Term, BitstringsCompareBitwise) {
  std::uint8_t one = 0x80;
  Bitstring b{nullptr, &one, 1, 1};  // <<1:1>>
  Term bit = Term::bitstring(b);
  EXPECT_EQ(compare(bit, Term::binary_copy(std::vector<std::uint8_t>{0x80})), std::strong_ordering::less);
  EXPECT_EQ(compare(bit, Term::binary_copy(std::vector<std::uint8_t>{0x7F})), std::strong_ordering::greater);
  EXPECT_FALSE(exactly_equal(bit, Term::binary_copy(std::vector<std::uint8_t>{0x80})));
}

TEST(Term, MapsAreEqualWhateverTheirPairOrder) {
  Term m1 = Term::map({{a("x"), i(1)}, {a("y"), i(2)}});
  Term m2 = Term::map({{a("y"), i(2)}, {a("x"), i(1)}});
  EXPECT_TRUE(exactly_equal(m1, m2));
  EXPECT_FALSE(exactly_equal(m1, Term::map({{a("x"), i(1)}, {a("y"), f(2.0)}})));
  EXPECT_EQ(compare(m1, Term::map({{a("x"), i(1)}, {a("y"), f(2.0)}})), std::strong_ordering::equal);
}

TEST(Term, GetIfSeesBoxedKinds) {
  Term p = Term::pid({Atom{"n@h"}, 7, 0, 1});
  ASSERT_NE(p.get_if<Pid>(), nullptr);
  EXPECT_EQ(p.get_if<Pid>()->id, 7u);
  EXPECT_EQ(p.get_if<Port>(), nullptr);
  Term copy = p;
  EXPECT_EQ(copy, p);
}

std::vector<Term> one(Term t) {  // no initializer_list: that would copy (deeply) instead of move
  std::vector<Term> v;
  v.push_back(std::move(t));
  return v;
}

TEST(Term, DeepTermsAreDestroyedComparedAndCopiedWithoutRecursion) {
  constexpr int kDepth = 100'000;
  auto build = [] {
    Term t = Term::nil();
    for (int d = 0; d < kDepth; ++d) t = Term::tuple(one(std::move(t)));
    return t;
  };
  Term x = build(), y = build();
  EXPECT_TRUE(exactly_equal(x, y));
  EXPECT_EQ(compare(x, y), std::strong_ordering::equal);
  Term lists = Term::nil();
  for (int d = 0; d < kDepth; ++d) lists = Term::list(one(std::move(lists)), a("t"));
  Term maps = Term::nil();
  for (int d = 0; d < kDepth; ++d) {
    std::vector<std::pair<Term, Term>> pairs;
    pairs.emplace_back(i(d), std::move(maps));
    maps = Term::map(std::move(pairs));
  }
  Term funs = Term::nil();  // closures holding closures
  for (int d = 0; d < kDepth; ++d) {
    LocalFun fun;
    fun.module = Atom{"m"};
    fun.free_vars = one(std::move(funs));
    funs = Term::local_fun(std::move(fun));
  }
  Term tails = Term::nil();  // improper lists nested through their tails
  for (int d = 0; d < kDepth; ++d) tails = Term::list(one(i(d)), Term::tuple(one(std::move(tails))));
  // Copies (construction and assignment) of each shape, past the recursive copy depth.
  for (const Term* deep : {&x, &lists, &maps, &funs, &tails}) {
    Term copy = *deep;
    EXPECT_TRUE(exactly_equal(copy, *deep));
    Term assigned = a("before");
    assigned = *deep;
    EXPECT_TRUE(exactly_equal(assigned, *deep));
  }
  // A copy is independent of its source: destroying the source leaves the copy whole.
  Term survivor = [&] {
    Term source = build();
    return Term(source);
  }();
  EXPECT_TRUE(exactly_equal(survivor, y));
}

}  // namespace
}  // namespace distspec::etf
