// etf_structured: the etf_decode invariants, with a structure-aware mutator
// (support/etf_mutator.hpp) that mutates the decoded tree and re-encodes it the ways other
// encoders would; inputs that do not decode fall back to libFuzzer's byte mutations.
#include <cstddef>
#include <cstdint>

#include "support/etf_invariants.hpp"
#include "support/etf_mutator.hpp"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  distspec::fuzz::check_decode_invariants({data, size});
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  return distspec::fuzz::mutate_etf(data, size, max_size, seed, LLVMFuzzerMutate);
}
