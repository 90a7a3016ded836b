// `distspec fuzz diff`: differential fuzzing of our term decoder against another decoder.
//
// Inputs are the corpus files as they are, then mutations of them (support/etf_mutator.hpp). Each
// input goes to our decoder and to the other side; a disagreement is one of
//   accept/reject    one side accepts what the other rejects,
//   used             both accept but consume different byte counts,
//   term             both accept but the terms differ (compared as values: the other side's
//                    re-encoding is decoded by us and compared with =:=).
// Known, documented differences are counted under their allow-list reason (allow_list.hpp);
// every other disagreement is minimized (bytes removed while the same disagreement remains) and
// saved as <out>/<kind>-<sha1>.bin plus a .txt with both verdicts.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace distspec::fuzz {

enum class Oracle { Beam, Ei };

struct DiffOptions {
  Oracle against = Oracle::Beam;
  std::string corpus_dir;       // seeds (default: corpora/etf_decode of the source tree)
  std::string out_dir = "fuzz-diff";
  double seconds = 60;
  std::uint64_t max_inputs = 0;  // 0 = until `seconds` pass
  std::uint64_t seed = 0;        // 0 = random (printed)
  std::string erl = "erl";
  std::string self_executable;   // for --against ei: the distspec binary, run as `fuzz ei-worker`
};

struct DiffSummary {
  std::uint64_t inputs = 0, both_accept = 0, both_reject = 0, allowed = 0, disagreements = 0;
};

// Prints progress and the summary to `out`; throws std::runtime_error on setup failures.
DiffSummary run_diff_campaign(const DiffOptions& options, std::FILE* out);

std::string default_corpus_dir();

}  // namespace distspec::fuzz
