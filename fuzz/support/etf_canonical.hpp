// Which ETF byte strings OTP 25 term_to_binary/1 could have written.
//
// etf_decode asserts that such bytes re-encode to themselves. "Canonical" here means, checked on the
// bytes alone (term-format.md §4), for a 131-prefixed, uncompressed term with no trailing bytes:
// - integers: 0..255 as SMALL_INTEGER_EXT; other int32 values as INTEGER_EXT; everything else as a
//   bignum with sign byte 0/1, no most-significant zero byte, SMALL_BIG_EXT when it has at most
//   255 digit bytes, LARGE_BIG_EXT otherwise;
// - floats as NEW_FLOAT_EXT; atoms as ATOM_EXT when every character is <= U+00FF, otherwise
//   SMALL_ATOM_UTF8_EXT (<= 255 bytes) or ATOM_UTF8_EXT (more);
// - a proper list of 1..65535 SMALL_INTEGER_EXT elements as STRING_EXT (never of length 0);
//   any other non-empty list as LIST_EXT with length >= 1 whose tail is not itself a list
//   (NIL_EXT, or a non-list term);
// - tuples: SMALL_TUPLE_EXT up to arity 255, LARGE_TUPLE_EXT above;
// - binaries as BINARY_EXT; bitstrings as BIT_BINARY_EXT with length >= 1, 1..7 bits and the
//   unused low bits zero;
// - maps of at most 32 keys with keys strictly increasing in map_key_less order (larger maps in
//   any order: our encoder keeps the order it decoded);
// - NEW_PID_EXT; NEW_PORT_EXT when the id fits 28 bits, V4_PORT_EXT otherwise;
//   NEWER_REFERENCE_EXT with 1..5 words; EXPORT_EXT with a SMALL_INTEGER_EXT arity;
//   NEW_FUN_EXT with a correct Size field, canonical OldIndex/OldUniq and a NEW_PID_EXT pid;
// - node names and fun modules are canonical atoms; every nested term is canonical.
// Never canonical: legacy tags (99, 101, 102, 103, 114, 115), internal tags (73, 75),
// ATOM_CACHE_REF, nested COMPRESSED, anything trailing the term.
// Terms nested deeper than kCanonicalMaxDepth are reported as not canonical (not checked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace distspec::fuzz {

inline constexpr std::size_t kCanonicalMaxDepth = 2000;  // the checker recurses on the C++ stack

bool is_t2b_canonical(std::span<const std::uint8_t> bytes);

// For a top-level COMPRESSED term (131, 80, Size:32, zlib): 131 followed by the inflated body.
// nullopt when the input is not compressed or does not inflate to exactly Size bytes.
std::optional<std::vector<std::uint8_t>> inflate_envelope(std::span<const std::uint8_t> bytes);

}  // namespace distspec::fuzz
