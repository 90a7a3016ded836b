#include "diff/campaign.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>

#include "diff/allow_list.hpp"
#include "diff/ei_oracle.hpp"
#include "diff/oracle.hpp"
#include "distspec/etf/decode.hpp"
#include "distspec/etf/text.hpp"
#include "distspec/process/beam_oracle.hpp"
#include "support/etf_mutator.hpp"

namespace distspec::fuzz {
namespace {
using Bytes = std::vector<std::uint8_t>;
// One kind of disagreement usually has one cause: keep a few examples, count the rest.
constexpr std::uint64_t kMaxSavedPerKind = 20;

// binary_to_term/2 in one long-lived runtime, restarted when it dies (an input that kills it twice
// is a Crashed verdict) and before its atom table fills (every accepted atom stays for its life).
class BeamDecoderOracle final : public DecoderOracle {
 public:
  explicit BeamDecoderOracle(const std::string& erl) : beam_(erl) {}
  std::string_view name() const override { return "beam"; }
  OracleVerdict judge(std::span<const std::uint8_t> input) override {
    const bool check_atoms = ++since_atom_check_ >= kAtomCheckEvery;
    if (check_atoms) since_atom_check_ = 0;
    OracleVerdict out;
    for (int attempt = 0; attempt < 2; ++attempt) {
      try {
        if (check_atoms && attempt == 0 && beam_.atom_count() > kAtomRestartThreshold) beam_.restart();
        process::BeamVerdict v = beam_.binary_to_term(input);
        out.status = v.accepted ? OracleVerdict::Status::Accepted : OracleVerdict::Status::Rejected;
        out.used = v.used;
        out.reencoded = std::move(v.reencoded);
        out.text = std::move(v.printed);
        return out;
      } catch (const std::runtime_error&) {
        beam_.restart();
      }
    }
    out.status = OracleVerdict::Status::Crashed;
    return out;
  }

 private:
  static constexpr std::size_t kAtomRestartThreshold = 500'000;  // of 1 048 576 by default
  static constexpr std::size_t kAtomCheckEvery = 2'000;
  process::BeamOracle beam_;
  std::size_t since_atom_check_ = 0;
};

struct Finding {
  std::string kind;                          // file name prefix
  std::optional<std::string_view> allowed;   // allow-list reason
};

const char* kind_name(DiffKind k) {
  switch (k) {
    case DiffKind::AcceptReject: return "accept-reject";
    case DiffKind::Used: return "used";
    case DiffKind::Term: return "term";
    case DiffKind::OracleCrash: return "oracle-crash";
  }
  return "?";
}

std::string hex(std::span<const std::uint8_t> bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (auto b : bytes) s += digits[b >> 4], s += digits[b & 15];
  return s;
}

std::string sha1_hex(std::span<const std::uint8_t> bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha1(), nullptr);
  return hex({md, len});
}

class Campaign {
 public:
  Campaign(const DiffOptions& options, DecoderOracle& oracle, std::FILE* out)
      : options_(options), oracle_(oracle), out_(out) {}

  // nullopt: the two sides agree (or the input was not sent: ei only gets what we accept).
  std::optional<Finding> compare(std::span<const std::uint8_t> input) {
    last_agreement_ = nullptr;
    auto ours = etf::decode(input);
    if (options_.against == Oracle::Ei && !ours.ok()) return std::nullopt;
    const OracleVerdict theirs = oracle_.judge(input);
    const bool accepted = theirs.status == OracleVerdict::Status::Accepted;
    std::optional<DiffKind> kind;
    if (theirs.status == OracleVerdict::Status::Crashed) {
      kind = DiffKind::OracleCrash;
    } else if (ours.ok() != accepted) {
      kind = DiffKind::AcceptReject;
    } else if (!ours.ok()) {
      last_agreement_ = &summary_.both_reject;
      return std::nullopt;
    } else if (ours->used != theirs.used) {
      kind = DiffKind::Used;
    } else {
      auto back = etf::decode_exact(theirs.reencoded);
      if (!back.ok() || !(back.value() == ours->term)) kind = DiffKind::Term;
    }
    if (!kind) {
      last_agreement_ = &summary_.both_accept;
      return std::nullopt;
    }
    Finding f{kind_name(*kind), std::nullopt};
    const Disagreement d{*kind, input, ours.ok() ? nullptr : &ours.error(), ours.ok() ? &ours->term : nullptr,
                         accepted};
    f.allowed = options_.against == Oracle::Beam ? allowed_beam_difference(d) : allowed_ei_difference(d);
    return f;
  }

  // Removes chunks of bytes while the same (not allowed) disagreement remains.
  Bytes minimize(Bytes input, const std::string& kind) {
    std::size_t budget = 3000;  // oracle calls
    for (std::size_t chunk = std::max<std::size_t>(input.size() / 2, 1); chunk >= 1; chunk /= 2) {
      for (std::size_t at = 0; at + chunk <= input.size() && budget > 0; --budget) {
        Bytes candidate = input;
        candidate.erase(candidate.begin() + at, candidate.begin() + at + chunk);
        auto f = compare(candidate);
        if (f && f->kind == kind && !f->allowed) input = std::move(candidate);
        else at += chunk;
      }
      if (chunk == 1) break;
    }
    return input;
  }

