// The encoder's state, shared by its files: encode_walk.cpp (the walk over the Term and the
// common kinds, the hot path), encode_rare.cpp (bignums, atoms off the ASCII fast path, pids,
// ports, references, funs) and encode.cpp (the public entry points, compression). Not public.
//
// Speed: the write position is a local of run() (a store through a byte pointer may alias any
// member, so a member cursor is reloaded after every store). Each value first makes room for its
// largest encoding (one compare; the buffer doubles when short), then is written with raw stores.
// encode() writes into a buffer the thread keeps and copies the result out once, so a fresh vector
// is neither zero-filled nor copied as it doubles.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "distspec/etf/encode.hpp"

namespace distspec::etf::detail {

using Kind = Term::Kind;

inline std::uint8_t* put16(std::uint8_t* p, std::uint16_t v) {
  v = std::uint16_t(v << 8 | v >> 8);
  std::memcpy(p, &v, 2);
  return p + 2;
}
inline std::uint8_t* put32(std::uint8_t* p, std::uint32_t v) {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
  return p + 4;
}
inline std::uint8_t* put64(std::uint8_t* p, std::uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
  return p + 8;
}
inline std::uint8_t* put_bytes(std::uint8_t* p, const void* bytes, std::size_t n) {
  if (n) std::memcpy(p, bytes, n);
  return p + n;
}

// Largest encodings, made room for before writing.
inline constexpr std::size_t kMaxInteger = 11;  // SMALL_BIG_EXT of 8 bytes
inline std::size_t atom_bound(const Atom& a) { return 3 + a.name.size(); }


// encode()'s buffer, kept by the thread across calls (not zero-filled). It grows to at most
// kLimit: a larger output moves to the result vector (so a thread pins at most kLimit, and a big
// binary is not copied twice).
struct Scratch {
  static constexpr std::size_t kLimit = std::size_t(256) << 10;
  std::unique_ptr<std::uint8_t[]> data;
  std::size_t capacity = 0;
};

class Encoder {
 public:
  // Appends to out (on an exception, out is as it was).
  Encoder(std::vector<std::uint8_t>& out, const EncodeOptions& options)
      : vector_(&out), options_(options),
        utf8_atoms_(options.utf8_atoms || options.minor_version >= 2) {}
  // Writes into scratch from its start, or, once the output outgrows it, into spill (then of
  // run()'s size; left empty otherwise).
  Encoder(Scratch& scratch, std::vector<std::uint8_t>& spill, const EncodeOptions& options)
      : scratch_(&scratch), spill_(&spill), options_(options),
        utf8_atoms_(options.utf8_atoms || options.minor_version >= 2) {}

  // Returns the size written (with the 131 first when `version`).
  std::size_t run(const Term& root, bool version = false);

 private:
  // What is left to write of one compound. Leaves are written as they are reached, so only
  // compounds cost a frame.
  enum class FrameKind : std::uint8_t { Items, Pairs, SortedPairs, FunSize };
  struct Frame {
    Frame(FrameKind k, const void* p, std::size_t n) : kind(k), at(p), left(n) {}
    FrameKind kind;
    bool value_next = false;  // Pairs/SortedPairs: the key of the current pair is written
    const void* at;           // the next Term, pair, or (SortedPairs) index into order_
    std::size_t left;         // items or pairs left; FunSize: where the Size field is
  };

  // Makes room for n more bytes at p; returns where p now is.
  std::uint8_t* room(std::uint8_t* p, std::size_t n) {
    if (std::size_t(end_ - p) < n) [[unlikely]] return grow(p, n);
    return p;
  }
  [[gnu::noinline]] std::uint8_t* grow(std::uint8_t* p, std::size_t n);
  std::uint8_t* drain(std::uint8_t* p);  // writes what the frames hold
  std::uint8_t* term(std::uint8_t* p, const Term& t);  // a leaf; a compound's header and frames

  std::uint8_t* integer(std::uint8_t* p, std::int64_t v);
  static std::uint8_t* big(std::uint8_t* p, bool negative, const std::uint8_t* magnitude, std::size_t n);
  std::uint8_t* float_(std::uint8_t* p, double v);
  std::uint8_t* atom(std::uint8_t* p, const Atom& a);
  [[gnu::noinline]] std::uint8_t* atom_slow(std::uint8_t* p, const Atom& a);
  std::uint8_t* list(std::uint8_t* p, const List& l);
  std::uint8_t* map(std::uint8_t* p, const Map& m);
  static std::uint8_t* bitstring(std::uint8_t* p, const Bitstring& b);
  [[gnu::noinline]] std::uint8_t* other(std::uint8_t* p, const Term& t);  // pids, ports, refs, funs

  std::vector<std::uint8_t>* vector_ = nullptr;  // the output: this vector (its size is the room),
  Scratch* scratch_ = nullptr;                   // or (while vector_ is null) this buffer
  std::vector<std::uint8_t>* spill_ = nullptr;   // where a scratch output too large goes
  std::uint8_t* base_ = nullptr;                 // the output's first byte
  std::uint8_t* end_ = nullptr;                  // the end of the room
  const EncodeOptions& options_;
  bool utf8_atoms_;
  std::vector<Frame> stack_;
  std::vector<const std::pair<Term, Term>*> order_;  // small maps not in map-key order, sorted
};

}  // namespace distspec::etf::detail
