// The decoder's memory is bounded by its input: decoding n bytes never holds more than
// kBytesPerInputByte * n + kFixedBytes bytes of heap at once. Every input byte can become at most
// one Term (a 1-byte NIL_EXT list element), so the multiple is a few sizeof(Term); for a top-level
// COMPRESSED term n is the inflated size, since the decoder must build what zlib legitimately
// produced (but never what the size field merely claims). decode_tape() is held to a smaller
// multiple (kTapeBytesPerInputByte).
//
// Global operator new/delete are replaced in this executable to count live bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <random>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/tape.hpp"
#include "support/etf_canonical.hpp"
#include "support/etf_mutator.hpp"

namespace {
std::atomic<bool> counting{false};
std::size_t live_bytes = 0, peak_bytes = 0;
constexpr std::size_t kHeader = alignof(std::max_align_t);

void* counted_alloc(std::size_t size) {
  auto* p = static_cast<unsigned char*>(std::malloc(size + kHeader));
  if (!p) throw std::bad_alloc();
  *reinterpret_cast<std::size_t*>(p) = size;
  if (counting.load(std::memory_order_relaxed)) {
    live_bytes += size;
    peak_bytes = std::max(peak_bytes, live_bytes);
  }
  return p + kHeader;
}
void counted_free(void* ptr) {
  if (!ptr) return;
  auto* p = static_cast<unsigned char*>(ptr) - kHeader;
  const std::size_t size = *reinterpret_cast<std::size_t*>(p);
  if (counting.load(std::memory_order_relaxed)) live_bytes -= std::min(size, live_bytes);
  std::free(p);
}
}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

namespace {
using namespace distspec;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kBytesPerInputByte = 3 * sizeof(etf::Term);
// The tape: at most one 16-byte entry per input byte, its growth (old and new block at once), the
// stack of open compounds (24 bytes per level, a level takes >= 2 bytes) and UTF-8 of Latin-1.
constexpr std::size_t kTapeBytesPerInputByte = 3 * sizeof(etf::TapeEntry);
constexpr std::size_t kFixedBytes = 64 * 1024;  // zlib's inflate state and window, small vectors

// Peak heap held while decoding `input` (the decoded term or tape included).
template <class Decode>
std::size_t peak_while(const Bytes& input, Decode decode) {
  live_bytes = peak_bytes = 0;
  counting = true;
  {
    auto result = decode(input);
    (void)result;
  }
  counting = false;
  return peak_bytes;
}

double worst_ratio = 0;       // peak heap per input byte, over inputs of at least 256 bytes
double worst_tape_ratio = 0;
std::size_t largest_peak = 0;  // proves the counting allocator is in use

void expect_bounded(const Bytes& input, const std::string& what) {
  std::size_t n = input.size();
  if (auto inflated = fuzz::inflate_envelope(input)) n = std::max(n, inflated->size());
  const std::size_t peak = peak_while(input, [](const Bytes& b) { return etf::decode(b); });
  const std::size_t allowed = kBytesPerInputByte * n + kFixedBytes;
  largest_peak = std::max(largest_peak, peak);
  if (n >= 256) worst_ratio = std::max(worst_ratio, double(peak) / double(n));
  EXPECT_LE(peak, allowed) << what << ": " << n << " input bytes";
  const std::size_t tape_peak = peak_while(input, [](const Bytes& b) { return etf::decode_tape(b); });
  if (n >= 256) worst_tape_ratio = std::max(worst_tape_ratio, double(tape_peak) / double(n));
  EXPECT_LE(tape_peak, kTapeBytesPerInputByte * n + kFixedBytes) << what << " (tape): " << n << " input bytes";
}

std::vector<Bytes> corpus(const char* target) {
  std::vector<Bytes> out;
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator(std::filesystem::path(DISTSPEC_CORPORA_DIR) / target, ec)) {
    std::ifstream in(entry.path(), std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

TEST(AllocBound, HostileLengthClaimsAllocateNothingLarge) {
  const std::vector<Bytes> claims = {
      {131, 108, 0xff, 0xff, 0xff, 0xff, 106, 106, 106, 106},     // 2^32-1 list elements
      {131, 109, 0xff, 0xff, 0xff, 0xff, 0},                      // 2^32-1 binary bytes
      {131, 105, 0x01, 0x00, 0x00, 0x00, 106},                    // 2^24 tuple elements
      {131, 116, 0x7f, 0xff, 0xff, 0xff, 106, 106},               // 2^31-1 map pairs
      {131, 111, 0x00, 0x3f, 0xff, 0xf8, 0, 1},                   // 4 MiB bignum
      {131, 107, 0xff, 0xff, 1},                                  // 65535-byte string
      {131, 80, 0xff, 0xff, 0xff, 0xff, 0x78, 0x9c, 0x03, 0x00},  // claims 4 GiB inflated
      {131, 90, 0xff, 0xff, 100, 0, 1, 97, 0, 0, 0, 0},           // 65535 reference words
  };
  for (std::size_t i = 0; i < claims.size(); ++i) expect_bounded(claims[i], "claim #" + std::to_string(i));
}

TEST(AllocBound, CorpusAndMutationsStayWithinAMultipleOfTheInput) {
  auto seeds = corpus("etf_decode");
  ASSERT_FALSE(seeds.empty()) << "corpora/etf_decode is empty";
  for (std::size_t i = 0; i < seeds.size(); ++i) expect_bounded(seeds[i], "seed #" + std::to_string(i));

  const std::uint64_t seed = std::getenv("DISTSPEC_SEED") ? std::strtoull(std::getenv("DISTSPEC_SEED"), nullptr, 0)
                                                            : std::random_device{}();
  std::printf("mutation seed %llu (rerun with DISTSPEC_SEED=%llu)\n", (unsigned long long)seed,
              (unsigned long long)seed);
  std::mt19937_64 rng(seed);
  auto bytes_fallback = [&](std::uint8_t* d, std::size_t s, std::size_t m) { return fuzz::mutate_bytes(d, s, m, rng); };
  for (int i = 0; i < 5000 && !HasFailure(); ++i) {
    Bytes input = seeds[rng() % seeds.size()];
    const std::size_t max_size = input.size() + 256;
    input.resize(max_size);
    input.resize(fuzz::mutate_etf(input.data(), max_size - 256, max_size, rng(), bytes_fallback));
    expect_bounded(input, "mutation #" + std::to_string(i));
  }
  std::printf("worst heap/input ratio %.1f bytes per input byte over inputs >= 256 bytes (allowed %zu + %zu fixed)\n",
              worst_ratio, kBytesPerInputByte, kFixedBytes);
  std::printf("tape: worst heap/input ratio %.1f (allowed %zu + %zu fixed)\n", worst_tape_ratio,
              kTapeBytesPerInputByte, kFixedBytes);
  EXPECT_GT(largest_peak, 0u) << "the counting operator new is not in use";
}

}  // namespace
