// The tape (decode_tape, TermRef): its accessors on hand-made inputs, and on random terms and
// their mutations the same verdict and offset as validate(), and a view that reads as the term.
#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <random>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/tape.hpp"
#include "distspec/etf/text.hpp"
#include "support/random_term.hpp"

namespace distspec::etf {
namespace {

using testing::seed_for;

using Bytes = std::vector<std::uint8_t>;

TermTape tape_of(const Bytes& b, const DecodeOptions& o = {}) {
  auto r = decode_tape(b, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : to_string(r.error().code));
  return r.ok() ? std::move(r.value()) : TermTape();
}

// Does the view read, through its accessors alone, as `t`? (Independent of to_term.)
bool matches(TermRef v, const Term& t) {
  if (v.kind() != t.kind()) return false;
  switch (t.kind()) {
    case Term::Kind::Integer: return v.integer() == t.as_integer();
    case Term::Kind::BigInteger: {
      auto m = v.big_magnitude();
      return v.big_negative() == t.as_big_integer().negative &&
             Bytes(m.begin(), m.end()) == t.as_big_integer().magnitude;
    }
    case Term::Kind::Float: return v.float_value() == t.as_float();
    case Term::Kind::Atom: return v.atom_name() == t.as_atom().name;
    case Term::Kind::Nil: return true;
    case Term::Kind::Bitstring: {
      auto b = v.bytes();
      const Bitstring& x = t.as_bitstring();
      return Bytes(b.begin(), b.end()) == Bytes(x.bytes().begin(), x.bytes().end()) &&
             (x.is_binary() ? v.bits_in_last_byte() == 8 || b.empty()
                            : v.bits_in_last_byte() == x.bits_in_last_byte);
    }
    case Term::Kind::Pid: {
      PidView p = v.pid();
      return Pid{Atom{std::string(p.node)}, p.id, p.serial, p.creation} == t.as_pid();
    }
    case Term::Kind::Port: {
      PortView p = v.port();
      return Port{Atom{std::string(p.node)}, p.id, p.creation} == t.as_port();
    }
    case Term::Kind::Reference: {
      ReferenceView r = v.reference();
      ReferenceIds ids;
      for (std::size_t i = 0; i < r.word_count; ++i) ids.push_back(r.word(i));
      return Reference{Atom{std::string(r.node)}, r.creation, ids} == t.as_reference();
    }
    case Term::Kind::ExportFun: {
      ExportFunView f = v.export_fun();
      const ExportFun& g = t.as_export_fun();
      return f.module == g.module.name && f.function == g.function.name && f.arity == g.arity;
    }
    case Term::Kind::LocalFun: {
      const LocalFun& f = t.as_local_fun();
      if (v.fun_arity() != f.arity || v.fun_index() != f.index || v.fun_module() != f.module.name ||
          v.fun_old_index() != f.old_index || v.fun_old_uniq() != f.old_uniq ||
          !std::equal(f.uniq.begin(), f.uniq.end(), v.fun_uniq().begin()) ||
          !matches(v.fun_pid(), *f.pid) || v.free_var_count() != f.free_vars.size())
        return false;
      std::size_t i = 0;
      for (TermRef c : v.children())
        if (!matches(c, f.free_vars[i++])) return false;
      return i == f.free_vars.size();
    }
    case Term::Kind::Tuple: {
      const auto& e = t.as_tuple().elements;
      if (v.arity() != e.size()) return false;
      std::size_t i = 0;
      for (TermRef c : v.children())
        if (!matches(c, e[i++])) return false;
      return i == e.size() && (e.empty() || matches(v.element(e.size() - 1), e.back()));
    }
    case Term::Kind::Map: {
      const auto& pairs = t.as_map().pairs;
      if (v.map_size() != pairs.size()) return false;
      std::size_t i = 0;
      for (TermRef c : v.children()) {
        const auto& pair = pairs[i / 2];
        if (!matches(c, i % 2 == 0 ? pair.first : pair.second)) return false;
        ++i;
      }
      return i == 2 * pairs.size();
    }
    case Term::Kind::List: {
      const List& l = t.as_list();
      std::size_t i = 0;
      for (TermRef c : v.list_elements()) {
        if (i >= l.elements.size() || !matches(c, l.elements[i])) return false;
        ++i;
      }
      return i == l.elements.size() && matches(v.list_tail(), *l.tail);
    }
  }
  return false;
}

TEST(Tape, LeavesReadInPlace) {
  Bytes b{131, 104, 6, 97, 7, 110, 9, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 70, 63, 240, 0, 0, 0, 0, 0, 0,
          100, 0, 2, 0xE4, 'b', 109, 0, 0, 0, 2, 'h', 'i', 77, 0, 0, 0, 1, 3, 0xFF};
  TermTape tape = tape_of(b);
  TermRef t = tape.root();
  ASSERT_EQ(t.kind(), Term::Kind::Tuple);
  EXPECT_EQ(t.element(0).integer(), 7);
  EXPECT_TRUE(t.element(1).big_negative());
  EXPECT_EQ(t.element(1).big_magnitude().size(), 9u);
  EXPECT_EQ(t.element(1).big_magnitude().data(), b.data() + 8);  // a view into the input
  EXPECT_EQ(t.element(2).float_value(), 1.0);
  EXPECT_EQ(t.element(3).atom_name(), "\xC3\xA4" "b");  // Latin-1 converted to UTF-8
  EXPECT_EQ(t.element(4).bytes().data(), b.data() + 36);
  EXPECT_EQ(t.element(5).bits_in_last_byte(), 3);
  EXPECT_EQ(t.element(5).bytes()[0], 0xE0);  // the unused bits are held as zero
  EXPECT_EQ(tape.used(), b.size());
  EXPECT_EQ(t.to_term(), decode(b)->term);
}

TEST(Tape, ByteListsStayOneEntryAndIterateAsIntegers) {
  // [1 | "ab"] as LIST_EXT with a STRING_EXT tail: [1,97,98], proper.
  Bytes b{131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 2, 'a', 'b'};
  TermTape tape = tape_of(b);
  EXPECT_EQ(tape.entries().size(), 3u);
  std::vector<std::int64_t> seen;
  for (TermRef e : tape.root().list_elements()) seen.push_back(e.integer());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 97, 98}));
  EXPECT_EQ(tape.root().list_tail().kind(), Term::Kind::Nil);
  TermTape big = tape_of([] {
    Bytes s{131, 107, 16, 0};
    s.resize(4 + 4096, 'x');
    return s;
  }());
  EXPECT_EQ(big.entries().size(), 1u);
  EXPECT_TRUE(big.root().is_byte_list());
  EXPECT_EQ(big.root().byte_list().size(), 4096u);
  // Improper: [1 | 2].
  TermTape improper = tape_of({131, 108, 0, 0, 0, 1, 97, 1, 97, 2});
  EXPECT_EQ(improper.root().list_tail().integer(), 2);
}

