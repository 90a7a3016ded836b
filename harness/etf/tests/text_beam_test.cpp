// format() against a live OTP 25: BEAM builds each term from an Erlang expression and prints it
// with ~w (the shared oracle's "e" request); our format() of the same term must give the same
// bytes. The expressions are written without format(): atoms as list_to_atom([CodePoints]),
// floats from their IEEE bytes, integers in hex, so a printer bug cannot hide on both sides.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/text.hpp"
#include "support/beam_oracle.hpp"
#include "support/random_term.hpp"

namespace distspec::etf {
namespace {

using testing::BeamOracle;
using testing::Bytes;
using testing::shared_beam_oracle;

std::u32string code_points(std::string_view utf8) {
  std::u32string out;
  for (std::size_t i = 0; i < utf8.size();) {
    auto b = static_cast<unsigned char>(utf8[i]);
    int len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    char32_t c = len == 1 ? b : b & (0x7F >> len);
    for (int k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    out += c;
    i += std::size_t(len);
  }
  return out;
}

void hex_magnitude(std::string& out, const std::vector<std::uint8_t>& le) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "16#";
  for (std::size_t i = le.size(); i-- > 0;) out += kHex[le[i] >> 4], out += kHex[le[i] & 15];
}

// An Erlang expression that builds `t`, written without format().
void expression(std::string& out, const Term& t) {
  switch (t.kind()) {
    case Term::Kind::Integer: out += std::to_string(t.as_integer()); break;
    case Term::Kind::BigInteger: {
      const BigInteger& b = t.as_big_integer();
      out += b.negative ? "(-" : "(";
      hex_magnitude(out, b.magnitude);
      out += ')';
      break;
    }
    case Term::Kind::Float: {
      auto bits = std::bit_cast<std::uint64_t>(t.as_float());
      out += "binary_to_term(<<131,70";
      for (int i = 7; i >= 0; --i) out += ',' + std::to_string((bits >> (8 * i)) & 0xFF);
      out += ">>)";
      break;
    }
    case Term::Kind::Atom: {
      out += "list_to_atom([";
      bool first = true;
      for (char32_t c : code_points(t.as_atom().name)) {
        if (!first) out += ',';
        out += std::to_string(std::uint32_t(c));
        first = false;
      }
      out += "])";
      break;
    }
    case Term::Kind::Nil: out += "[]"; break;
    case Term::Kind::List: {
      out += '[';
      const List& l = t.as_list();
      for (std::size_t i = 0; i < l.elements.size(); ++i) {
        if (i) out += ',';
        expression(out, l.elements[i]);
      }
      out += '|';
      expression(out, *l.tail);
      out += ']';
      break;
    }
    case Term::Kind::Tuple: {
      out += '{';
      const auto& e = t.as_tuple().elements;
      for (std::size_t i = 0; i < e.size(); ++i) {
        if (i) out += ',';
        expression(out, e[i]);
      }
      out += '}';
      break;
    }
    case Term::Kind::Map: {
      out += "#{";
      const auto& pairs = t.as_map().pairs;
      for (std::size_t i = 0; i < pairs.size(); ++i) {
        if (i) out += ',';
        expression(out, pairs[i].first);
        out += " => ";
        expression(out, pairs[i].second);
      }
      out += '}';
      break;
    }
    case Term::Kind::Bitstring: {
      const Bitstring& b = t.as_bitstring();
      out += "<<";
      for (std::size_t i = 0; i < b.byte_size; ++i) {
        if (i) out += ',';
        if (i + 1 == b.byte_size && !b.is_binary()) {
          out += std::to_string(b.data[i] >> (8 - b.bits_in_last_byte)) + ':' +
                 std::to_string(b.bits_in_last_byte);
        } else {
          out += std::to_string(b.data[i]);
        }
      }
      out += ">>";
      break;
    }
    default: FAIL() << "no expression for pids, ports, references and funs";
  }
}

// Evaluates every term's expression on the BEAM in one batch and compares ~w with format().
void expect_prints_as_beam(const std::vector<Term>& terms) {
  std::vector<Bytes> requests;
  for (const Term& t : terms) {
    std::string e;
    expression(e, t);
    Bytes r{std::uint8_t('e')};
    r.insert(r.end(), e.begin(), e.end());
    requests.push_back(std::move(r));
  }
  std::vector<Bytes> replies = shared_beam_oracle().call(requests);
  ASSERT_EQ(replies.size(), terms.size());
  int failures = 0;
  for (std::size_t i = 0; i < terms.size() && failures < 10; ++i) {
    std::string expr(requests[i].begin() + 1, requests[i].end());
    ASSERT_TRUE(!replies[i].empty() && replies[i][0] == 0)
        << expr << "\n" << std::string(replies[i].begin(), replies[i].end());
    std::string beam(replies[i].begin() + 1, replies[i].end());
    std::string ours = format(terms[i]);
    if (ours != beam) {
      ++failures;
      ADD_FAILURE() << "expression: " << expr << "\n  beam: " << beam << "\n  ours: " << ours;
    }
  }
}

TEST(TextBeam, FloatsAtTheNotationBoundaries) {
  std::vector<Term> terms;
  for (int e = -330; e <= 310; ++e) {
    for (double m : {1.0, 1.5, 9.999, 1.2345678901234567}) {
      double v = m * std::pow(10.0, e);
      if (!std::isfinite(v)) continue;
      for (double x : {v, std::nextafter(v, 0.0), std::nextafter(v, INFINITY), -v})
        terms.push_back(Term::float_(x));
    }
  }
  for (int p = 0; p <= 64; ++p) {  // powers of two around 2^53, where BEAM changes notation
    double v = std::ldexp(1.0, p);
    for (double x : {v, v * 3, v * 5, v * 25, std::nextafter(v, 0.0)})
      terms.push_back(Term::float_(x));
  }
  for (double x : {0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 0.2,
                   0.3, 1.0 / 3, 2.0 / 3, 100.0, 1000.0, 12345678901234567.0, 1.0e22, 1.0e23})
    terms.push_back(Term::float_(x));
  std::mt19937_64 rng(testing::seed_for("TextBeam"));
  testing::RandomTerms gen(rng());
  for (int i = 0; i < 2000; ++i) {
    std::uint64_t bits = rng();
    double v = std::bit_cast<double>(bits);
    terms.push_back(Term::float_(std::isfinite(v) ? v : gen.float_value()));
  }
  expect_prints_as_beam(terms);
}

TEST(TextBeam, AtomsNeedingQuotesAndEscapes) {
  std::vector<Term> terms;
  for (unsigned c = 0; c < 256; ++c) {  // every Latin-1 character, alone and after a letter
    std::string utf8;
    if (c < 0x80) utf8 += char(c);
    else utf8 += char(0xC0 | (c >> 6)), utf8 += char(0x80 | (c & 0x3F));
    terms.push_back(Term::atom(utf8));
    terms.push_back(Term::atom("a" + utf8));
    terms.push_back(Term::atom("a" + utf8 + "b"));
  }
  for (const char* w : {"after", "begin", "case", "try", "cond", "catch", "andalso", "orelse",
                        "end", "fun", "if", "let", "of", "receive", "when", "bnot", "not", "div",
                        "rem", "band", "and", "bor", "bxor", "bsl", "bsr", "or", "xor", "maybe",
                        "else", "true", "nil", "", "_", "_a", "a_", "A", "aB@9_", "\xCE\xBB",
                        "a\xCE\xBB", "\xF0\x9F\x98\x80", "\xE2\x82\xAC", "\xC4\x80", "a\xC3\xBF"})
    terms.push_back(Term::atom(w));
  testing::RandomTerms gen(testing::seed_for("TextBeam"));
  for (int i = 0; i < 500; ++i) terms.push_back(Term::atom(gen.atom_name()));
  expect_prints_as_beam(terms);
}

TEST(TextBeam, GeneratedTerms) {
  testing::RandomTerms gen(testing::seed_for("TextBeam"), {.large_maps = false});
  std::vector<Term> terms;
  for (int i = 0; i < 600; ++i) terms.push_back(gen.next());
  expect_prints_as_beam(terms);
}

// Terms made by the BEAM (large maps in its hash order, pids, ports, references, funs): decoding
// its bytes and printing gives what ~w prints (for all but node containers and local funs), and
// our text reads back to a term that encodes to BEAM's bytes again.
void expect_beam_bytes_survive_text(const std::vector<std::string>& expressions,
                                    bool compare_with_w) {
  BeamOracle& beam = shared_beam_oracle();
  std::vector<Bytes> encoded = beam.term_to_binary_batch(expressions);
  std::vector<testing::BeamVerdict> verdicts = beam.binary_to_term_batch(encoded);
  for (std::size_t i = 0; i < expressions.size(); ++i) {
    auto decoded = decode(encoded[i]);
    ASSERT_TRUE(decoded.ok()) << expressions[i];
    std::string text = format(decoded->term);
    if (compare_with_w) {
      EXPECT_EQ(text, verdicts[i].printed) << expressions[i];
    }
    auto back = parse(text, TextEncoding::Latin1);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
    EXPECT_EQ(encode(back.value()), encoded[i]) << expressions[i] << "\n" << text;
  }
}

TEST(TextBeam, DecodedLargeMapsPrintAsBeam) {
  std::vector<std::string> expressions;
  for (int n : {33, 34, 40, 64, 100, 500}) {
    expressions.push_back("maps:from_list([{I, I * I} || I <- lists:seq(1, " + std::to_string(n) +
                          ")])");
    expressions.push_back("maps:from_list([{integer_to_list(I), {I}} || I <- lists:seq(1, " +
                          std::to_string(n) + ")])");
  }
  testing::RandomTerms gen(testing::seed_for("TextBeam"), {.large_maps = true});
  for (int i = 0; i < 300; ++i) {
    std::string e;
    expression(e, gen.next());
    expressions.push_back(std::move(e));
  }
  expect_beam_bytes_survive_text(expressions, true);
}

TEST(TextBeam, NodeContainersAndFunsReadBack) {
  expect_beam_bytes_survive_text(
      {"self()", "list_to_pid(\"<0.1.0>\")", "make_ref()", "hd(erlang:ports())",
       "fun lists:map/2", "fun 'A':'b c'/1", "fun(X) -> X end",
       "begin Y = 5, fun(X) -> X + Y end end",
       "[self(), make_ref(), #{make_ref() => self()}, {hd(erlang:ports())}]",
       "erlang:alias()", "monitor(process, self())"},
      false);
}

}  // namespace
}  // namespace distspec::etf
