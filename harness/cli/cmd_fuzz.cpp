// distspec fuzz: fuzzing campaigns that need a real peer (the libFuzzer targets live in fuzz/).
//   distspec fuzz diff --against beam|ei [--corpus DIR] [--out DIR] [--seconds N] [--runs N]
//                      [--seed N] [--erl PATH]
// Exit 0: no disagreement outside the allow-list; 1: disagreements saved (or the oracle could not
// run); 2: usage error.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "command.hpp"

#ifdef DISTSPEC_HAVE_FUZZ_DIFF
#include "diff/campaign.hpp"
#include "diff/ei_oracle.hpp"
#endif

namespace distspec::cli {
namespace {

constexpr const char* kUsage =
    "usage: distspec fuzz diff --against beam|ei [options]\n"
    "  Differential fuzzing of the term decoder: corpus inputs and their mutations go to distspec's\n"
    "  decoder and to binary_to_term in one long-lived BEAM (beam) or to erl_interface in a child\n"
    "  process (ei, only inputs distspec accepted). Disagreements outside the allow-list are\n"
    "  minimized and saved with both verdicts.\n"
    "  --against beam|ei  the other decoder (required)\n"
    "  --corpus DIR       seed inputs (default: corpora/etf_decode of the source tree)\n"
    "  --out DIR          where disagreements go (default: fuzz-diff)\n"
    "  --seconds N        run time (default 60)\n"
    "  --runs N           stop after N inputs instead\n"
    "  --seed N           random seed (default: random, printed)\n"
    "  --erl PATH         the erl executable (default: erl on PATH)\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "distspec fuzz: %s\n%s", message.c_str(), kUsage);
  return kExitUsage;
}

bool parse_number(std::string_view text, double& out) {
  char* end = nullptr;
  const std::string s(text);
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && out >= 0;
}

int run_fuzz(std::span<const std::string_view> args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
#ifndef DISTSPEC_HAVE_FUZZ_DIFF
  return usage_error("this build has no differential fuzzing (erl_interface was not found)");
#else
  if (args[0] == "ei-worker") return fuzz::run_ei_worker();
  if (args[0] != "diff") return usage_error("unknown subcommand '" + std::string(args[0]) + "'");
  fuzz::DiffOptions options;
  options.corpus_dir = fuzz::default_corpus_dir();
  bool have_against = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    if (i + 1 >= args.size()) return usage_error("missing value after " + std::string(flag));
    const std::string_view value = args[++i];
    double number = 0;
    if (flag == "--against") {
      if (value == "beam") options.against = fuzz::Oracle::Beam;
      else if (value == "ei") options.against = fuzz::Oracle::Ei;
      else return usage_error("--against takes beam or ei");
      have_against = true;
    } else if (flag == "--corpus") {
      options.corpus_dir = value;
    } else if (flag == "--out") {
      options.out_dir = value;
    } else if (flag == "--erl") {
      options.erl = value;
    } else if (flag == "--seconds" || flag == "--runs" || flag == "--seed") {
      if (!parse_number(value, number)) return usage_error(std::string(flag) + " takes a non-negative number");
      if (flag == "--seconds") options.seconds = number;
      else if (flag == "--runs") options.max_inputs = std::uint64_t(number);
      else options.seed = std::strtoull(std::string(value).c_str(), nullptr, 10);
    } else {
      return usage_error("unknown option " + std::string(flag));
    }
  }
  if (!have_against) return usage_error("--against is required");
  std::error_code ec;
  options.self_executable = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  try {
    const auto summary = fuzz::run_diff_campaign(options, stdout);
    return summary.disagreements == 0 ? kExitOk : kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "distspec fuzz diff: %s\n", e.what());
    return kExitFailure;
  }
#endif
}

const CommandRegistration registration{{"fuzz", "differential fuzzing of the term decoder (fuzz diff)", run_fuzz}};

}  // namespace
}  // namespace distspec::cli
