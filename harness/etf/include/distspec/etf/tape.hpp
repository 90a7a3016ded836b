// A read-only decoded term on a tape: the fast decoded model, next to the owned Term.
//
// decode_tape() reads the External Term Format in one pass into one contiguous vector of 16-byte
// entries (kind, a count, an 8-byte payload), in the spirit of simdjson's tape: no allocation per
// value, atoms, binaries, byte strings (STRING_EXT stays one entry) and bignum magnitudes are
// views into the input, compounds record where they end so siblings are skipped in O(1).
// Latin-1 atoms beyond ASCII are converted to UTF-8 into a side buffer the tape owns, and a
// COMPRESSED term is inflated into a buffer the tape owns.
//
// Promises: the same verdict, error code and offset as decode() for every input and option (decode()
// is decode_tape() followed by to_term()); the same limits (every count checked against the
// input left, nesting handled without recursion). The input (and the atom cache, for cached atoms)
// must outlive the tape and every TermRef into it; a tape may be moved freely.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::etf {

class TermTape;

// One tape entry (see tape.cpp for what each kind stores).
struct TapeEntry {
  std::uint8_t kind;   // a Term::Kind, or one of the tape's own kinds
  std::uint8_t flags;  // per kind: sign, bits in the last byte, the tag, "in the side buffer"
  std::uint32_t count;
  std::uint64_t payload;
};
static_assert(sizeof(TapeEntry) == 16);

struct PidView {
  std::string_view node;  // UTF-8
  std::uint32_t id, serial, creation;
};
struct PortView {
  std::string_view node;
  std::uint64_t id;
  std::uint32_t creation;
};
struct ReferenceView {
  std::string_view node;
  std::uint32_t creation;
  std::size_t word_count;      // 1..5
  const std::uint8_t* words;   // big-endian 32-bit words, as on the wire
  std::uint32_t word(std::size_t i) const;
};
struct ExportFunView {
  std::string_view module, function;
  std::uint32_t arity;
};

// A value on a tape: a cheap handle (tape + entry index; a byte of a byte list is a value too).
class TermRef {
 public:
  using Kind = Term::Kind;
  TermRef() = default;

  // A byte list (STRING_EXT) is Kind::List; is_byte_list() says it is stored compactly.
  Kind kind() const;
  bool is_byte_list() const;

  std::int64_t integer() const;
  bool big_negative() const;
  std::span<const std::uint8_t> big_magnitude() const;  // little-endian, no high zero bytes
  double float_value() const;
  std::string_view atom_name() const;  // UTF-8
  // Bitstrings: the bytes (unused low bits of the last byte are zero) and the bits used in it.
  std::span<const std::uint8_t> bytes() const;
  std::uint8_t bits_in_last_byte() const;
  std::span<const std::uint8_t> byte_list() const;  // precondition is_byte_list()
  PidView pid() const;
  PortView port() const;
  ReferenceView reference() const;
  ExportFunView export_fun() const;

  // Tuples (arity elements), maps (key, value, key, value, ...), local funs (the free variables):
  // iterate over the children with children(); arity()/map_size()/free_var_count() count them.
  class Iterator;
  struct Range;
  std::size_t arity() const;
  std::size_t map_size() const;  // pairs
  Range children() const;
  TermRef element(std::size_t i) const;  // tuples: O(i)

  // Lists, normalized as Term does: [1|[2]] and "ab" ++ tail iterate alike. list_elements()
  // walks every element through tails that are lists; list_tail() is the final tail ([] if proper).
  class ListIterator;
  struct ListRange;
  ListRange list_elements() const;
  TermRef list_tail() const;

  // Local funs.
  std::uint8_t fun_arity() const;
  std::span<const std::uint8_t, 16> fun_uniq() const;
  std::uint32_t fun_index() const;
  std::string_view fun_module() const;
  std::int64_t fun_old_index() const;
  std::int64_t fun_old_uniq() const;
  TermRef fun_pid() const;
  std::size_t free_var_count() const;

  // The owned Term (binaries copied unless binary_views; views keep inflated data alive).
  Term to_term(bool binary_views = false) const;

  // The entry after this value and all it holds.
  TermRef next() const;

 private:
  friend class TermTape;
  friend struct TapeAccess;
  TermRef(const TermTape* tape, std::uint32_t index, int byte = -1)
      : tape_(tape), index_(index), byte_(byte) {}
  const TapeEntry& entry() const;
  const TermTape* tape_ = nullptr;
  std::uint32_t index_ = 0;
  int byte_ = -1;  // >= 0: this value is that byte of a byte list (an integer)
};

