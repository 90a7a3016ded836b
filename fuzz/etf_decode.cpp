// etf_decode: any bytes into the term decoder (libFuzzer's own mutations).
// Invariants: check_round_trip in support/etf_invariants.hpp (encode -> decode gives an equal
// term; canonical bytes re-encode identically). The decoder's models (validate, decode_exact, the
// tape fresh and reused) are compared by etf_models, so this target stays fast.
#include <cstddef>
#include <cstdint>

#include "support/etf_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  distspec::fuzz::check_round_trip({data, size});
  return 0;
}
