// The ei allow-list predicates: each excuses the input class it names and not a near input.
#include "diff/allow_list.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "distspec/etf/encode.hpp"

namespace distspec::fuzz {
namespace {
using Bytes = std::vector<std::uint8_t>;

// {Fun, after}: a fun with one free variable, then a term ei reads only if it skips the fun right.
Bytes tuple_with_fun() {
  etf::LocalFun f;
  f.arity = 1;
  f.index = 3;
  f.module = etf::Atom{"m"};
  f.pid = std::make_shared<const etf::Term>(etf::Term::pid(etf::Pid{etf::Atom{"a@h"}, 1, 0, 7}));
  f.free_vars.push_back(etf::Term::integer(42));
  return etf::encode(etf::Term::tuple({etf::Term::local_fun(std::move(f)), etf::Term::atom("after")}));
}

std::size_t find_tag(const Bytes& b, std::uint8_t tag) {
  return std::size_t(std::find(b.begin() + 1, b.end(), tag) - b.begin());
}

std::optional<std::string_view> ei_excuse(const Bytes& input, DiffKind kind) {
  auto decoded = etf::decode(input);
  EXPECT_TRUE(decoded.ok()) << "ei only sees inputs we accept";
  const Disagreement d{kind, input, nullptr, decoded.ok() ? &decoded->term : nullptr, kind != DiffKind::OracleCrash};
  return allowed_ei_difference(d);
}

TEST(AllowList, NewFunWithWrongSizeIsExcusedForEiOnly) {
  Bytes input = tuple_with_fun();
  const std::size_t at = find_tag(input, 112);
  ASSERT_LT(at + 5, input.size());
  // The encoder writes the right Size: ei and we agree there, so a disagreement is a finding.
  EXPECT_FALSE(ei_excuse(input, DiffKind::Term));
  EXPECT_FALSE(ei_excuse(input, DiffKind::OracleCrash));
  for (int delta : {+1, -1, +1000}) {
    Bytes wrong = input;
    std::uint32_t size = (std::uint32_t(wrong[at + 1]) << 24) | (wrong[at + 2] << 16) | (wrong[at + 3] << 8) | wrong[at + 4];
    size += std::uint32_t(delta);
    for (int k = 0; k < 4; ++k) wrong[at + 1 + k] = std::uint8_t(size >> (24 - 8 * k));
    for (auto kind : {DiffKind::AcceptReject, DiffKind::Used, DiffKind::Term, DiffKind::OracleCrash})
      EXPECT_TRUE(ei_excuse(wrong, kind)) << "delta " << delta;
    // binary_to_term ignores Size as we do: never a reason against BEAM.
    auto decoded = etf::decode(wrong);
    const Disagreement beam{DiffKind::Term, wrong, nullptr, &decoded->term, true};
    EXPECT_FALSE(allowed_beam_difference(beam));
  }
}

TEST(AllowList, NewFunInsideFreeVariablesIsNotExcused) {
  // ei copies free variables raw, so a wrong Size in a fun nested there is not what ei read.
  Bytes inner = tuple_with_fun();
  etf::LocalFun outer;
  outer.module = etf::Atom{"m"};
  outer.pid = std::make_shared<const etf::Term>(etf::Term::pid(etf::Pid{etf::Atom{"a@h"}, 1, 0, 7}));
  outer.free_vars.push_back(etf::decode(inner)->term);
  Bytes input = etf::encode(etf::Term::local_fun(std::move(outer)));
  const auto inner_body = std::search(input.begin(), input.end(), inner.begin() + 1, inner.end());
  ASSERT_NE(inner_body, input.end());
  const std::size_t nested = std::size_t(inner_body - input.begin()) + find_tag(inner, 112) - 1;
  ASSERT_EQ(input[nested], 112);
  input[nested + 4] ^= 1;
  EXPECT_TRUE(etf::decode(input).ok());
  EXPECT_FALSE(ei_excuse(input, DiffKind::Term));
}

TEST(AllowList, FloatTextWithCommaIsExcusedAsTermDifferenceOnly) {
  etf::EncodeOptions old_floats;
  old_floats.minor_version = 0;  // FLOAT_EXT, "%.20e" text
  const Bytes dot = etf::encode(etf::Term::tuple({etf::Term::float_(1.5), etf::Term::atom("x")}), old_floats);
  const std::size_t at = find_tag(dot, 99);
  ASSERT_LT(at + 32, dot.size());
  Bytes comma = dot;
  auto point = std::find(comma.begin() + at + 1, comma.begin() + at + 32, '.');
  ASSERT_NE(point, comma.begin() + at + 32);
  *point = ',';
  ASSERT_TRUE(etf::decode(comma).ok()) << "BEAM and we accept ',' as the decimal point";
  EXPECT_TRUE(ei_excuse(comma, DiffKind::Term));
  EXPECT_FALSE(ei_excuse(comma, DiffKind::Used));
  EXPECT_FALSE(ei_excuse(dot, DiffKind::Term));
}

TEST(AllowList, PortIdWithTopBitIsExcusedFor32BitEncodingsOnly) {
  for (std::uint8_t tag : {std::uint8_t(89), std::uint8_t(102)}) {
    etf::Port port{etf::Atom{"n@h"}, 0x0fffffff, 2};  // fits 28 bits: NEW_PORT_EXT
    Bytes below = etf::encode(etf::Term::tuple({etf::Term::port(port), etf::Term::atom("x")}));
    const std::size_t at = find_tag(below, 89);  // the encoder writes NEW_PORT_EXT
    ASSERT_LT(at + 14, below.size());
    if (tag == 102) {  // PORT_EXT: the same with an 8-bit creation
      below[at] = 102;
      below.erase(below.begin() + std::ptrdiff_t(at) + 10, below.begin() + std::ptrdiff_t(at) + 13);
    }
    const std::size_t id_at = at + 1 + 6;  // after the node, ATOM_EXT 100 0 3 "n@h"
    below[id_at] = 0x7f;                   // ID 2^31 - 1: the largest ei reads right
    ASSERT_TRUE(etf::decode(below).ok());
    Bytes top = below;
    top[id_at] = 0x80;
    ASSERT_TRUE(etf::decode(top).ok());
    EXPECT_TRUE(ei_excuse(top, DiffKind::Term)) << int(tag);
    EXPECT_FALSE(ei_excuse(top, DiffKind::Used)) << int(tag);
    EXPECT_FALSE(ei_excuse(below, DiffKind::Term)) << int(tag);
  }
  // V4_PORT_EXT reads 64 bits with get64be: not excused.
  Bytes v4 = etf::encode(etf::Term::port(etf::Port{etf::Atom{"n@h"}, std::uint64_t(1) << 63, 2}));
  ASSERT_EQ(v4[1], 120);
  EXPECT_FALSE(ei_excuse(v4, DiffKind::Term));
}

}  // namespace
}  // namespace distspec::fuzz