TEST(Tape, NodeContainersAndFuns) {
  Term pid = Term::pid(Pid{Atom{"n@h"}, 1, 2, 3});
  Term fun = Term::local_fun(LocalFun{2, {1, 2, 3}, 7, Atom{"m"}, -1, 5,
                                      std::make_shared<const Term>(pid), {Term::integer(4), pid}});
  Term t = Term::tuple({pid, Term::port(Port{Atom{"n@h"}, std::uint64_t(1) << 40, 9}),
                        Term::reference(Reference{Atom{"n@h"}, 4, {1, 2, 3}}),
                        Term::export_fun(ExportFun{Atom{"lists"}, Atom{"map"}, 2}), fun});
  Bytes b = encode(t);
  TermTape tape = tape_of(b);
  EXPECT_TRUE(matches(tape.root(), t));
  EXPECT_EQ(tape.root().to_term(), t);
  EXPECT_EQ(tape.root().element(2).reference().word(2), 3u);
}

TEST(Tape, ErrorsAreDecodesErrors) {
  const std::vector<Bytes> bad = {
      {}, {130}, {131}, {131, 104, 2, 97, 1}, {131, 116, 0, 0, 0, 2, 97, 1, 106, 97, 1, 106},
      {131, 108, 0xff, 0xff, 0xff, 0xff, 106}, {131, 70, 127, 240, 0, 0, 0, 0, 0, 0},
      {131, 77, 0, 0, 0, 1, 0, 1}, {131, 200}, {131, 82, 1},
  };
  for (const Bytes& b : bad) {
    auto t = decode_tape(b);
    auto v = validate(b);
    ASSERT_FALSE(t.ok());
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(t.error().code, v.error().code);
    EXPECT_EQ(t.error().offset, v.error().offset);
  }
}

