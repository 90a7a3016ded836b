// etf_decode: any bytes into the term decoder (libFuzzer's own mutations).
// Invariants: see support/etf_invariants.hpp (round trip; canonical bytes re-encode identically).
#include <cstddef>
#include <cstdint>

#include "support/etf_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  distspec::fuzz::check_decode_invariants({data, size});
  return 0;
}
