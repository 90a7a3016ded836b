// The invariants of the term decoder, shared by the etf_decode and etf_structured targets.
#pragma once

#include <cstdint>
#include <span>

namespace distspec::fuzz {

// Aborts (FUZZ_CHECK) unless, for any bytes:
// - decode() and validate() agree on accept/reject and on the bytes used; decode_exact() accepts
//   exactly when decode() used every byte; views and copies of binaries decode to equal terms;
// - decode_tape() (fresh, and into a tape reused across inputs) gives decode()'s verdict, error
//   code and offset, and bytes used, and its to_term() equals decode()'s term;
// - an accepted term encodes to bytes that decode_exact() turns back into an equal (=:=) term;
// - bytes that term_to_binary/1 could have produced (is_t2b_canonical, after inflating a top-level
//   COMPRESSED envelope) re-encode to the same bytes;
// - a compressed input's term encodes compressed and decodes back equal.
void check_decode_invariants(std::span<const std::uint8_t> input);

}  // namespace distspec::fuzz
