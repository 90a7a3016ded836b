// Seeded random terms for property tests: every kind the codec knows, with the edge values that
// matter for encoding choices (integer ranges, bignum sizes, Latin-1 vs UTF-8 atoms, byte lists,
// improper lists, bitstrings, small and large maps, pids/ports/refs/funs from a caller's pool).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "distspec/etf/term.hpp"

namespace distspec::etf::testing {

// The seed of a property test: DISTSPEC_SEED when set (to replay a run), else a random one;
// printed with the test's name either way.
std::uint64_t seed_for(const char* test);

struct RandomTermOptions {
  int max_depth = 4;
  bool large_maps = true;           // sometimes more than 32 keys (BEAM writes those in hash order)
  std::vector<Term> special_leaves;  // e.g. pids, refs, funs made by a real BEAM
};

class RandomTerms {
 public:
  RandomTerms(std::uint64_t seed, RandomTermOptions options);
  Term next();
  // True if the last term from next() holds a map of more than 32 keys.
  bool last_has_large_map() const { return large_map_; }

 private:
  Term term(int depth);
  Term leaf();
  Term integer();
  Term float_();
  Term atom();
  Term bitstring();
  Term container(int depth);
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  std::mt19937_64 rng_;
  RandomTermOptions options_;
  bool large_map_ = false;
};

}  // namespace distspec::etf::testing
