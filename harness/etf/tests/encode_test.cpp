// The encoder against the canonical bytes of OTP 25 listed in term-format.md §4 (all observed);
// the property test in codec_property_beam_test.cpp checks the rest against a live BEAM.
#include <gtest/gtest.h>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"

namespace distspec::etf {
namespace {

using Bytes = std::vector<std::uint8_t>;

Term i(std::int64_t v) { return Term::integer(v); }

TEST(Encode, IntegersPickTheSmallestTag) {
  EXPECT_EQ(encode(i(255)), (Bytes{131, 97, 255}));
  EXPECT_EQ(encode(i(-1)), (Bytes{131, 98, 255, 255, 255, 255}));
  EXPECT_EQ(encode(i(std::int64_t(1) << 31)), (Bytes{131, 110, 4, 0, 0, 0, 0, 128}));
  EXPECT_EQ(encode(i(-(std::int64_t(1) << 31) - 1)), (Bytes{131, 110, 4, 1, 1, 0, 0, 128}));
  EXPECT_EQ(encode(i(INT64_MIN)), (Bytes{131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128}));
  Bytes big = encode(Term::big_integer(false, Bytes(256, 1)));
  EXPECT_EQ(Bytes(big.begin(), big.begin() + 7), (Bytes{131, 111, 0, 0, 1, 0, 0}));
}

TEST(Encode, Floats) {
  EXPECT_EQ(encode(Term::float_(1.0)), (Bytes{131, 70, 63, 240, 0, 0, 0, 0, 0, 0}));
  EncodeOptions v0;
  v0.minor_version = 0;
  Bytes b = encode(Term::float_(1.0), v0);
  std::string text = "1.00000000000000000000e+00";
  Bytes expected{131, 99};
  expected.insert(expected.end(), text.begin(), text.end());
  expected.resize(2 + 31, 0);
  EXPECT_EQ(b, expected);
  EXPECT_EQ(decode_exact(encode(Term::float_(-0.1), v0)).value().as_float(), -0.1);
}

TEST(Encode, AtomsAreLatin1UnlessTheyCannotBe) {
  EXPECT_EQ(encode(Term::atom("a")), (Bytes{131, 100, 0, 1, 97}));
  EXPECT_EQ(encode(Term::atom("\xC3\xA4")), (Bytes{131, 100, 0, 1, 228}));
  EXPECT_EQ(encode(Term::atom("\xCE\xBB")), (Bytes{131, 119, 2, 0xCE, 0xBB}));
  std::string lambdas;
  for (int k = 0; k < 255; ++k) lambdas += "\xCE\xBB";
  Bytes b = encode(Term::atom(lambdas));
  EXPECT_EQ(Bytes(b.begin(), b.begin() + 4), (Bytes{131, 118, 1, 254}));
  EncodeOptions utf8;
  utf8.minor_version = 2;
  EXPECT_EQ(encode(Term::atom("\xC3\xA4"), utf8), (Bytes{131, 119, 2, 0xC3, 0xA4}));
  Bytes body;
  EncodeOptions dist;
  dist.utf8_atoms = true;
  encode_body(body, Term::atom("a"), dist);
  EXPECT_EQ(body, (Bytes{119, 1, 97}));
}

TEST(Encode, ListsAndStrings) {
  EXPECT_EQ(encode(Term::nil()), (Bytes{131, 106}));
  EXPECT_EQ(encode(Term::string("ab")), (Bytes{131, 107, 0, 2, 97, 98}));
  EXPECT_EQ(encode(Term::list({i(1), i(256)})),
            (Bytes{131, 108, 0, 0, 0, 2, 97, 1, 98, 0, 0, 1, 0, 106}));
  EXPECT_EQ(encode(Term::list({i(1)}, Term::atom("b"))),
            (Bytes{131, 108, 0, 0, 0, 1, 97, 1, 100, 0, 1, 98}));
  std::vector<Term> many(65536, i(7));
  Bytes long_bytes = encode(Term::list(std::move(many)));
  EXPECT_EQ(long_bytes[1], 108);  // more than 65535 bytes: LIST_EXT
  EXPECT_EQ(long_bytes.size(), 1 + 5 + 65536 * 2 + 1u);
}

TEST(Encode, TuplesBinariesBitstrings) {
  EXPECT_EQ(encode(Term::tuple({})), (Bytes{131, 104, 0}));
  EXPECT_EQ(encode(Term::tuple(std::vector<Term>(256, Term::nil())))[1], 105);
  std::uint8_t bits[] = {255, 0x3F};  // <<255,1:3>> with garbage in the unused bits
  EXPECT_EQ(encode(Term::bitstring(Bitstring{nullptr, bits, 2, 3})),
            (Bytes{131, 77, 0, 0, 0, 2, 3, 255, 32}));
  EXPECT_EQ(encode(Term::binary_copy(Bytes{1, 2})), (Bytes{131, 109, 0, 0, 0, 2, 1, 2}));
}

TEST(Encode, SmallMapsInMapKeyOrderLargeMapsAsHeld) {
  Term m = Term::map({{Term::atom("a"), i(1)}, {Term::float_(0.5), i(2)}, {i(2), i(3)}});
  EXPECT_EQ(encode(m), (Bytes{131, 116, 0, 0, 0, 3, 97, 2, 97, 3, 70, 63, 224, 0, 0, 0, 0, 0, 0,
                              97, 2, 100, 0, 1, 97, 97, 1}));
  std::vector<std::pair<Term, Term>> pairs;
  for (int k = 40; k > 0; --k) pairs.emplace_back(i(k), Term::nil());
  Bytes large = encode(Term::map(std::move(pairs)));
  EXPECT_EQ(large[6], 97);
  EXPECT_EQ(large[7], 40);  // held order, not sorted
}

TEST(Encode, NodeContainersAndFuns) {
  Bytes pid = encode(Term::pid({Atom{"n"}, 1, 2, 3}));
  EXPECT_EQ(pid, (Bytes{131, 88, 100, 0, 1, 'n', 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}));
  Bytes port = encode(Term::port({Atom{"n"}, std::uint64_t(1) << 28, 1}));
  EXPECT_EQ(port[1], 120);
  EXPECT_EQ(encode(Term::port({Atom{"n"}, 5, 1}))[1], 89);
  Bytes ref = encode(Term::reference({Atom{"n"}, 1, {1, 2, 3}}));
  EXPECT_EQ(Bytes(ref.begin(), ref.begin() + 4), (Bytes{131, 90, 0, 3}));
  EXPECT_EQ(encode(Term::export_fun({Atom{"m"}, Atom{"f"}, 2})),
            (Bytes{131, 113, 100, 0, 1, 'm', 100, 0, 1, 'f', 97, 2}));
  LocalFun f;
  f.module = Atom{"m"};
  f.pid = std::make_shared<const Term>(Term::pid({Atom{"n"}, 1, 0, 1}));
  f.free_vars = {i(1), Term::atom("x")};
  Bytes fun = encode(Term::local_fun(f));
  std::uint32_t size = std::uint32_t(fun[2]) << 24 | fun[3] << 16 | fun[4] << 8 | fun[5];
  EXPECT_EQ(size, fun.size() - 2);  // Size counts from itself to the end
  EXPECT_EQ(decode_exact(fun).value(), Term::local_fun(f));
}

TEST(Encode, CompressionOnlyWhenItShrinks) {
  EncodeOptions compressed;
  compressed.compression_level = 6;
  EXPECT_EQ(encode(Term::atom("a"), compressed), (Bytes{131, 100, 0, 1, 97}));
  Term repetitive = Term::list(std::vector<Term>(1000, Term::atom("hello")));
  Bytes b = encode(repetitive, compressed);
  EXPECT_EQ(b[1], 80);
  EXPECT_LT(b.size(), 100u);
  EXPECT_EQ(decode_exact(b).value(), repetitive);
  compressed.compression_level = 0;
  EXPECT_EQ(encode(repetitive, compressed), encode(repetitive));
}

// encode() builds small outputs in a per-thread buffer and moves to the result vector when the
// output outgrows it (256 KiB); encode_body() appends to the caller's vector. Both must give the
// same bytes on either side of that size, with a fun's Size field filled in across the move, and
// a call after a large one must not see its bytes.
TEST(Encode, LargeOutputsAndEncodeBodyAgree) {
  for (std::size_t n : {std::size_t(10), std::size_t(200) << 10, std::size_t(300) << 10}) {
    LocalFun f;
    f.module = Atom{"m"};
    f.pid = std::make_shared<const Term>(Term::pid({Atom{"n"}, 1, 0, 1}));
    f.free_vars = {Term::binary_copy(Bytes(n / 2, 7)), Term::atom("x"), Term::binary_copy(Bytes(n / 2, 9))};
    const Term t = Term::tuple({Term::local_fun(f), i(5), Term::binary_copy(Bytes(n, 1))});
    const Bytes b = encode(t);
    Bytes body = {131};
    encode_body(body, t);
    EXPECT_EQ(b, body) << n;
    EXPECT_EQ(decode_exact(b).value(), t) << n;
    EXPECT_EQ(encode(i(1)), (Bytes{131, 97, 1}));
  }
}

TEST(Encode, DeepTermsEncodeWithoutRecursion) {
  Term t = Term::nil();
  for (int d = 0; d < 100'000; ++d) {
    std::vector<Term> e;
    e.push_back(std::move(t));
    t = Term::tuple(std::move(e));
  }
  Bytes b = encode(t);
  EXPECT_EQ(b.size(), 1 + 2 * 100'000 + 1u);
  EXPECT_TRUE(decode_exact(b).ok());
}

}  // namespace
}  // namespace distspec::etf
