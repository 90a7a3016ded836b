// format(): expected texts are what OTP 25 `io:format("~w", [T])` printed for the same terms
// (text_beam_test.cpp checks the printer against a live erl on generated terms).
#include <gtest/gtest.h>

#include <pthread.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "distspec/etf/text.hpp"

namespace distspec::etf {
namespace {

using namespace std::string_literals;

Term atom_of_code_points(std::u32string chars) {
  std::string utf8;
  for (char32_t c : chars) {
    if (c < 0x80) utf8 += char(c);
    else if (c < 0x800) utf8 += char(0xC0 | (c >> 6)), utf8 += char(0x80 | (c & 0x3F));
    else utf8 += char(0xE0 | (c >> 12)), utf8 += char(0x80 | ((c >> 6) & 0x3F)),
         utf8 += char(0x80 | (c & 0x3F));
  }
  return Term::atom(utf8);
}

Term bits(std::vector<std::uint8_t> bytes, std::uint8_t bits_in_last_byte) {
  auto storage = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
  Bitstring b{storage, storage->data(), storage->size(), bits_in_last_byte};
  return Term::bitstring(b);
}

TEST(TextFormat, Integers) {
  EXPECT_EQ(format(Term::integer(0)), "0");
  EXPECT_EQ(format(Term::integer(-5)), "-5");
  EXPECT_EQ(format(Term::integer(std::numeric_limits<std::int64_t>::min())),
            "-9223372036854775808");
  EXPECT_EQ(format(Term::big_integer(false, {0, 0, 0, 0, 0, 0, 0, 0, 1})), "18446744073709551616");
  // 12345678901234567890123 = 0x29D42B64E76714244CB
  EXPECT_EQ(format(Term::big_integer(true, {0xCB, 0x44, 0x42, 0x71, 0x76, 0x4E, 0xB6, 0x42, 0x9D,
                                            0x02})),
            "-12345678901234567890123");
}

TEST(TextFormat, FloatsUseOtpShortestForm) {
  struct Case { double value; const char* text; };
  const Case cases[] = {
      {0.0, "0.0"}, {-0.0, "-0.0"}, {1.0, "1.0"}, {0.1, "0.1"}, {10.0, "10.0"},
      {100.0, "100.0"}, {1000.0, "1.0e3"}, {1.0e20, "1.0e20"}, {1.0e23, "1.0e23"},
      {1.0e-4, "0.0001"}, {1.0e-5, "1.0e-5"}, {0.0015, "0.0015"}, {1.5e-4, "1.5e-4"},
      {150.0, "150.0"}, {1500.0, "1.5e3"}, {0.15000000000000002, "0.15000000000000002"},
      {123456.789, "123456.789"}, {1234567.0, "1234567.0"}, {1.23e6, "1.23e6"},
      {1234567890123456.0, "1234567890123456.0"}, {12345678901234567.0, "1.2345678901234568e16"},
      {9007199254740992.0, "9.007199254740992e15"}, {1.0e15, "1.0e15"}, {3.14e-5, "3.14e-5"},
      {5.0e-324, "5.0e-324"}, {1.7976931348623157e308, "1.7976931348623157e308"},
      {2.2250738585072014e-308, "2.2250738585072014e-308"}, {-2.5, "-2.5"},
      {1.0000000000000001e23, "1.0000000000000001e23"}};
  for (const auto& c : cases) EXPECT_EQ(format(Term::float_(c.value)), c.text) << c.text;
}

TEST(TextFormat, AtomsQuotedOnlyWhenNeeded) {
  EXPECT_EQ(format(Term::atom("ok")), "ok");
  EXPECT_EQ(format(Term::atom("a@b")), "a@b");
  EXPECT_EQ(format(Term::atom("ab1_@Z")), "ab1_@Z");
  EXPECT_EQ(format(Term::atom("maybe")), "maybe");  // not a keyword in OTP 25 by default
  EXPECT_EQ(format(Term::atom("fun")), "'fun'");
  EXPECT_EQ(format(Term::atom("")), "''");
  EXPECT_EQ(format(Term::atom("_a")), "'_a'");
  EXPECT_EQ(format(Term::atom("Abc")), "'Abc'");
  EXPECT_EQ(format(Term::atom("a b")), "'a b'");
  EXPECT_EQ(format(Term::atom("a.b")), "'a.b'");
  EXPECT_EQ(format(Term::atom("don't")), "'don\\'t'");
  EXPECT_EQ(format(Term::atom("\n")), "'\\n'");
}

TEST(TextFormat, Latin1AndUnicodeAtoms) {
  EXPECT_EQ(format(Term::atom("\xC3\xA4")), "\xE4");            // 'ä' unquoted, one Latin-1 byte
  EXPECT_EQ(format(Term::atom("a\xC3\x80")), "a\xC0");          // À may follow
  EXPECT_EQ(format(Term::atom("\xC3\x80")), "'\xC0'");          // ... but not start
  EXPECT_EQ(format(Term::atom("\xC3\xB7")), "'\xF7'");          // ÷ is not a letter
  EXPECT_EQ(format(Term::atom("\xCE\xBB")), "'\\x{3BB}'");      // λ escaped, quoted
  EXPECT_EQ(format(Term::atom("a\xCE\xBB")), "'a\\x{3BB}'");
  // list_to_atom([0,127,128,159,160,215,223,247,255,256,27,8,92,39,34])
  EXPECT_EQ(format(atom_of_code_points(U"\u0000\u007F\u0080\u009F\u00A0\u00D7\u00DF\u00F7\u00FF"
                                       U"\u0100\u001B\u0008\\'\""s)),
            "'\\000\\d\\200\\237\xA0\xD7\xDF\xF7\xFF\\x{100}\\e\\b\\\\\\'\"'");
}

TEST(TextFormat, ListsAreNeverStrings) {
  EXPECT_EQ(format(Term::nil()), "[]");
  EXPECT_EQ(format(Term::string("ab")), "[97,98]");
  EXPECT_EQ(format(Term::list({Term::atom("a")}, Term::atom("b"))), "[a|b]");
  EXPECT_EQ(format(Term::list({Term::nil()})), "[[]]");
  // A tail that is itself a list continues the list, as [1|[2]] is [1,2].
  Term tail = Term::list({Term::integer(2)}, Term::integer(3));
  EXPECT_EQ(format(Term::list({Term::integer(1)}, tail)),
            "[1,2|3]");
}

TEST(TextFormat, TuplesAndBinaries) {
  EXPECT_EQ(format(Term::tuple({})), "{}");
  EXPECT_EQ(format(Term::tuple({Term::atom("a"), Term::tuple({Term::integer(1)})})), "{a,{1}}");
  EXPECT_EQ(format(Term::binary_copy(std::vector<std::uint8_t>{})), "<<>>");
  EXPECT_EQ(format(Term::binary_copy(std::vector<std::uint8_t>{97, 98, 99})), "<<97,98,99>>");
  EXPECT_EQ(format(bits({0x20}, 3)), "<<1:3>>");
  EXPECT_EQ(format(bits({255, 0x20}, 3)), "<<255,1:3>>");
  EXPECT_EQ(format(bits({0}, 7)), "<<0:7>>");
  EXPECT_EQ(format(bits({1, 2, 0xC0}, 2)), "<<1,2,3:2>>");
}

TEST(TextFormat, SmallMapsPrintInMapKeyOrder) {
  Term m = Term::map({{Term::atom("b"), Term::integer(1)},
                      {Term::atom("a"), Term::integer(2)},
                      {Term::integer(1), Term::atom("x")},
                      {Term::float_(1.0), Term::atom("y")}});
  EXPECT_EQ(format(m), "#{1 => x,1.0 => y,a => 2,b => 1}");
  EXPECT_EQ(format(Term::map({})), "#{}");
}

TEST(TextFormat, LargeMapsPrintHeldPairsReversed) {
  // BEAM's ~w walks a hash map in the reverse of term_to_binary's order; a decoded map holds
  // term_to_binary's order.
  std::vector<std::pair<Term, Term>> pairs;
  std::string expected = "#{";
  for (int i = 1; i <= 33; ++i) pairs.emplace_back(Term::integer(i), Term::nil());
  for (int i = 33; i >= 1; --i) expected += std::to_string(i) + " => []" + (i > 1 ? "," : "}");
  EXPECT_EQ(format(Term::map(pairs)), expected);
}

TEST(TextFormat, NodeContainersAndFuns) {
  EXPECT_EQ(format(Term::pid(Pid{Atom{"nonode@nohost"}, 80, 0, 0})),
            "#Pid<'nonode@nohost'.80.0.0>");
  EXPECT_EQ(format(Term::port(Port{Atom{"a@b"}, 1ull << 40, 3})), "#Port<'a@b'.1099511627776.3>");
  EXPECT_EQ(format(Term::reference(Reference{Atom{"n"}, 7, {1, 2, 3}})), "#Ref<'n'.7.1.2.3>");
  EXPECT_EQ(format(Term::export_fun(ExportFun{Atom{"lists"}, Atom{"map"}, 2})), "fun lists:map/2");
  EXPECT_EQ(format(Term::export_fun(ExportFun{Atom{"A"}, Atom{"b c"}, 1})), "fun 'A':'b c'/1");
  LocalFun f;
  f.module = Atom{"erl_eval"};
  f.old_index = 6;
  f.old_uniq = -3316493;
  f.index = 42;
  f.arity = 1;
  f.uniq[0] = 0xAB;
  f.uniq[15] = 0x01;
  f.pid = std::make_shared<const Term>(Term::pid(Pid{Atom{"nonode@nohost"}, 80, 0, 0}));
  f.free_vars = {Term::integer(1), Term::atom("x")};
  EXPECT_EQ(format(Term::local_fun(f)),
            "#Fun<'erl_eval'.6.-3316493.42.1.16#AB000000000000000000000000000001,"
            "#Pid<'nonode@nohost'.80.0.0>,[1,x]>");
}

// format() runs on a 256 KiB stack, where printing 20 000 nested tuples recursively would overflow.
TEST(TextFormat, DeepNestingDoesNotRecurse) {
  constexpr int kDepth = 20'000;
  Term t = Term::integer(0);
  for (int i = 0; i < kDepth; ++i) {
    std::vector<Term> one;
    one.push_back(std::move(t));
    t = Term::tuple(std::move(one));
  }
  struct Job {
    const Term* term;
    std::string text;
  } job{&t, {}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, [](void* p) -> void* {
              auto* j = static_cast<Job*>(p);
              j->text = format(*j->term);
              return nullptr;
            }, &job), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(job.text.size(), std::size_t(kDepth) * 2 + 1);
  EXPECT_EQ(job.text.substr(kDepth - 1, 3), "{0}");
}

}  // namespace
}  // namespace distspec::etf