struct TermRef::Range {
  TermRef first;
  std::size_t count;
  Iterator begin() const;
  Iterator end() const;
};
struct TermRef::ListRange {
  TermRef list;
  ListIterator begin() const;
  ListIterator end() const;
};

class TermRef::Iterator {
 public:
  using value_type = TermRef;
  using difference_type = std::ptrdiff_t;
  Iterator() = default;
  Iterator(TermRef at, std::size_t left) : at_(at), left_(left) {}
  TermRef operator*() const { return at_; }
  Iterator& operator++() {
    at_ = at_.next();
    --left_;
    return *this;
  }
  Iterator operator++(int) {
    Iterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const Iterator& o) const { return left_ == o.left_; }

 private:
  TermRef at_;
  std::size_t left_ = 0;
};

class TermRef::ListIterator {
 public:
  using value_type = TermRef;
  using difference_type = std::ptrdiff_t;
  ListIterator() = default;
  explicit ListIterator(TermRef list);  // at the first element; a non-list: at the end
  TermRef operator*() const;
  ListIterator& operator++();
  ListIterator operator++(int) {
    ListIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const ListIterator& o) const { return done() == o.done() && (done() || (segment_.index_ == o.segment_.index_ && pos_ == o.pos_)); }
  TermRef tail() const;  // once at the end: the final tail

 private:
  bool done() const { return left_ == 0; }
  void enter(TermRef segment);
  TermRef segment_;  // the List or byte list being walked (or, at the end, the tail)
  TermRef at_;       // the current element (List segments)
  std::size_t pos_ = 0;
  std::size_t left_ = 0;
};

class TermTape {
 public:
  TermTape() = default;
  TermRef root() const { return TermRef(this, 0); }
  std::size_t used() const { return used_; }  // bytes consumed, as Decoded::used
  std::span<const TapeEntry> entries() const { return {entries_.get(), size_}; }
  // Heap this tape holds (entries, side buffer, inflated data): for allocation tests.
  std::size_t capacity_bytes() const;

 private:
  friend class TermRef;
  friend struct TapeAccess;
  std::unique_ptr<TapeEntry[]> entries_;  // size_ used of capacity_ (not value-initialized)
  std::size_t size_ = 0, capacity_ = 0;
  std::vector<std::uint8_t> side_;  // UTF-8 of Latin-1 atoms, masked last bytes of bitstrings
  std::shared_ptr<std::vector<std::uint8_t>> inflated_;  // a COMPRESSED term's bytes
  std::size_t used_ = 0;
};

// The tape's layout (what each entry kind stores: tape_internal.hpp), here for the accessors
// below, which are inline: decoders of control messages and the node's servers call them for
// every field they read.
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

inline constexpr int kNilByte = -2;  // TermRef::byte_ of the implicit [] that ends a byte list
}  // namespace tape

inline const TapeEntry& TermRef::entry() const { return tape_->entries_[index_]; }
inline TermRef::Kind TermRef::kind() const {
  if (byte_ >= 0) return Kind::Integer;
  if (byte_ == tape::kNilByte) return Kind::Nil;
  const std::uint8_t k = entry().kind;
  return k == tape::kByteList ? Kind::List : Kind(k);
}
inline std::int64_t TermRef::integer() const {
  return byte_ >= 0 ? byte_ : std::int64_t(entry().payload);
}
inline std::string_view TermRef::atom_name() const {
  const TapeEntry& e = entry();
  return {reinterpret_cast<const char*>(tape::data_of(tape_->side_, e)), e.count};
}
inline std::size_t TermRef::arity() const { return entry().count; }
inline TermRef TermRef::next() const {
  return TermRef(tape_, tape::next_index(tape_->entries_.get(), index_));
}
inline TermRef TermRef::element(std::size_t i) const {
  TermRef at(tape_, index_ + 1);
  while (i-- > 0) at = at.next();
  return at;
}

// binary_to_term/1's grammar (131 first; trailing bytes ignored) into a fresh tape.
Result<TermTape, DecodeError> decode_tape(std::span<const std::uint8_t> bytes,
                                          const DecodeOptions& options);
Result<TermTape, DecodeError> decode_tape(std::span<const std::uint8_t> bytes);
// The same into an existing tape, reusing its buffers (a parser kept across messages); returns
// the bytes used. On error the tape's content is unspecified.
Result<std::size_t, DecodeError> decode_tape_into(TermTape& tape,
                                                  std::span<const std::uint8_t> bytes,
                                                  const DecodeOptions& options);
// A term body without the 131 (after a distribution header).
Result<std::size_t, DecodeError> decode_tape_body_into(TermTape& tape,
                                                       std::span<const std::uint8_t> bytes,
                                                       const DecodeOptions& options);

}  // namespace distspec::etf