// The builder reads runs of same-tag siblings (small integers, integers, floats, binaries) in a
// loop of their own: the values, and every cut and every bad element inside a run, must come out
// as elsewhere (validate() is the separate implementation compared against).
TEST(Tape, RunsOfSameTagSiblings) {
  std::vector<Term> small, ints, floats, bins;
  for (int i = 0; i < 6; ++i) {
    small.push_back(Term::integer(i * 40));
    ints.push_back(Term::integer(1000 * (i - 3)));
    floats.push_back(Term::float_(i + 0.5));
    bins.push_back(Term::binary_copy(Bytes(std::size_t(i), std::uint8_t(i))));
  }
  small.push_back(Term::float_(1.0));  // a run that ends before the compound does
  const std::vector<Term> terms = {
      Term::list(small), Term::tuple(ints), Term::list(floats), Term::tuple(bins),
      Term::list(ints, Term::integer(7)), Term::map({{Term::integer(1), Term::integer(2)}}),
  };
  auto agree = [](const Bytes& b) {
    auto t = decode_tape(b);
    auto v = validate(b);
    ASSERT_EQ(t.ok(), v.ok());
    if (!t.ok()) {
      EXPECT_EQ(t.error().code, v.error().code);
      EXPECT_EQ(t.error().offset, v.error().offset);
    }
  };
  for (const Term& t : terms) {
    const Bytes b = encode(t);
    EXPECT_EQ(tape_of(b).root().to_term(), t) << format(t);
    for (std::size_t cut = 0; cut < b.size(); ++cut) agree(Bytes(b.begin(), b.begin() + std::ptrdiff_t(cut)));
  }
  // A bad float in each place of a run (a NaN), and a binary whose length runs past the end.
  const Bytes fb = encode(Term::list(floats));
  for (std::size_t at = 6; at + 9 < fb.size(); at += 9) {
    Bytes bad = fb;
    bad[at + 1] = 0x7f;
    bad[at + 2] = 0xf8;
    agree(bad);
    EXPECT_FALSE(decode_tape(bad).ok());
  }
  Bytes bb = encode(Term::tuple(bins));
  for (std::size_t at = 3; at < bb.size(); at += 5 + bb[at + 4]) {
    Bytes bad = bb;
    bad[at + 1] = 0x7f;
    agree(bad);
  }
}

// Pids, ports and references naming the node read just before reuse its reading (a fast path of
// the builder): the values, and every cut and every flipped byte (in the node, the word count,
// the fields), must come out as validate() (a separate implementation) has them.
// Every prefix of `b`, and `b` with each byte (after the 131) flipped in a few ways: the tape's
// verdict, error code and offset (or bytes used) are validate()'s.
void expect_cuts_and_flips_agree_with_validate(const Bytes& b, const DecodeOptions& options) {
  auto agree = [&](const Bytes& in) {
    auto tape = decode_tape(in, options);
    auto v = validate(in, options);
    ASSERT_EQ(tape.ok(), v.ok());
    if (!tape.ok()) {
      EXPECT_EQ(tape.error().code, v.error().code);
      EXPECT_EQ(tape.error().offset, v.error().offset);
    } else {
      EXPECT_EQ(tape.value().used(), v.value());
    }
  };
  for (std::size_t cut = 0; cut < b.size(); ++cut) agree(Bytes(b.begin(), b.begin() + std::ptrdiff_t(cut)));
  for (std::size_t at = 1; at < b.size(); ++at)
    for (std::uint8_t flip : {0x01, 0x04, 0x06, 0x80, 0xFF}) {
      Bytes bad = b;
      bad[at] ^= flip;
      agree(bad);
    }
}

TEST(Tape, NodeContainersOfTheSameNode) {
  const Atom node{"distspec_corpus@somehost"}, other{"b@h"};
  const Term t = Term::list({
      Term::pid({node, 1, 2, 3}), Term::reference({node, 4, {5, 6, 7}}), Term::port({node, 8, 9}),
      Term::port({node, std::uint64_t(1) << 40, 9}), Term::reference({node, 4, {5, 6, 7, 8, 9}}),
      Term::pid({other, 1, 2, 3}), Term::pid({node, 1, 2, 3}), Term::reference({node, 1, {2}}),
  });
  const Bytes b = encode(t);
  EXPECT_EQ(tape_of(b).root().to_term(), t);
  expect_cuts_and_flips_agree_with_validate(b, {});
}

TEST(Tape, DeepNestingWithoutRecursion) {
  constexpr std::size_t kDepth = 100'000;
  Bytes b{131};
  for (std::size_t d = 0; d < kDepth; ++d) b.insert(b.end(), {104, 1});
  b.push_back(106);
  TermTape tape = tape_of(b);
  EXPECT_EQ(tape.entries().size(), kDepth + 1);
  EXPECT_EQ(tape.root().to_term(), decode(b)->term);
  DecodeOptions shallow;
  shallow.max_depth = 1000;
  EXPECT_EQ(decode_tape(b, shallow).error().code, DecodeErrorCode::TooDeep);
}

TEST(Tape, CompressedBinariesViewTheInflatedBytes) {
  Term t = Term::tuple({Term::binary_copy(Bytes(300, 7)), Term::atom("x")});
  EncodeOptions z;
  z.compression_level = 6;
  Bytes b = encode(t, z);
  ASSERT_EQ(b[1], 80);
  TermTape tape = tape_of(b);
  TermTape moved = std::move(tape);
  EXPECT_TRUE(matches(moved.root(), t));
  DecodeOptions views;
  views.binary_views = true;
  Term viewed = moved.root().to_term(true);
  moved = TermTape();  // the view keeps the inflated bytes alive
  EXPECT_EQ(viewed, t);
}

