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

inline std::uint64_t pointer(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

}  // namespace tape
}  // namespace distspec::etf
