// etf_models: any bytes into every model of the term decoder (libFuzzer's own mutations).
// Invariants: check_model_agreement in support/etf_invariants.hpp (decode, validate, decode_exact,
// the tape fresh and reused, binary views: same verdict, error, bytes used and term).
#include <cstddef>
#include <cstdint>

#include "support/etf_invariants.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  distspec::fuzz::check_model_agreement({data, size});
  return 0;
}
