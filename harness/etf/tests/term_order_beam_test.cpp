// Term order of pids, ports and references against a live OTP 25: random containers of other
// nodes (a few node names, creations and numbers, so that ties on one field are common) are
// sorted by lists:sort/1 on the BEAM and by our compare(); the two orders must be the same.
// The seed is printed; set DISTSPEC_SEED to replay one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/text.hpp"
#include "support/beam_oracle.hpp"
#include "support/random_term.hpp"

namespace distspec::etf {
namespace {

using testing::seed_for;

using testing::Bytes;
using testing::shared_beam_oracle;

// Node names that share prefixes (so their order depends on length and on later bytes), one UTF-8.
const char* const kNodes[] = {"a@h", "a@hh", "b@h", "zz@h", "\xCE\xBB@h", "a@h2"};

std::vector<Term> random_containers(std::mt19937_64& rng, std::size_t n) {
  auto pick = [&](std::uint64_t below) { return std::uniform_int_distribution<std::uint64_t>(0, below - 1)(rng); };
  // Small ranges make equal fields common, so every later field gets compared too.
  auto number = [&]() -> std::uint32_t {
    switch (pick(3)) {
      case 0: return std::uint32_t(pick(4));
      case 1: return std::uint32_t(pick(1u << 15));
      default: return std::uint32_t(rng());
    }
  };
  auto creation = [&]() -> std::uint32_t {
    const std::uint32_t choices[] = {0, 1, 2, 3, 4, 0x10000, 0xFFFFFFFF};
    return choices[pick(7)];
  };
  std::vector<Term> out;
  while (out.size() < n) {
    Atom node{kNodes[pick(std::size(kNodes))]};
    switch (pick(3)) {
      case 0: out.push_back(Term::pid({node, number(), number(), creation()})); break;
      case 1: {
        std::uint64_t id = pick(2) ? number() : (std::uint64_t(number()) << 28 | number());
        out.push_back(Term::port({node, id, creation()}));
        break;
      }
      default: {
        ReferenceIds ids(1 + pick(5));
        for (auto& w : ids) w = number();
        out.push_back(Term::reference({node, creation(), ids}));
        break;
      }
    }
  }
  return out;
}

std::string binary_literal(const Bytes& b) {
  std::string s = "<<";
  for (std::size_t i = 0; i < b.size(); ++i) s += (i ? "," : "") + std::to_string(b[i]);
  return s + ">>";
}

TEST(TermOrderBeam, PidsPortsAndReferencesSortAsTheBeamSorts) {
  std::mt19937_64 rng(seed_for("TermOrderBeam.PidsPortsAndReferencesSortAsTheBeamSorts"));
  auto& beam = shared_beam_oracle();
  for (int round = 0; round < 4; ++round) {
    std::vector<Term> terms = random_containers(rng, 300);
    const Bytes ours = encode(Term::list(terms));
    const Bytes sorted_by_beam =
        beam.term_to_binary("lists:sort(binary_to_term(" + binary_literal(ours) + "))");
    auto decoded = decode_exact(sorted_by_beam);
    ASSERT_TRUE(decoded.ok());
    const std::vector<Term>& beam_order = decoded.value().as_list().elements;
    ASSERT_EQ(beam_order.size(), terms.size());

    std::stable_sort(terms.begin(), terms.end(), [](const Term& x, const Term& y) { return compare(x, y) < 0; });
    for (std::size_t i = 0; i < terms.size(); ++i) {
      ASSERT_TRUE(exactly_equal(terms[i], beam_order[i]))
          << "round " << round << ", position " << i << ": we sort " << format(terms[i])
          << " there, the BEAM sorts " << format(beam_order[i]);
      if (i > 0) {
        EXPECT_TRUE(compare(beam_order[i - 1], beam_order[i]) <= 0) << "round " << round << ", position " << i;
      }
    }
  }
}

}  // namespace
}  // namespace distspec::etf
