// The decoder on hand-made inputs: every tag, OTP 25's quirks (term-format.md §5), errors with
// their offsets, limits (depth, counts, compression), truncation at every offset, validate().
#include <gtest/gtest.h>

#include <zlib.h>

#include <cmath>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"

namespace distspec::etf {
namespace {

using Bytes = std::vector<std::uint8_t>;

Term ok(const Bytes& b, const DecodeOptions& o = {}) {
  auto r = decode(b, o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : to_string(r.error().code)) << " at "
                      << (r.ok() ? 0 : r.error().offset);
  auto v = validate(b, o);
  EXPECT_TRUE(v.ok());
  if (r.ok() && v.ok()) {
    EXPECT_EQ(v.value(), r->used);
  }
  return r.ok() ? std::move(r->term) : Term();
}

DecodeError bad(const Bytes& b, const DecodeOptions& o = {}) {
  auto r = decode(b, o);
  EXPECT_FALSE(r.ok());
  auto v = validate(b, o);
  EXPECT_FALSE(v.ok());
  if (!r.ok() && !v.ok()) {
    EXPECT_EQ(r.error().code, v.error().code);
    EXPECT_EQ(r.error().offset, v.error().offset);
  }
  return r.ok() ? DecodeError{DecodeErrorCode::TrailingBytes, 0} : r.error();
}

TEST(Decode, Integers) {
  EXPECT_EQ(ok({131, 97, 255}).as_integer(), 255);
  EXPECT_EQ(ok({131, 98, 255, 255, 255, 255}).as_integer(), -1);
  EXPECT_EQ(ok({131, 110, 4, 0, 0, 0, 0, 128}).as_integer(), std::int64_t(1) << 31);
  EXPECT_EQ(ok({131, 110, 4, 1, 1, 0, 0, 128}).as_integer(), -(std::int64_t(1) << 31) - 1);
  EXPECT_EQ(ok({131, 110, 0, 0}).as_integer(), 0);               // zero-length bignum
  EXPECT_EQ(ok({131, 110, 3, 2, 5, 0, 0}).as_integer(), -5);     // sign 2 is negative, zeros stripped
  EXPECT_EQ(ok({131, 111, 0, 0, 0, 1, 0, 7}).as_integer(), 7);   // LARGE_BIG for a small value
  Term big = ok({131, 110, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  ASSERT_EQ(big.kind(), Term::Kind::BigInteger);
  EXPECT_EQ(big.as_big_integer().magnitude, (Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(bad({131, 111, 0, 0x40, 0, 0, 0}).code, DecodeErrorCode::BigTooLarge);
}

TEST(Decode, Floats) {
  EXPECT_EQ(ok({131, 70, 63, 240, 0, 0, 0, 0, 0, 0}).as_float(), 1.0);
  EXPECT_TRUE(std::signbit(ok({131, 70, 128, 0, 0, 0, 0, 0, 0, 0}).as_float()));
  EXPECT_EQ(bad({131, 70, 127, 240, 0, 0, 0, 0, 0, 0}).code, DecodeErrorCode::BadFloat);  // +Inf
  EXPECT_EQ(bad({131, 70, 127, 248, 0, 0, 0, 0, 0, 0}).code, DecodeErrorCode::BadFloat);  // NaN
  auto float_ext = [](std::string text) {
    Bytes b{131, 99};
    text.resize(31, '\0');
    b.insert(b.end(), text.begin(), text.end());
    return b;
  };
  EXPECT_EQ(ok(float_ext("1.00000000000000000000e+00")).as_float(), 1.0);
  EXPECT_EQ(ok(float_ext("1,5")).as_float(), 1.5);  // OTP retries with the other radix
  EXPECT_EQ(ok(float_ext("+2.5E+3")).as_float(), 2500.0);
  EXPECT_EQ(ok(float_ext("-1.5e-400")).as_float(), 0.0);  // underflow is fine
  for (const char* text : {" 1.5", "1.5e", "1e5", "1.5e400", "1.5 ", "inf", "", "1."})
    EXPECT_EQ(bad(float_ext(text)).code, DecodeErrorCode::BadFloat) << text;
}

TEST(Decode, AtomsUnderEveryTag) {
  EXPECT_TRUE(ok({131, 100, 0, 1, 'a'}).is_atom("a"));
  EXPECT_TRUE(ok({131, 115, 1, 'a'}).is_atom("a"));
  EXPECT_TRUE(ok({131, 118, 0, 1, 'a'}).is_atom("a"));
  EXPECT_TRUE(ok({131, 119, 1, 'a'}).is_atom("a"));
  EXPECT_TRUE(ok({131, 100, 0, 1, 0xE4}).is_atom("\xC3\xA4"));  // Latin-1 ä becomes UTF-8
  EXPECT_TRUE(ok({131, 100, 0, 3, 'a', 0, 'b'}).is_atom(std::string_view("a\0b", 3)));
  Bytes long_latin1{131, 100, 1, 0};
  long_latin1.resize(4 + 256, 'a');
  EXPECT_EQ(bad(long_latin1).code, DecodeErrorCode::BadAtom);
  Bytes lambdas{131, 118, 1, 254};  // 255 × λ = 510 bytes: fine
  for (int k = 0; k < 255; ++k) lambdas.insert(lambdas.end(), {0xCE, 0xBB});
  EXPECT_EQ(ok(lambdas).as_atom().name.size(), 510u);
  lambdas[2] = 2;  // 256 characters
  lambdas[3] = 0;
  lambdas.insert(lambdas.end(), {0xCE, 0xBB});
  EXPECT_EQ(bad(lambdas).code, DecodeErrorCode::BadAtom);
  EXPECT_EQ(bad({131, 119, 2, 0xC0, 0x80}).code, DecodeErrorCode::BadAtom);        // overlong
  EXPECT_EQ(bad({131, 119, 3, 0xED, 0xA0, 0x80}).code, DecodeErrorCode::BadAtom);  // surrogate
  EXPECT_EQ(bad({131, 82, 0}).code, DecodeErrorCode::UnknownTag);  // no atom cache here
}

TEST(Decode, AtomCacheRefsOnlyWithACache) {
  Atom cached{"cached"};
  AtomCacheView view{[&](std::uint8_t index) { return index == 3 ? &cached : nullptr; }};
  DecodeOptions options;
  options.atom_cache = &view;
  EXPECT_TRUE(ok({131, 82, 3}, options).is_atom("cached"));
  EXPECT_EQ(bad({131, 82, 4}, options).code, DecodeErrorCode::BadAtom);
}

TEST(Decode, SafeRefusesUnknownAtoms) {
  DecodeOptions safe;
  safe.safe = true;
  EXPECT_EQ(bad({131, 100, 0, 1, 'a'}, safe).code, DecodeErrorCode::UnsafeAtom);
  safe.atom_exists = [](std::string_view name) { return name == "a"; };
  EXPECT_TRUE(ok({131, 100, 0, 1, 'a'}, safe).is_atom("a"));
  EXPECT_EQ(bad({131, 104, 2, 100, 0, 1, 'a', 100, 0, 1, 'b'}, safe).code,
            DecodeErrorCode::UnsafeAtom);
  safe.export_exists = [](const ExportFun& f) { return f.arity == 1; };
  EXPECT_EQ(bad({131, 113, 100, 0, 1, 'a', 100, 0, 1, 'a', 97, 2}, safe).code,
            DecodeErrorCode::UnsafeAtom);
  EXPECT_EQ(ok({131, 113, 100, 0, 1, 'a', 100, 0, 1, 'a', 97, 1}, safe).kind(),
            Term::Kind::ExportFun);
}

TEST(Decode, ListsStringsAndTheirQuirks) {
  EXPECT_EQ(ok({131, 108, 0, 0, 0, 0, 97, 5}).as_integer(), 5);  // LIST_EXT len 0 = its tail
  EXPECT_EQ(ok({131, 107, 0, 0}).kind(), Term::Kind::Nil);         // STRING_EXT len 0
  EXPECT_EQ(ok({131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 1, 2}), Term::string("\1\2"));
  Term improper = ok({131, 108, 0, 0, 0, 1, 100, 0, 5, 'a', 'l', 'i', 'a', 's', 97, 7});
  EXPECT_EQ(improper.as_list().elements.size(), 1u);
  EXPECT_EQ(improper.as_list().tail->as_integer(), 7);
  EXPECT_EQ(ok({131, 104, 2, 108, 0, 0, 0, 0, 97, 5, 97, 6}),
            Term::tuple({Term::integer(5), Term::integer(6)}));
}

TEST(Decode, BitstringsFollowOtpBitCountRules) {
  EXPECT_EQ(ok({131, 77, 0, 0, 0, 0, 0}).as_bitstring().byte_size, 0u);
  for (std::uint8_t bits : {1, 3, 8, 9}) EXPECT_FALSE(decode(Bytes{131, 77, 0, 0, 0, 0, bits}).ok());
  EXPECT_EQ(bad({131, 77, 0, 0, 0, 1, 0, 255}).code, DecodeErrorCode::BadBitstring);
  Term three = ok({131, 77, 0, 0, 0, 2, 3, 255, 0xFF});
  EXPECT_EQ(three.as_bitstring().bit_size(), 11u);
  EXPECT_EQ(three.as_bitstring().data[1], 0xE0);  // unused bits held as zero
  EXPECT_TRUE(ok({131, 77, 0, 0, 0, 1, 8, 7}).as_bitstring().is_binary());
}

TEST(Decode, BinaryViewsPointIntoTheInput) {
  Bytes b{131, 109, 0, 0, 0, 3, 1, 2, 3};
  DecodeOptions views;
  views.binary_views = true;
  Term t = ok(b, views);
  EXPECT_EQ(t.as_bitstring().data, b.data() + 6);
  EXPECT_EQ(t.as_bitstring().owner, nullptr);
  EXPECT_NE(ok(b).as_bitstring().data, b.data() + 6);  // copies by default
}

TEST(Decode, MapsRejectDuplicateKeysByExactEquality) {
  EXPECT_EQ(ok({131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 70, 63, 240, 0, 0, 0, 0, 0, 0, 97, 3})
                .as_map().pairs.size(), 2u);  // 1 and 1.0 are different keys
  DecodeError e = bad({131, 104, 1, 116, 0, 0, 0, 2, 97, 1, 97, 2, 98, 0, 0, 0, 1, 97, 3});
  EXPECT_EQ(e.code, DecodeErrorCode::DuplicateMapKey);
  EXPECT_EQ(e.offset, 3u);
  EXPECT_EQ(bad({131, 116, 0, 0, 0, 2, 70, 0, 0, 0, 0, 0, 0, 0, 0, 97, 1, 70, 128, 0, 0, 0, 0, 0, 0,
                 0, 97, 2}).code, DecodeErrorCode::DuplicateMapKey);  // 0.0 and -0.0 (observed)
  // Larger maps (sorted checks) under every key spelling validate() compares without building.
  Bytes big{131, 116, 0, 0, 0, 20};
  for (std::uint8_t k = 0; k < 19; ++k) big.insert(big.end(), {119, 2, 'k', std::uint8_t('a' + k), 106});
  Bytes with_dup = big;
  with_dup.insert(with_dup.end(), {100, 0, 2, 'k', 'c', 106});  // 'kc' again, as ATOM_EXT
  EXPECT_EQ(bad(with_dup).code, DecodeErrorCode::DuplicateMapKey);
  big.insert(big.end(), {100, 0, 2, 'k', 'z', 106});
  EXPECT_EQ(ok(big).as_map().pairs.size(), 20u);
  // Decode order is kept.
  Term m = ok({131, 116, 0, 0, 0, 2, 97, 2, 106, 97, 1, 106});
  EXPECT_EQ(m.as_map().pairs[0].first.as_integer(), 2);
}

TEST(Decode, NodeContainers) {
  Bytes node{100, 0, 1, 'x'};
  auto with = [&](Bytes head, Bytes tail) {
    head.insert(head.end(), node.begin(), node.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  Pid p = ok(with({131, 88}, {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3})).as_pid();
  EXPECT_EQ(p, (Pid{Atom{"x"}, 1, 2, 3}));
  EXPECT_EQ(ok(with({131, 103}, {0, 0, 0, 1, 0, 0, 0, 2, 3})).as_pid().creation, 3u);
  EXPECT_EQ(bad(with({131, 103}, {0, 0, 0, 1, 0, 0, 0, 2, 4})).code, DecodeErrorCode::BadCreation);
  EXPECT_EQ(bad({131, 88, 97, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).code, DecodeErrorCode::BadAtom);
  EXPECT_EQ(ok(with({131, 120}, {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5})).as_port().id,
            std::uint64_t(1) << 56);
  Reference r = ok(with({131, 90, 0, 2}, {0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2})).as_reference();
  EXPECT_EQ(r.ids, (ReferenceIds{1, 2}));
  EXPECT_EQ(bad(with({131, 90, 0, 6}, Bytes(28, 0))).code, DecodeErrorCode::BadReference);
  EXPECT_EQ(bad(with({131, 90, 0, 0}, Bytes(8, 0))).code, DecodeErrorCode::BadReference);
  EXPECT_EQ(bad(with({131, 114, 0, 1}, {0, 0, 4, 0, 0})).code, DecodeErrorCode::BadReference);
  EXPECT_EQ(ok(with({131, 101}, {0, 3, 255, 255, 1})).as_reference().ids[0], 0x3FFFFu);
  // The local node's own limits apply only when the caller names it.
  LocalNode local{"x", 0};
  DecodeOptions options;
  options.local_node = &local;
  Bytes big_pid = with({131, 88}, {0, 0, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(decode(big_pid).ok());
  EXPECT_FALSE(decode(big_pid, options).ok());
}

TEST(Decode, Funs) {
  Bytes exp{131, 113, 100, 0, 1, 'm', 100, 0, 1, 'f', 98, 0, 0, 1, 0};
  EXPECT_EQ(ok(exp).as_export_fun().arity, 256u);
  exp = {131, 113, 100, 0, 1, 'm', 100, 0, 1, 'f', 98, 255, 255, 255, 255};
  EXPECT_EQ(bad(exp).code, DecodeErrorCode::BadFun);
  exp = {131, 113, 100, 0, 1, 'm', 100, 0, 1, 'f', 104, 0};
  EXPECT_EQ(bad(exp).code, DecodeErrorCode::BadFun);
  // NEW_FUN_EXT with two free variables; Size is ignored.
  Bytes fun{131, 112, 0, 0, 0, 0, 1};
  fun.insert(fun.end(), 16, 0xAB);
  fun.insert(fun.end(), {0, 0, 0, 4, 0, 0, 0, 2, 100, 0, 1, 'm', 97, 4, 98, 0, 0, 1, 0,
                         88, 100, 0, 1, 'n', 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 97, 7, 106});
  Term decoded = ok(fun);
  const LocalFun& f = decoded.as_local_fun();
  EXPECT_EQ(f.module.name, "m");
  EXPECT_EQ(f.old_index, 4);
  EXPECT_EQ(f.old_uniq, 256);
  EXPECT_EQ(f.pid->as_pid().node.name, "n");
  ASSERT_EQ(f.free_vars.size(), 2u);
  EXPECT_EQ(f.free_vars[1].kind(), Term::Kind::Nil);
  fun[27] = 1;  // NumFree = 2^24 + 2 > 255
  EXPECT_EQ(bad(fun).code, DecodeErrorCode::BadFun);
}

TEST(Decode, UnknownAndInternalTagsAreRejected) {
  for (std::uint8_t t : {117, 121, 74, 76, 73, 75, 0, 255})
    EXPECT_EQ(bad({131, t, 0, 0, 0, 0, 0}).code, DecodeErrorCode::UnknownTag) << int(t);
  EXPECT_EQ(bad({130, 97, 1}).code, DecodeErrorCode::BadVersion);
  EXPECT_EQ(bad({}).code, DecodeErrorCode::Truncated);
}

TEST(Decode, TrailingBytesAreIgnoredExceptByDecodeExact) {
  auto r = decode(Bytes{131, 97, 1, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->used, 3u);
  auto exact = decode_exact(Bytes{131, 97, 1, 0});
  ASSERT_FALSE(exact.ok());
  EXPECT_EQ(exact.error().code, DecodeErrorCode::TrailingBytes);
  EXPECT_EQ(exact.error().offset, 3u);
  auto body = decode_body(Bytes{104, 1, 97, 1});
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->used, 4u);
}

TEST(Decode, EveryTruncationFailsCleanly) {
  Term t = Term::tuple({Term::atom("ok"), Term::list({Term::integer(1), Term::float_(2.5)}, Term::atom("t")),
                        Term::map({{Term::integer(1), Term::binary_copy(Bytes{1, 2})}}),
                        Term::pid({Atom{"n@h"}, 1, 2, 3}), Term::string("abc"),
                        Term::big_integer(true, Bytes(20, 7))});
  Bytes b = encode(t);
  ASSERT_EQ(decode_exact(b).value(), t);
  for (std::size_t n = 0; n < b.size(); ++n) {
    Bytes cut(b.begin(), b.begin() + std::ptrdiff_t(n));
    auto r = decode(cut);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_LE(r.error().offset, n);
    EXPECT_FALSE(validate(cut).ok()) << n;
  }
}

TEST(Decode, CountsTheInputCannotHoldFailAtOnce) {
  // Each claims up to 2^32 elements in a few bytes: must fail without allocating for them.
  for (Bytes b : {Bytes{131, 108, 255, 255, 255, 255, 106}, Bytes{131, 105, 255, 255, 255, 255, 97},
                  Bytes{131, 116, 0x7F, 255, 255, 255, 97, 1}, Bytes{131, 116, 255, 255, 255, 255},
                  Bytes{131, 109, 255, 255, 255, 255, 1}, Bytes{131, 107, 255, 255, 1},
                  Bytes{131, 111, 0, 0x3F, 255, 255, 0, 1}}) {
    auto r = decode(b);
    EXPECT_FALSE(r.ok());
  }
}

TEST(Decode, DeepNestingDecodesWithoutRecursion) {
  constexpr std::size_t kDepth = 100'000;
  Bytes b{131};
  for (std::size_t d = 0; d < kDepth; ++d) b.insert(b.end(), {108, 0, 0, 0, 1});
  b.push_back(106);
  for (std::size_t d = 0; d < kDepth; ++d) b.push_back(106);
  auto r = decode(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->used, b.size());
  EXPECT_EQ(encode(r->term), b);
  EXPECT_TRUE(validate(b).ok());
  DecodeOptions shallow;
  shallow.max_depth = 1000;
  EXPECT_EQ(bad(b, shallow).code, DecodeErrorCode::TooDeep);
  Bytes tuples{131};
  for (std::size_t d = 0; d < kDepth; ++d) tuples.insert(tuples.end(), {104, 1});
  tuples.push_back(106);
  EXPECT_TRUE(decode(tuples).ok());
  tuples.pop_back();
  EXPECT_EQ(bad(tuples).code, DecodeErrorCode::TooLarge);  // the last arity claims a missing byte
}

Bytes compressed(const Bytes& body, std::uint32_t claimed) {
  uLongf n = compressBound(uLong(body.size()));
  Bytes z(n);
  compress2(z.data(), &n, body.data(), uLong(body.size()), 6);
  z.resize(n);
  Bytes b{131, 80, std::uint8_t(claimed >> 24), std::uint8_t(claimed >> 16),
          std::uint8_t(claimed >> 8), std::uint8_t(claimed)};
  b.insert(b.end(), z.begin(), z.end());
  return b;
}

TEST(Decode, CompressedNeedsTheExactSize) {
  Bytes b = compressed({97, 5}, 2);
  auto r = decode(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->term.as_integer(), 5);
  EXPECT_EQ(r->used, b.size());
  b.insert(b.end(), {1, 2, 3});
  EXPECT_EQ(decode(b)->used, b.size() - 3);  // input after the zlib stream is not used
  EXPECT_TRUE(decode(compressed({97, 5, 1, 2}, 4)).ok());  // nor inflated bytes after the term
  EXPECT_EQ(bad(compressed({97, 5}, 1)).code, DecodeErrorCode::Compression);
  EXPECT_EQ(bad(compressed({97, 5}, 3)).code, DecodeErrorCode::Compression);
  EXPECT_EQ(bad(compressed({131, 97, 5}, 3)).code, DecodeErrorCode::Compression);
  EXPECT_EQ(bad(compressed({}, 0)).code, DecodeErrorCode::Compression);
  EXPECT_FALSE(decode(compressed({80, 0, 0, 0, 2, 97, 5}, 7)).ok());  // tag 80 only at the top
  // A 4 GiB claim on a few bytes fails before allocating anything for it.
  EXPECT_EQ(bad(compressed({97, 5}, 0xFFFFFFFF)).code, DecodeErrorCode::Compression);
  Bytes views_input = compressed({109, 0, 0, 0, 3, 7, 8, 9}, 8);
  DecodeOptions views;
  views.binary_views = true;
  Term t = ok(views_input, views);
  EXPECT_NE(t.as_bitstring().owner, nullptr);  // a view into the inflated data, kept alive
  EXPECT_EQ(t.as_bitstring().data[2], 9);
}

}  // namespace
}  // namespace distspec::etf
