// distspec fuzz: fuzzing campaigns that need a real peer (the libFuzzer targets live in fuzz/).
//   distspec fuzz diff --against beam|ei [--corpus DIR] [--out DIR] [--seconds N] [--runs N]
//                      [--seed N] [--erl PATH]
//   distspec fuzz node TARGET_NODE [options]   (live-node fuzzing: distspec/node/live_fuzz.hpp)
// Exit 0: no disagreement outside the allow-list / no finding; 1: disagreements or findings saved
// (or the oracle or target could not be used); 2: usage error.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <random>
#include <span>
#include <string>

#include "command.hpp"
#include "distspec/node/live_fuzz.hpp"
#include "node_flags.hpp"

#ifdef DISTSPEC_HAVE_FUZZ_DIFF
#include "diff/campaign.hpp"
#include "diff/ei_oracle.hpp"
#endif

namespace distspec::cli {
namespace {

constexpr const char* kUsage =
    "usage: distspec fuzz diff --against beam|ei [options]\n"
    "       distspec fuzz node TARGET_NODE [options]   (see distspec fuzz node --help)\n"
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

constexpr const char* kNodeUsage =
    "usage: distspec fuzz node TARGET_NODE [options]\n"
    "  Live-node fuzzing: connects to TARGET_NODE (name@host, port from the epmd at\n"
    "  $ERL_EPMD_PORT, default 4369, looked up once) again and again with mutated send_name\n"
    "  messages, mutated challenge replies, and mutated packets after a correct handshake. A\n"
    "  correct peer checks between rounds that the node still accepts it (handshake +\n"
    "  {is_auth, Node}); a dead or deaf target stops the campaign with a finding. Inputs known\n"
    "  to crash OTP 25.2.3 are listed, not sent, unless --allow-known-crashers.\n"
    "  --cookie C | --cookie-file F   the target's cookie (default: ~/.erlang.cookie, as erl)\n"
    "  --seconds N           run time (default 10)\n"
    "  --rounds N            stop after N rounds instead\n"
    "  --seed N              random seed (default: random, printed)\n"
    "  --out DIR             findings/ and observed/ go here (default: fuzz-node)\n"
    "  --concurrency N       connections in flight (default 16)\n"
    "  --phases LIST         comma-separated: send_name,challenge_reply,connected (default: all)\n"
    "  --mutations LIST      comma-separated phase.kind names (e.g. connected.valid) instead of\n"
    "                        --phases; --mutations list prints them all\n"
    "  --corpus DIR          send_names found in DIR's files (e.g. corpora/handshake_acceptor,\n"
    "                        recorded from OTP 25) seed the send_name.corpus mutation\n"
    "  --check-interval MS   correct-peer check period (default 250)\n"
    "  --timeout MS          how long an answer the node owes may take (default 2000)\n"
    "  --atom-budget N       atoms the campaign may create on the target (default 50000)\n"
    "  --epmd-port N         epmd port (default: $ERL_EPMD_PORT or 4369)\n"
    "  --allow-known-crashers  also send inputs known to crash OTP 25.2.3 (disposable nodes only)\n"
    "  --quiet               no progress lines\n"
    "  Exit 0: no finding; 1: findings saved, target died, or target unusable; 2: usage error.\n";

int node_usage_error(const std::string& why) { return usage_error("fuzz node", kNodeUsage, why); }

void print_summary(const node::LiveFuzzSummary& s, const std::string& out_dir) {
  std::printf("rounds: %llu in %.1f s (%.0f rounds/s)\n", (unsigned long long)s.rounds, s.seconds,
              s.rounds_per_second);
  std::printf("complete handshakes: %llu (%.0f handshakes/s), correct-peer checks: %llu\n",
              (unsigned long long)s.complete_handshakes, s.handshakes_per_second,
              (unsigned long long)s.checks);
  std::printf("outcomes (mutation -> what the node did: rounds, mean ms per round):\n");
  for (const auto& [key, count] : s.outcomes) {
    auto time = s.outcome_time.find(key);
    const double ms = time == s.outcome_time.end() ? 0 : time->second.count() / 1000.0 / double(count);
    std::printf("  %s: %llu, %.1f ms\n", key.c_str(), (unsigned long long)count, ms);
  }
  std::printf("outcomes other than expected: %llu (samples in %s/observed)\n",
              (unsigned long long)s.unexpected, out_dir.c_str());
  std::printf("atoms the campaign may have created on the target: %zu (budget)\n", s.atoms_spent);
  std::printf("send_names from the corpus: %zu\n", s.seed_send_names);
  std::printf("known crashers of OTP 25.2.3 (reported, not sent without --allow-known-crashers):\n");
  for (auto k : {node::KnownCrasher::MalformedSendName, node::KnownCrasher::FragmentSequenceZero,
                 node::KnownCrasher::HugePacketLength}) {
    auto it = s.withheld.find(std::string(node::to_string(k)));
    std::printf("  %s: %s (withheld %zu times)\n", std::string(node::to_string(k)).c_str(),
                std::string(node::describe(k)).c_str(), it == s.withheld.end() ? 0 : it->second);
  }
  std::uint64_t total = 0;
  for (const auto& [kind, count] : s.finding_counts) total += count;
  std::printf("findings: %llu", (unsigned long long)total);
  for (const auto& [kind, count] : s.finding_counts)
    std::printf(" (%s: %llu)", kind.c_str(), (unsigned long long)count);
  std::printf(", saved: %zu\n", s.findings.size());
  for (const auto& f : s.findings)
    std::printf("  %s: round %llu %s -> %s: %s (%s)\n", f.kind.c_str(),
                (unsigned long long)f.round, f.mutation.c_str(), f.outcome.c_str(),
                f.detail.c_str(), f.record_path.c_str());
}

int run_fuzz_node(std::span<const std::string_view> args) {
  auto flags = parse_flags(args,
                           {"--cookie", "--cookie-file", "--seconds", "--rounds", "--seed", "--out",
                            "--concurrency", "--phases", "--mutations", "--corpus", "--check-interval", "--timeout",
                            "--atom-budget", "--epmd-port"},
                           {"--allow-known-crashers", "--quiet", "--help"});
  if (!flags.error.empty()) return node_usage_error(flags.error);
  if (flags.has("--help")) {
    std::fputs(kNodeUsage, stdout);
    return kExitOk;
  }
  if (flags.positional.size() != 1) return node_usage_error("expected one TARGET_NODE");
  node::LiveFuzzOptions options;
  options.target_node = flags.positional[0];
  if (!proto::parse_node_name(options.target_node))
    return node_usage_error("invalid node name " + options.target_node);
  const auto number = [&](const char* flag, unsigned long max, unsigned long fallback,
                          bool& ok) -> unsigned long {
    auto text = flags.value(flag);
    if (!text) return fallback;
    auto value = parse_number(*text, max);
    if (!value) ok = false;
    return value.value_or(fallback);
  };
  bool ok = true;
  const auto seconds = number("--seconds", 86'400 * 365, 10, ok);
  if (!ok) return node_usage_error("--seconds takes a whole number of seconds");
  options.duration = std::chrono::seconds(seconds);
  if (flags.has("--rounds")) {
    options.max_rounds = number("--rounds", ~0ul, 0, ok);
    if (!ok) return node_usage_error("--rounds takes a number");
    if (!flags.has("--seconds")) options.duration = std::chrono::hours(24 * 365);
  }
  std::uint64_t seed = std::random_device{}();
  seed = (seed << 32) ^ std::random_device{}();
  options.plan.seed = number("--seed", ~0ul, seed, ok);
  if (!ok) return node_usage_error("--seed takes a number");
  options.concurrency = number("--concurrency", 256, 16, ok);
  if (!ok || options.concurrency == 0) return node_usage_error("--concurrency takes 1..256");
  options.check_interval = std::chrono::milliseconds(number("--check-interval", 3'600'000, 250, ok));
  options.reply_timeout = std::chrono::milliseconds(number("--timeout", 600'000, 2000, ok));
  if (!ok) return node_usage_error("--check-interval and --timeout take milliseconds");
  options.plan.atom_budget = number("--atom-budget", 1'000'000, 50'000, ok);
  if (!ok) return node_usage_error("--atom-budget takes 0..1000000");
  options.epmd_port = std::uint16_t(number("--epmd-port", 65535, 0, ok));
  if (!ok) return node_usage_error("--epmd-port takes a port number");
  if (auto phases = flags.value("--phases")) {
    options.plan.phases.clear();
    auto names = comma_list(*phases);
    if (!names) return node_usage_error("--phases: an empty phase name");
    for (const auto& name : *names) {
      auto phase = node::fuzz_phase_from_string(name);
      if (!phase) return node_usage_error("unknown phase '" + name + "'");
      options.plan.phases.push_back(*phase);
    }
    if (options.plan.phases.empty()) return node_usage_error("--phases needs at least one phase");
  }
  if (auto mutations = flags.value("--mutations")) {
    const auto known = node::all_mutations();
    if (*mutations == "list") {
      for (const auto& m : known) std::printf("%s\n", m.c_str());
      return kExitOk;
    }
    auto names = comma_list(*mutations);
    if (!names) return node_usage_error("--mutations: an empty mutation name");
    for (const auto& name : *names) {
      if (std::find(known.begin(), known.end(), name) == known.end())
        return node_usage_error("unknown mutation '" + name + "' (--mutations list prints them)");
      options.plan.mutations.push_back(name);
    }
    if (options.plan.mutations.empty()) return node_usage_error("--mutations needs at least one name");
  }
  options.plan.allow_known_crashers = flags.has("--allow-known-crashers");
  if (auto out = flags.value("--out")) options.out_dir = *out;
  if (auto corpus = flags.value("--corpus")) options.corpus_dir = *corpus;
  auto cookie = cookie_from_flags(flags, "fuzz node");
  if (!cookie) return kExitFailure;
  options.cookie = std::move(*cookie);
  if (!flags.has("--quiet"))
    options.progress = [](const std::string& line) { std::fprintf(stderr, "fuzz node: %s\n", line.c_str()); };

  std::printf("fuzz node: target %s, seed %llu, concurrency %zu%s\n", options.target_node.c_str(),
              (unsigned long long)options.plan.seed, options.concurrency,
              options.plan.allow_known_crashers ? ", known crashers allowed" : "");
  std::fflush(stdout);
  const std::string out_dir = options.out_dir;
  auto summary = node::run_live_fuzz(std::move(options));
  if (!summary) {
    std::fprintf(stderr, "distspec fuzz node: %s\n", summary.error().message.c_str());
    return kExitFailure;
  }
  print_summary(summary.value(), out_dir);
  return summary.value().finding_counts.empty() ? kExitOk : kExitFailure;
}

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
  if (args[0] == "node") return run_fuzz_node(args.subspan(1));
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

const CommandRegistration registration{{"fuzz", "differential fuzzing of the term decoder (fuzz diff), live-node fuzzing (fuzz node)", run_fuzz}};

}  // namespace
}  // namespace distspec::cli
