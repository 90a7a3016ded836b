// erl_interface (ei) as the baseline the etf benchmarks compare against.
//
// ei checks no bounds (a truncated input makes it read past the buffer), so these functions
// are only ever given BEAM-made, well-formed terms from the corpus.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "distspec/etf/term.hpp"

namespace distspec::bench {

// ei_skip_term over a whole term (with its 131). Returns the bytes used, or -1.
long ei_skip(std::span<const std::uint8_t> bytes);

// A full ei_decode_* walk: every value is decoded into locals and builds no term. Binaries are
// taken as pointers into the input (ei_decode_bitstring) unless copy_binaries, which copies them
// with ei_decode_binary into a scratch buffer. Returns a checksum of what was decoded (so the
// work cannot be optimised away), or -1 if ei rejected something.
long ei_walk(std::span<const std::uint8_t> bytes, bool copy_binaries);

// Encodes term with ei_x_encode_* into a fresh ei_x_buff (with version byte), as an ei user
// holding the term would; lists of bytes go out as strings, as term_to_binary writes them.
// Returns the encoded size, or -1 if ei failed or the term holds a fun (not in the corpus).
long ei_encode(const etf::Term& term);

}  // namespace distspec::bench
