// parse(): Erlang term syntax, errors with positions, and the parse(format(t)) == t fixed point.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "distspec/etf/text.hpp"
#include "support/random_term.hpp"

namespace distspec::etf {
namespace {

Term parsed(std::string_view text, TextEncoding encoding = TextEncoding::Auto) {
  auto r = parse(text, encoding);
  if (!r.ok()) {
    ADD_FAILURE() << "parse(" << text << ") failed at " << r.error().line << ":"
                  << r.error().column << ": " << r.error().message;
    return Term::atom("<parse failed>");
  }
  return r.value();
}

// The parsed term, printed: the shortest way to state what a text means.
std::string reprint(std::string_view text) { return format(parsed(text)); }

ParseError error_of(std::string_view text) {
  auto r = parse(text);
  if (r.ok()) {
    ADD_FAILURE() << "parse(" << text << ") accepted: " << format(r.value());
    return {};
  }
  return r.error();
}

std::vector<std::uint8_t> bytes_of(const Term& t) {
  auto s = t.as_bitstring().bytes();
  return {s.begin(), s.end()};
}

TEST(TextParse, Integers) {
  EXPECT_EQ(parsed("42").as_integer(), 42);
  EXPECT_EQ(parsed("-42").as_integer(), -42);
  EXPECT_EQ(parsed("- 42").as_integer(), -42);
  EXPECT_EQ(parsed("+7").as_integer(), 7);
  EXPECT_EQ(parsed("16#ff").as_integer(), 255);
  EXPECT_EQ(parsed("-16#FF").as_integer(), -255);
  EXPECT_EQ(parsed("2#101").as_integer(), 5);
  EXPECT_EQ(parsed("36#zz").as_integer(), 36 * 36 - 1);
  EXPECT_EQ(parsed("1_000_000").as_integer(), 1000000);
  EXPECT_EQ(parsed("$a").as_integer(), 97);
  EXPECT_EQ(parsed("$\\n").as_integer(), 10);
  EXPECT_EQ(parsed("$\\s").as_integer(), 32);
  EXPECT_EQ(parsed("$ ").as_integer(), 32);
  EXPECT_EQ(parsed("$\\^a").as_integer(), 1);
  EXPECT_EQ(parsed("$\\x{3bb}").as_integer(), 0x3BB);
  EXPECT_EQ(parsed("$\xCE\xBB").as_integer(), 0x3BB);  // $λ in UTF-8
  EXPECT_EQ(parsed("-$a").as_integer(), -97);
  EXPECT_EQ(reprint("12345678901234567890123"), "12345678901234567890123");
  EXPECT_EQ(reprint("-16#FFFFFFFFFFFFFFFFFFFF"), "-1208925819614629174706175");
  EXPECT_EQ(reprint("9223372036854775808"), "9223372036854775808");  // one past int64
  EXPECT_EQ(parsed("-9223372036854775808").as_integer(), INT64_MIN);
  std::string many_nines(5000, '9');
  EXPECT_EQ(reprint(many_nines), many_nines);
}

TEST(TextParse, Floats) {
  EXPECT_EQ(parsed("1.0").as_float(), 1.0);
  EXPECT_EQ(parsed("1.5e-3").as_float(), 1.5e-3);
  EXPECT_EQ(parsed("1.0E+3").as_float(), 1000.0);
  EXPECT_EQ(parsed("2.5e-323").as_float(), 2.5e-323);
  EXPECT_TRUE(std::signbit(parsed("-0.0").as_float()));
  EXPECT_EQ(parsed("1.0e-400").as_float(), 0.0);  // underflow reads as 0.0, as in erl
  EXPECT_EQ(error_of("1.0e400").message, "float out of range");
}

TEST(TextParse, Atoms) {
  EXPECT_TRUE(parsed("abc").is_atom("abc"));
  EXPECT_TRUE(parsed("a@b_1").is_atom("a@b_1"));
  EXPECT_TRUE(parsed("'A b'").is_atom("A b"));
  EXPECT_TRUE(parsed("''").is_atom(""));
  EXPECT_TRUE(parsed("'it\\'s'").is_atom("it's"));
  EXPECT_TRUE(parsed("'\\x{3BB}'").is_atom("\xCE\xBB"));
  EXPECT_TRUE(parsed("'\\101\\x42\\e'").is_atom("AB\x1B"));
  EXPECT_TRUE(parsed("'fun'").is_atom("fun"));
  EXPECT_TRUE(parsed("maybe").is_atom("maybe"));
  EXPECT_TRUE(parsed("\xC3\xA4x").is_atom("\xC3\xA4x"));  // äx typed in UTF-8
  EXPECT_TRUE(parsed("\xE4x").is_atom("\xC3\xA4x"));      // äx in Latin-1 (not valid UTF-8)
  EXPECT_TRUE(parsed("'\xC3\xA4'", TextEncoding::Latin1).is_atom("\xC3\x83\xC2\xA4"));
  EXPECT_TRUE(parsed(std::string(255, 'a')).is_atom(std::string(255, 'a')));
  EXPECT_EQ(error_of(std::string(256, 'a')).message, "atom longer than 255 characters");
  EXPECT_NE(error_of("case").message.find("reserved word"), std::string::npos);
  EXPECT_NE(error_of("Abc").message.find("variable"), std::string::npos);
}

TEST(TextParse, StringsAndLists) {
  EXPECT_EQ(reprint("\"ab\""), "[97,98]");
  EXPECT_EQ(reprint("\"a\" \"b\""), "[97,98]");
  EXPECT_EQ(reprint("\"\""), "[]");
  EXPECT_EQ(reprint("\"\xCE\xBB\\n\""), "[955,10]");
  EXPECT_EQ(reprint("[1, 2 | 3]"), "[1,2|3]");
  EXPECT_EQ(reprint("[a|[]]"), "[a]");
  EXPECT_EQ(reprint("[a|[b]]"), "[a,b]");
  EXPECT_EQ(reprint("[ ]"), "[]");
  EXPECT_EQ(reprint("{ }"), "{}");
  EXPECT_EQ(reprint("{a, {b}, [c]}"), "{a,{b},[c]}");
}

TEST(TextParse, Maps) {
  EXPECT_EQ(reprint("#{}"), "#{}");
  EXPECT_EQ(reprint("#{b => 1, a => 2, 1.0 => x, 1 => y}"), "#{1 => y,1.0 => x,a => 2,b => 1}");
  EXPECT_EQ(reprint("#{a => 1, a => 2}"), "#{a => 2}");  // the last value wins, as in Erlang
  EXPECT_EQ(parsed("#{a => 1, b => 2, a => 3}").as_map().pairs.size(), 2u);
  EXPECT_EQ(reprint("#{0.0 => a, -0.0 => b}"), "#{0.0 => b}");  // one key in OTP 25, as erl prints
}

TEST(TextParse, Binaries) {
  using B = std::vector<std::uint8_t>;
  EXPECT_EQ(bytes_of(parsed("<<>>")), B{});
  EXPECT_EQ(bytes_of(parsed("<<1,2,256,-1>>")), (B{1, 2, 0, 255}));
  EXPECT_EQ(bytes_of(parsed("<<\"abc\">>")), (B{97, 98, 99}));
  // Empty string segments add nothing (found by the etf_text fuzzer: the type was read from a
  // first value that does not exist).
  EXPECT_EQ(bytes_of(parsed("<<\"\">>")), (B{}));
  EXPECT_EQ(bytes_of(parsed("<<\"\", 1, \"\":8>>")), (B{1}));
  EXPECT_EQ(bytes_of(parsed("<<\"\xC3\xA9\"/utf8>>")), (B{195, 169}));
  EXPECT_EQ(bytes_of(parsed("<<\"\xC3\xA9\">>")), (B{233}));
  EXPECT_EQ(bytes_of(parsed("<<$a/utf16-little, 16#1F600/utf16>>")),
            (B{97, 0, 0xD8, 0x3D, 0xDE, 0x00}));
  EXPECT_EQ(bytes_of(parsed("<<955/utf32>>")), (B{0, 0, 3, 0xBB}));
  EXPECT_EQ(bytes_of(parsed("<<-1:16/little-signed>>")), (B{255, 255}));
  EXPECT_EQ(bytes_of(parsed("<<258:16/little>>")), (B{2, 1}));
  EXPECT_EQ(bytes_of(parsed("<<1.5:32/float>>")), (B{63, 192, 0, 0}));
  EXPECT_EQ(bytes_of(parsed("<<1.0/float>>")), (B{63, 240, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(bytes_of(parsed("<<1/float-little>>")), (B{0, 0, 0, 0, 0, 0, 240, 63}));
  EXPECT_EQ(bytes_of(parsed("<<1:4/unit:8>>")), (B{0, 0, 0, 1}));
  EXPECT_EQ(bytes_of(parsed("<<16#FFFFFFFFFFFFFFFFFF01:16>>")), (B{255, 1}));
  EXPECT_EQ(bytes_of(parsed("<< <<1,2,3>>:2/binary, <<4>>/binary>>")), (B{1, 2, 4}));
  EXPECT_EQ(reprint("<<1:3>>"), "<<1:3>>");
  EXPECT_EQ(reprint("<<255,1:3>>"), "<<255,1:3>>");
  EXPECT_EQ(reprint("<<1:3,1:5>>"), "<<33>>");
  EXPECT_EQ(reprint("<<1:12/little>>"), "<<1,0:4>>");  // as BEAM builds it
  EXPECT_EQ(reprint("<< <<1:3>>/bits, 1:5>>"), "<<33>>");
  EXPECT_EQ(reprint("<<0:0>>"), "<<>>");
  EXPECT_NE(error_of("<< <<1:3>>/binary >>").message.find("multiple of the unit"),
            std::string::npos);
  EXPECT_NE(error_of("<<1:99999999999>>").message.find("segment larger"), std::string::npos);
  // Sized segments share one budget per text (short texts must not build huge binaries).
  EXPECT_EQ(bytes_of(parsed("<<-1:524288>>")).size(), kMaxSizedSegmentBits / 8);
  EXPECT_NE(error_of("<<-1:6932320>>").message.find("explicit size add up"), std::string::npos);
  EXPECT_NE(error_of("<<-1:262144, 0:262144, 1:1>>").message.find("explicit size add up"),
            std::string::npos);
  EXPECT_NE(error_of("<<\"ab\":262145>>").message.find("explicit size add up"), std::string::npos);
  EXPECT_NE(error_of("<<1.0:24/float>>").message.find("16, 32 or 64"), std::string::npos);
  // Half floats as erl builds them: <<V:16/float>> for each V.
  EXPECT_EQ(reprint("<<1.0:16/float, 0.1:16/float, 65504.0:16/float, 65519.0:16/float>>"),
            "<<60,0,46,102,123,255,123,255>>");
  EXPECT_EQ(reprint("<<65520.0:16/float, 1.0e-7:16/float, 6.0e-8:16/float, 3.0e-8:16/float>>"),
            "<<124,0,0,2,0,1,0,1>>");
  EXPECT_EQ(reprint("<<2.98023223876953125e-8:16/float, -2.5:16/float, 0.333333:16/float>>"),
            "<<0,0,193,0,53,85>>");
  EXPECT_EQ(reprint("<<1.0e-5:16/float, 6.103515625e-5:16/float, -0.0:16/float, 2049:16/float, "
                    "2051:16/float-little>>"),
            "<<0,168,4,0,128,0,104,0,2,104>>");
  EXPECT_NE(error_of("<<1/utf7>>").message.find("unknown segment type"), std::string::npos);
}

TEST(TextParse, NodeContainersAndFuns) {
  Term p = parsed("#Pid<'nonode@nohost'.80.1.2>");
  EXPECT_EQ(p.as_pid().node.name, "nonode@nohost");
  EXPECT_EQ(p.as_pid().id, 80u);
  EXPECT_EQ(p.as_pid().serial, 1u);
  EXPECT_EQ(p.as_pid().creation, 2u);
  EXPECT_EQ(parsed("#Pid<a@b.1.2.3>").as_pid().node.name, "a@b");  // bare node names work too
  EXPECT_EQ(parsed("#Port<'n'.18446744073709551615.9>").as_port().id, UINT64_MAX);
  EXPECT_EQ(parsed("#Ref<'n'.1.2.3.4>").as_reference().ids, (ReferenceIds{2, 3, 4}));
  EXPECT_TRUE(parsed("#Ref<'n'.1>").as_reference().ids.empty());
  Term export_fun = parsed("fun 'A':b/2");
  const ExportFun& f = export_fun.as_export_fun();
  EXPECT_EQ(f.module.name, "A");
  EXPECT_EQ(f.function.name, "b");
  EXPECT_EQ(f.arity, 2u);
  Term local_fun =
      parsed("#Fun<m.-1.2.3.4.16#000102030405060708090A0B0C0D0E0F,#Pid<'n'.1.2.3>,[x]>");
  const LocalFun& lf = local_fun.as_local_fun();
  EXPECT_EQ(lf.module.name, "m");
  EXPECT_EQ(lf.old_index, -1);
  EXPECT_EQ(lf.old_uniq, 2);
  EXPECT_EQ(lf.index, 3u);
  EXPECT_EQ(lf.arity, 4);
  EXPECT_EQ(lf.uniq[15], 15);
  EXPECT_EQ(lf.pid->as_pid().id, 1u);
  ASSERT_EQ(lf.free_vars.size(), 1u);
  EXPECT_NE(error_of("#Pid<'n'.1.2>").message.find("'.'"), std::string::npos);
  EXPECT_NE(error_of("#Pid<'n'.1.2.4294967296>").message.find("out of range"), std::string::npos);
  EXPECT_NE(error_of("#Ref<'n'.1.1.2.3.4.5.6>").message.find("at most 5"), std::string::npos);
}

TEST(TextParse, CommentsAndTrailingDot) {
  EXPECT_EQ(reprint("% a comment\n{a} % another\n"), "{a}");
  EXPECT_EQ(reprint("{a}."), "{a}");
  EXPECT_EQ(reprint("{a}.\n"), "{a}");
  EXPECT_EQ(error_of("{a}. b").message, "expected the end of the text after the term");
}

TEST(TextParse, ErrorsSayWhatAndWhere) {
  ParseError e = error_of("{a,\n  b c}");
  EXPECT_EQ(e.message, "expected '}' to close the tuple");
  EXPECT_EQ(e.offset, 8u);
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.column, 5u);
  e = error_of("[\xCE\xBB");  // the column counts characters, not bytes
  EXPECT_EQ(e.offset, 1u);
  EXPECT_EQ(e.column, 2u);
  EXPECT_EQ(error_of("").message, "expected a term, found the end of the text");
  EXPECT_EQ(error_of("'abc").message, "unterminated quoted atom");
  EXPECT_EQ(error_of("\"abc").message, "unterminated string");
  EXPECT_EQ(error_of("[1,2").message, "expected ']' to close the list");
  EXPECT_EQ(error_of("#{a}").message, "expected '=>' after a map key");
  EXPECT_EQ(error_of("16#").message, "expected digits in base 16");
  EXPECT_EQ(error_of("37#1").message, "the base of an integer must be 2..36");
  EXPECT_EQ(error_of(")").message, "expected a term");
  EXPECT_EQ(parse("'\xCE\xBB\xFF'", TextEncoding::Utf8).error().message, "invalid UTF-8");
}

TEST(TextParse, NestingIsLimited) {
  // Every kind of container at the limit parses (each level is a recursion of its own kind).
  for (auto [open, close] : {std::pair{"[", "]"}, {"{", "}"}, {"#{1 => ", "}"}, {"[a|", "]"}}) {
    std::string ok;
    for (std::size_t i = 0; i < kMaxParseDepth; ++i) ok += open;
    ok += "x";
    for (std::size_t i = 0; i < kMaxParseDepth; ++i) ok += close;
    EXPECT_TRUE(parse(ok).ok()) << open;
  }
  std::string deep(kMaxParseDepth + 1, '{');
  ParseError e = error_of(deep);
  EXPECT_NE(e.message.find("nesting deeper"), std::string::npos);
  EXPECT_EQ(e.offset, kMaxParseDepth);
}

// parse(format(t), Latin1) == t for every term, and format() is stable through parse().
TEST(TextParse, FormatThenParseIsAFixedPoint) {
  testing::RandomTerms gen(testing::seed_for("TextParse.FormatThenParseIsAFixedPoint"), {.node_containers = true});
  for (int i = 0; i < 3000; ++i) {
    Term t = gen.next();
    std::string text = format(t);
    auto back = parse(text, TextEncoding::Latin1);
    ASSERT_TRUE(back.ok()) << text << "\n" << back.error().message << " at " << back.error().offset;
    EXPECT_TRUE(back.value() == t) << text;
    EXPECT_EQ(format(back.value()), text);
  }
}

}  // namespace
}  // namespace distspec::etf