// Random terms (with pids, ports, refs and funs), their encodings and mutations: the tape, reused
// across inputs, agrees with validate() (a separate implementation) on verdict, offset and bytes
// used, reads as the term through its accessors, and to_term() gives the term back.
// After a distribution header atoms and node names arrive as ATOM_CACHE_REFs, which the builder
// reads in its hot loop (a term's first node too): the same term as encoded, and on every cut and
// byte flip the verdict and offset of validate(), which reads them on its own path.
TEST(Tape, CachedAtomsAndNodes) {
  const std::vector<Atom> cache{Atom{"distspec_caller@somehost"}, Atom{"b@h"}, Atom{"alias"},
                                Atom{"$gen_call"}};
  const Atom& node = cache[0];
  const Atom& other = cache[1];
  const Term t = Term::tuple({
      Term::atom(cache[3]),
      Term::tuple({Term::pid({node, 1, 2, 3}),
                   Term::list({Term::atom(cache[2])}, Term::reference({node, 4, {5, 6, 7}}))}),
      Term::pid({other, 1, 2, 3}), Term::reference({other, 1, {2}}), Term::port({node, 8, 9}),
      Term::atom("not_cached"),
  });
  EncodeOptions encode_options;
  encode_options.utf8_atoms = true;
  encode_options.atom_cache_index = [&](const Atom& a) -> std::optional<std::uint8_t> {
    for (std::size_t i = 0; i < cache.size(); ++i)
      if (cache[i] == a) return std::uint8_t(i);
    return std::nullopt;
  };
  const Bytes b = encode(t, encode_options);
  ASSERT_EQ(std::count(b.begin(), b.end(), std::uint8_t(82)), 7);  // every cached atom by reference
  AtomCacheView view{[&](std::uint8_t index) { return index < cache.size() ? &cache[index] : nullptr; }};
  DecodeOptions options;
  options.atom_cache = &view;
  EXPECT_EQ(tape_of(b, options).root().to_term(), t);
  expect_cuts_and_flips_agree_with_validate(b, options);
}

TEST(Tape, RandomTermsAndMutationsAgreeWithValidate) {
  const std::uint64_t seed = seed_for("Tape.Random");
  std::mt19937_64 rng(seed);
  testing::RandomTermOptions options;
  Term pid = Term::pid(Pid{Atom{"distspec@host"}, 80, 0, 1700000000});
  options.special_leaves = {
      pid, Term::port(Port{Atom{"a@b"}, 5, 2}), Term::reference(Reference{Atom{"a@b"}, 3, {1, 2, 3}}),
      Term::export_fun(ExportFun{Atom{"m"}, Atom{"f"}, 1}),
      Term::local_fun(LocalFun{1, {}, 3, Atom{"m"}, 0, 1, std::make_shared<const Term>(pid), {Term::integer(1)}})};
  testing::RandomTerms gen(seed, options);
  TermTape reused;
  std::size_t rejected = 0;
  for (int i = 0; i < 1500 && !HasFailure(); ++i) {
    Term t = gen.next();
    Bytes b = encode(t);
    auto r = decode_tape_into(reused, b, {});
    ASSERT_TRUE(r.ok()) << "term #" << i;
    EXPECT_EQ(r.value(), b.size());
    // (The encoder sorts small maps, so the pairs are compared in the order decoded.)
    Term decoded = reused.root().to_term();
    EXPECT_EQ(decoded, t) << "term #" << i;
    EXPECT_TRUE(matches(reused.root(), decoded)) << "term #" << i << ": " << format(t);
    for (int m = 0; m < 4; ++m) {
      Bytes x = b;
      switch (rng() % 3) {
        case 0: x[rng() % x.size()] = std::uint8_t(rng()); break;
        case 1: x.resize(rng() % x.size()); break;
        default: x.insert(x.begin() + std::ptrdiff_t(1 + rng() % (x.size() - 1)), std::uint8_t(rng())); break;
      }
      auto tv = decode_tape_into(reused, x, {});
      auto v = validate(x);
      ASSERT_EQ(tv.ok(), v.ok()) << "term #" << i << " mutation " << m;
      if (!v.ok()) {
        ++rejected;
        EXPECT_EQ(tv.error().code, v.error().code) << "term #" << i << " mutation " << m;
        EXPECT_EQ(tv.error().offset, v.error().offset) << "term #" << i << " mutation " << m;
      } else {
        EXPECT_EQ(tv.value(), v.value());
        auto d = decode(x);
        ASSERT_TRUE(d.ok());
        EXPECT_TRUE(matches(reused.root(), d->term)) << "term #" << i << " mutation " << m;
      }
    }
  }
  EXPECT_GT(rejected, 50u);  // the mutations do reach the error paths
}

}  // namespace
}  // namespace distspec::etf
