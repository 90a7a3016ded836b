// Decoding the External Term Format (sans-I/O: bytes in, a Term or an error out).
//
// Accepts exactly what OTP 25 binary_to_term/1 accepts (see ../shared/spec/term-format.md),
// including COMPRESSED at the top level and non-canonical encodings. Errors carry a reason and the
// byte offset where decoding stopped. Untrusted input can never crash the decoder, overflow the
// stack (nesting is handled without recursion on the C++ stack, or bounded), or make it allocate
// more than the input justifies (every count is checked against the bytes that remain).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "distspec/etf/result.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::etf {

enum class DecodeErrorCode : std::uint8_t {
  Truncated,             // input ended inside a term
  BadVersion,            // first byte is not 131
  UnknownTag,            // a tag OTP 25 does not decode
  BadAtom,               // too long, invalid UTF-8, or an unusable atom-cache reference
  BadFloat,              // NaN/Inf or unparseable FLOAT_EXT
  BadBitstring,          // BIT_BINARY_EXT with an illegal bit count
  BadCreation,           // 8-bit creation > 3
  BadReference,          // reference word count out of range
  BadNodeName,           // a pid/port/ref node field that is not an atom
  BadFun,                // malformed EXPORT_EXT / NEW_FUN_EXT
  DuplicateMapKey,
  BigTooLarge,           // bignum over BIG_ARITY_MAX bytes
  Compression,           // zlib error, size mismatch, or nested 131
  UnsafeAtom,            // [safe]: the atom does not exist yet
  TooDeep,               // nesting over DecodeOptions::max_depth
  TooLarge,              // a count that the remaining input cannot justify
  TrailingBytes,         // decode_exact(): bytes left over after the term
};

std::string_view to_string(DecodeErrorCode code);

struct DecodeError {
  DecodeErrorCode code;
  std::size_t offset;  // byte offset in the input where the problem was found
};

// The atom cache of a distribution connection, for ATOM_CACHE_REF (82) inside 'D' messages.
struct AtomCacheView {
  // Returns null when index is not set for this message.
  std::function<const Atom*(std::uint8_t index)> lookup;
};

// The decoding node, for the checks OTP applies only to pids/ports/references naming itself.
struct LocalNode {
  std::string name;            // e.g. "nonode@nohost" (what a non-distributed erl is)
  std::uint32_t creation = 0;  // creation 0 also names the local node, as in OTP
};

struct DecodeOptions {
  // Mirrors binary_to_term(B, [safe]): refuse terms that would create a new atom. Whether an atom
  // exists is the caller's knowledge: `atom_exists` answers it (null = every atom is new).
  bool safe = false;
  std::function<bool(std::string_view utf8)> atom_exists;
  // [safe] also refuses `fun M:F/A` unless M:F/A is a loaded export; null = every export counts
  // as loaded (only the atom check applies).
  std::function<bool(const ExportFun&)> export_exists;
  // When set, pids/ports/references naming this node get OTP's local limits (pid ID < 2^15 and
  // serial < 2^13, port ID < 2^28, reference of at most 3 words with first word < 2^18).
  const LocalNode* local_node = nullptr;
  // Binaries as views into the input instead of copies: the caller keeps the input alive.
  bool binary_views = false;
  // Used only for terms after a distribution header (ATOM_CACHE_REF is an error elsewhere).
  const AtomCacheView* atom_cache = nullptr;
  // Nesting deeper than this fails with TooDeep (BEAM itself has no such limit; ours is generous).
  std::size_t max_depth = 1'000'000;
};

struct Decoded {
  Term term;
  std::size_t used;  // bytes consumed, including the 131 (as binary_to_term(B, [used]))
};

// binary_to_term/1: bytes start with 131; trailing bytes are ignored, as OTP 25 does.
Result<Decoded, DecodeError> decode(std::span<const std::uint8_t> bytes,
                                    const DecodeOptions& options);
// Like decode(), but fails with TrailingBytes if anything follows the term.
Result<Term, DecodeError> decode_exact(std::span<const std::uint8_t> bytes,
                                       const DecodeOptions& options);
// A term body without the 131 (inside distribution messages after a 'D'/'E' header).
Result<Decoded, DecodeError> decode_body(std::span<const std::uint8_t> bytes,
                                         const DecodeOptions& options);
// Checks that bytes hold one valid term (with 131) without building it; returns the bytes used.
// Same verdict as decode() (and the same error, except that the offset of an error found inside
// a map with non-simple keys may differ).
Result<std::size_t, DecodeError> validate(std::span<const std::uint8_t> bytes,
                                          const DecodeOptions& options);

// The same with default options (overloads rather than default arguments: no DecodeOptions is
// built per call).
Result<Decoded, DecodeError> decode(std::span<const std::uint8_t> bytes);
Result<Term, DecodeError> decode_exact(std::span<const std::uint8_t> bytes);
Result<Decoded, DecodeError> decode_body(std::span<const std::uint8_t> bytes);
Result<std::size_t, DecodeError> validate(std::span<const std::uint8_t> bytes);

}  // namespace distspec::etf
