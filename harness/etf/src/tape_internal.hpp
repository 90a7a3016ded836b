// How the tape's entries are laid out (shared by tape_build.cpp and tape.cpp; not public).
//
// Entry kinds are Term::Kind values plus two of the tape's own. Per kind:
//   Integer      payload = the int64 value (every integer that fits, whatever its tag)
//   BigInteger   flags = 1 if negative, count = magnitude bytes (no high zeros), payload = pointer
//   Float        payload = the double's bits
//   Atom         count = UTF-8 bytes, payload = pointer (or side-buffer offset if flags & kInSide)
//   Nil
//   kByteList    a non-empty STRING_EXT: count = bytes, payload = pointer
//   Bitstring    flags = bits in the last byte (| kInSide), count = bytes, payload = pointer/offset
//   Tuple, Map   count = arity / pairs, payload = index one past the last entry it holds;
//                children follow (a map: key, value, key, value, ...)
//   List         count = elements (>= 1), payload = end index; the elements then the tail follow
//   Pid, Port    flags = tag, payload = pointer to the fields after the node; the node atom
//                follows (next entry)
//   Reference    the same, count = ID words
//   ExportFun    payload = arity; the module and function atoms follow
//   LocalFun     count = free variables, payload = end index; then kFunFixed (payload = pointer to
//                Size..NumFree), module atom, old index and old uniq (Integer), the pid (Pid + node),
//                then the free variables
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "distspec/etf/tape.hpp"

namespace distspec::etf {

struct TapeAccess {
  static std::unique_ptr<TapeEntry[]>& entries(TermTape& t) { return t.entries_; }
  static std::size_t& size(TermTape& t) { return t.size_; }
  static std::size_t& capacity(TermTape& t) { return t.capacity_; }
  static std::vector<std::uint8_t>& side(TermTape& t) { return t.side_; }
  static std::shared_ptr<std::vector<std::uint8_t>>& inflated(TermTape& t) { return t.inflated_; }
  static std::size_t& used(TermTape& t) { return t.used_; }
  static TermRef ref(const TermTape& t, std::uint32_t index) { return TermRef(&t, index); }
};

namespace tape {

inline constexpr std::uint8_t kind(Term::Kind k) { return static_cast<std::uint8_t>(k); }
inline constexpr std::uint8_t kByteList = 14;
inline constexpr std::uint8_t kFunFixed = 15;
inline constexpr std::uint8_t kInSide = 0x80;
inline constexpr std::uint8_t kBitsMask = 0x0F;
inline constexpr std::uint32_t kFunHeaderEntries = 7;  // LocalFun .. the pid's node

// Entries a value of each kind takes when it is not a compound; 0 for compounds, whose payload
// is the index past them.
inline constexpr auto kEntrySpan = [] {
  std::array<std::uint8_t, 16> span{};
  span.fill(1);
  for (Term::Kind k : {Term::Kind::Tuple, Term::Kind::List, Term::Kind::Map, Term::Kind::LocalFun})
    span[std::size_t(k)] = 0;
  for (Term::Kind k : {Term::Kind::Pid, Term::Kind::Port, Term::Kind::Reference})
    span[std::size_t(k)] = 2;
  span[std::size_t(Term::Kind::ExportFun)] = 3;
  return span;
}();

inline std::uint32_t next_index(const TapeEntry* e, std::uint32_t i) {
  const std::uint8_t span = kEntrySpan[e[i].kind & 15];
  return span != 0 ? i + span : std::uint32_t(e[i].payload);
}

inline const std::uint8_t* data_of(const std::vector<std::uint8_t>& side, const TapeEntry& e) {
  if (e.flags & kInSide) return side.data() + e.payload;
  return reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(e.payload));
}

inline std::uint64_t pointer(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

}  // namespace tape
}  // namespace distspec::etf