  void save(const Bytes& input, const std::string& kind) {
    std::filesystem::create_directories(options_.out_dir);
    const std::string base = options_.out_dir + "/" + kind + "-" + sha1_hex(input);
    if (std::filesystem::exists(base + ".bin")) return;
    std::ofstream(base + ".bin", std::ios::binary).write(reinterpret_cast<const char*>(input.data()), input.size());
    std::ofstream txt(base + ".txt");
    txt << "kind: " << kind << "\ninput (" << input.size() << " bytes): " << hex(input) << "\n";
    auto ours = etf::decode(input);
    if (ours.ok())
      txt << "distspec: accepted, used " << ours->used << ": " << etf::format(ours->term) << "\n";
    else
      txt << "distspec: rejected: " << etf::to_string(ours.error().code) << " at offset " << ours.error().offset << "\n";
    const OracleVerdict theirs = oracle_.judge(input);
    txt << oracle_.name() << ": ";
    switch (theirs.status) {
      case OracleVerdict::Status::Accepted: txt << "accepted, used " << theirs.used << ": " << theirs.text << "\n"; break;
      case OracleVerdict::Status::Rejected: txt << "rejected\n"; break;
      case OracleVerdict::Status::Crashed: txt << "crashed\n"; break;
    }
    std::fprintf(out_, "  disagreement (%s) saved: %s.bin\n", kind.c_str(), base.c_str());
  }

  DiffSummary run() {
    auto seeds = load_corpus(options_.corpus_dir);
    if (seeds.empty()) throw std::runtime_error("no inputs in " + options_.corpus_dir);
    const std::uint64_t seed = options_.seed ? options_.seed : std::random_device{}() | 1;
    std::fprintf(out_, "fuzz diff --against %.*s: %zu seeds from %s, seed %llu, findings in %s\n",
                 int(oracle_.name().size()), oracle_.name().data(), seeds.size(), options_.corpus_dir.c_str(),
                 (unsigned long long)seed, options_.out_dir.c_str());
    std::mt19937_64 rng(seed);
    auto bytes_fallback = [&](std::uint8_t* d, std::size_t s, std::size_t m) { return mutate_bytes(d, s, m, rng); };
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    double next_progress = 10;
    for (std::uint64_t i = 0;; ++i) {
      if (options_.max_inputs ? i >= options_.max_inputs : elapsed() >= options_.seconds) break;
      Bytes input = seeds[i < seeds.size() ? i : rng() % seeds.size()];
      if (i >= seeds.size()) {  // the seeds as they are first, then stacked mutations
        const std::size_t size = input.size(), max_size = std::min<std::size_t>(size * 2 + 64, 1 << 16);
        input.resize(max_size);
        std::size_t n = size;
        for (int m = 0, rounds = 1 + int(rng() % 3); m < rounds; ++m)
          n = mutate_etf(input.data(), n, max_size, rng(), bytes_fallback);
        input.resize(n);
      }
      ++summary_.inputs;
      auto finding = compare(input);
      if (last_agreement_) ++*last_agreement_;
      if (finding && finding->allowed) {
        ++summary_.allowed;
        ++allowed_counts_[std::string(*finding->allowed)];
      } else if (finding) {
        ++summary_.disagreements;
        if (++saved_per_kind_[finding->kind] > kMaxSavedPerKind) continue;  // counted, not saved
        // A crashing oracle restarts on every try: minimizing would take minutes.
        save(finding->kind == "oracle-crash" ? input : minimize(input, finding->kind), finding->kind);
      }
      if (elapsed() >= next_progress) {
        std::fprintf(out_, "  %llu inputs, %.0f/s, %llu disagreements\n", (unsigned long long)summary_.inputs,
                     summary_.inputs / elapsed(), (unsigned long long)summary_.disagreements);
        std::fflush(out_);
        next_progress += 10;
      }
    }
    const double seconds = elapsed();
    std::fprintf(out_, "%llu inputs in %.1f s (%.0f/s): both accept %llu, both reject %llu, allowed %llu, "
                       "disagreements %llu\n",
                 (unsigned long long)summary_.inputs, seconds, summary_.inputs / std::max(seconds, 1e-9),
                 (unsigned long long)summary_.both_accept, (unsigned long long)summary_.both_reject,
                 (unsigned long long)summary_.allowed, (unsigned long long)summary_.disagreements);
    for (auto& [kind, count] : saved_per_kind_)
      std::fprintf(out_, "  disagreements of kind %s: %llu (%llu saved)\n", kind.c_str(), (unsigned long long)count,
                   (unsigned long long)std::min(count, kMaxSavedPerKind));
    for (auto& [reason, count] : allowed_counts_)
      std::fprintf(out_, "  allowed %llu x: %s\n", (unsigned long long)count, reason.c_str());
    return summary_;
  }

 private:
  static std::vector<Bytes> load_corpus(const std::string& dir) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<Bytes> out;
    for (auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
  }

  const DiffOptions& options_;
  DecoderOracle& oracle_;
  std::FILE* out_;
  DiffSummary summary_;
  std::uint64_t* last_agreement_ = nullptr;  // the counter the last compare() agreed on
  std::map<std::string, std::uint64_t> allowed_counts_;
  std::map<std::string, std::uint64_t> saved_per_kind_;
};

}  // namespace

std::string default_corpus_dir() { return std::string(DISTSPEC_CORPORA_DIR) + "/etf_decode"; }

DiffSummary run_diff_campaign(const DiffOptions& options, std::FILE* out) {
  std::signal(SIGPIPE, SIG_IGN);  // a dead oracle must not kill the campaign
  std::unique_ptr<DecoderOracle> oracle;
  if (options.against == Oracle::Beam) oracle = std::make_unique<BeamDecoderOracle>(options.erl);
  else oracle = make_ei_oracle(options.self_executable);
  return Campaign(options, *oracle, out).run();
}

}  // namespace distspec::fuzz
