// Encoding terms byte-for-byte as OTP 25 term_to_binary/1,2 does.
//
// The one allowed difference: maps of more than 32 keys are written in the order their pairs are
// held (BEAM writes its internal hash order), so a decoded map re-encodes to the bytes it came
// from; maps of at most 32 keys are written in map-key order, as BEAM does.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "distspec/etf/term.hpp"

namespace distspec::etf {

struct EncodeOptions {
  int minor_version = 1;                  // 0: floats as FLOAT_EXT; 2: atoms always UTF-8
  std::optional<int> compression_level;   // [compressed] = 6, {compressed, N} = N (0..9)
  bool utf8_atoms = false;                // the distribution's choice: atoms always as 118/119
  // Distribution only (proto's atom cache, requested by the connection layer): an atom for which
  // this returns an index is written as ATOM_CACHE_REF (82) with that index into the message's
  // header references. Null (the default): every atom is written inline.
  std::function<std::optional<std::uint8_t>(const Atom&)> atom_cache_index{};
};

// term_to_binary(T, Options): starts with 131.
std::vector<std::uint8_t> encode(const Term& term, const EncodeOptions& options = {});
// Appends the body (no 131, never compressed) to out: for distribution messages.
void encode_body(std::vector<std::uint8_t>& out, const Term& term, const EncodeOptions& options = {});

}  // namespace distspec::etf
