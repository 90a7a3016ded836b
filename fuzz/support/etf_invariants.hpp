// The invariants of the term decoder: etf_decode checks the round trip, etf_models that the
// decoder's models agree, etf_structured (and `distspec fuzz diff`'s mutations) both.
#pragma once

#include <cstdint>
#include <span>

namespace distspec::fuzz {

// etf_decode (issue 5). Aborts (FUZZ_CHECK) unless, for any bytes the decoder accepts:
// - it used at most the input;
// - the term encodes to bytes that decode, using all of them, into an equal (=:=) term;
// - bytes that term_to_binary/1 could have produced (is_t2b_canonical, after inflating a top-level
//   COMPRESSED envelope) re-encode to the same bytes;
// - a compressed input's term encodes compressed and decodes back equal.
// The decoder runs into one tape kept across inputs: decode() is decode_tape_into() a fresh tape
// followed by to_term(), and check_model_agreement() checks that both give the same.
void check_round_trip(std::span<const std::uint8_t> input);

// etf_models. Aborts unless, for any bytes:
// - decode() and validate() agree on accept/reject and on the bytes used; decode_exact() accepts
//   exactly when decode() used every byte; views and copies of binaries decode to equal terms;
// - decode_tape() (fresh, and into a tape reused across inputs) gives decode()'s verdict, error
//   code and offset, and bytes used, and its to_term() equals decode()'s term.
void check_model_agreement(std::span<const std::uint8_t> input);

// Both of the above.
void check_decode_invariants(std::span<const std::uint8_t> input);

}  // namespace distspec::fuzz
