// Seeded random terms for the codec and text property tests: every kind of term, with the values
// that matter for an encoding choice (integer ranges, bignum sizes, LARGE_TUPLE, STRING_EXT length,
// Latin-1 vs UTF-8 atoms) and for the printer (floats at the fixed/scientific boundaries, atoms
// that need quotes), byte lists, improper lists, bitstrings, small and large maps, and pids, ports,
// references and funs (made here with random node names, or given by a caller, e.g. by a BEAM).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "distspec/etf/term.hpp"

namespace distspec::etf::testing {

// The seed of a property test: DISTSPEC_SEED when set (to replay a run), else a random one;
// printed with the test's name either way.
std::uint64_t seed_for(const char* test);

struct RandomTermOptions {
  int max_depth = 4;
  bool large_maps = true;            // sometimes more than 32 keys (BEAM writes those in hash order)
  bool node_containers = false;      // pids, ports, references, local and external funs made here
  std::vector<Term> special_leaves = {};  // e.g. pids, refs, funs made by a real BEAM
};

class RandomTerms {
 public:
  explicit RandomTerms(std::uint64_t seed, RandomTermOptions options = {});
  Term next();
  // True if the last term from next() holds a map of more than 32 keys.
  bool last_has_large_map() const { return large_map_; }

  // A finite float: random bits, printer boundaries (powers of ten, near 2^53) or edge values.
  double float_value();
  // An atom's name in UTF-8: keywords and words that need quotes, Latin-1 (controls included),
  // any code point, and the longest atoms (255 characters).
  std::string atom_name();

 private:
  Term term(int depth);
  Term leaf(int depth);
  Term integer();
  Term bitstring();
  Term node_container(int depth);
  Term container(int depth);
  Term map(int depth);
  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  std::mt19937_64 rng_;
  RandomTermOptions options_;
  bool large_map_ = false;
};

}  // namespace distspec::etf::testing
