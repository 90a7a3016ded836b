// The tape builder's state and its small inline steps, shared by the files that implement it:
// tape_build.cpp (the hot loop over the common tags, the entry points), tape_build_rare.cpp (the
// rare tags) and tape_map_keys.cpp (the duplicate-key check of a map at its close). Not public.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "decode_internal.hpp"
#include "tape_internal.hpp"

namespace distspec::etf::detail {

// Short names for the builder's files (this header is included by them only).
using Code = DecodeErrorCode;
using tape::kind;
using K = Term::Kind;

// A compound still being read.
struct Open {
  std::uint32_t index;      // of the compound's entry
  std::uint64_t remaining;  // terms still to read (for the innermost: TapeBuilder::run's `left`)
  std::size_t at;           // offset of its tag, for errors found when it closes
};

// The stack of open compounds: one contiguous array, the first levels inline (most terms are
// shallow), then on the heap: 1024 levels, then doubling (a term 1000 deep spills once).
class OpenStack {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  Open& back() { return base_[size_ - 1]; }
  Open& push() {
    if (size_ == capacity_) [[unlikely]] grow();
    return base_[size_++];
  }
  void pop() { --size_; }
  OpenStack() = default;
  OpenStack(const OpenStack&) = delete;  // base_ may point into this object
  OpenStack& operator=(const OpenStack&) = delete;

 private:
  static constexpr std::size_t kInline = 32;
  static constexpr std::size_t kFirstSpill = 1024;
  [[gnu::noinline]] void grow() {
    // The first spill takes room for kFirstSpill levels at once (24 KiB), then doubles.
    const std::size_t want = capacity_ == kInline ? kFirstSpill : 2 * capacity_;
    auto bigger = std::make_unique_for_overwrite<Open[]>(want);
    std::memcpy(static_cast<void*>(bigger.get()), base_, size_ * sizeof(Open));
    heap_ = std::move(bigger);
    base_ = heap_.get();
    capacity_ = want;
  }
  Open inline_[kInline];
  std::unique_ptr<Open[]> heap_;
  Open* base_ = inline_;
  std::size_t size_ = 0, capacity_ = kInline;
};

class TapeBuilder {
 public:
  TapeBuilder(Cursor& c, TermTape& tape)
      : c_(c), tape_(tape), side_(TapeAccess::side(tape)), start_(c.pos) {
    out_ = TapeAccess::entries(tape).get();
    next_ = out_ + TapeAccess::size(tape);
    end_ = out_ + TapeAccess::capacity(tape);
  }
  ~TapeBuilder() { TapeAccess::size(tape_) = used(); }
  bool run();

 private:
  std::uint32_t add(std::uint8_t k, std::uint8_t flags, std::uint32_t count, std::uint64_t payload) {
    if (next_ == end_) [[unlikely]] grow();
    *next_ = TapeEntry{k, flags, count, payload};
    return std::uint32_t(next_++ - out_);
  }
  [[gnu::noinline]] void grow();
  void add_atom(const AtomText& a) {
    switch (a.encoding) {
      case AtomText::Encoding::Utf8: add(kind(K::Atom), 0, std::uint32_t(a.size), tape::pointer(a.bytes)); break;
      case AtomText::Encoding::Cached:
        add(kind(K::Atom), 0, std::uint32_t(a.cached->name.size()), tape::pointer(a.cached->name.data()));
        break;
      case AtomText::Encoding::Latin1: {
        std::size_t offset = side_.size();
        detail::append_latin1_as_utf8(a.bytes, a.size, side_);
        add(kind(K::Atom), tape::kInSide, std::uint32_t(side_.size() - offset), offset);
        break;
      }
    }
  }
  bool atom() {
    AtomText a;
    if (!detail::read_atom_text(c_, a)) return false;
    add_atom(a);
    return true;
  }
  // Opens a compound already added, after checking its count against the input left and the
  // depth. The remaining count of the innermost one lives in run()'s `left`, not on the stack.
  // `depth` is run()'s copy of stack_.size(), kept in a register.
  // `input_left` is the input left after the compound's header, `max_depth` the option's value
  // (run()'s locals: reading them through c_ costs loads after every store to the tape).
  bool open(std::uint32_t index, std::uint64_t remaining, std::size_t at, std::uint64_t& left,
            std::size_t& depth, std::size_t input_left, std::size_t max_depth) {
    if (remaining > input_left) return c_.fail(Code::TooLarge, at);  // every term takes >= 1 byte
    if (depth >= max_depth) return c_.fail(Code::TooDeep, at);
    if (depth != 0) stack_.back().remaining = left;
    ++depth;
    // Fields stored one by one: copying a whole Open from a temporary stalled on store forwarding.
    Open& o = stack_.push();
    o.index = index;
    o.at = at;
    left = remaining;
    return true;
  }
  // The rare tags, out of run()'s hot loop (c_.pos just after the tag): 0 on error, 1 for a
  // complete term, 2 for a local fun with free variables (fun_index_, fun_free_) to open.
  [[gnu::noinline]] int rare(std::uint8_t t, std::size_t at);
  bool close(const Open& o) {
    out_[o.index].payload = used();
    return out_[o.index].kind != kind(K::Map) || check_map_keys(o);
  }
  [[gnu::noinline]] bool check_map_keys(const Open& o);
  bool duplicate_keys(std::uint32_t map);
  bool key_form(const TapeEntry& key, detail::KeyForm& f) const;  // false: not a simple key
  bool keys_rise(std::uint32_t map, std::uint32_t pairs) const;
  void big(bool negative, const std::uint8_t* digits, std::size_t n);
  bool bitstring(std::size_t at, std::size_t n, unsigned bits);
  bool export_fun(std::size_t at);
  bool new_fun(std::size_t at, std::uint32_t& index, std::uint32_t& num_free);

  Cursor& c_;
  TermTape& tape_;
  std::vector<std::uint8_t>& side_;
  std::size_t start_;  // where the term starts in c_
  // The tape's entries: out_ to next_ used, room up to end_. Pointers, not counts: a store of an
  // entry's 64-bit payload may alias any 64-bit integer member, which would then be reloaded.
  TapeEntry* out_;
  TapeEntry* next_;
  TapeEntry* end_;
  std::size_t used() const { return std::size_t(next_ - out_); }
  OpenStack stack_;
  std::vector<detail::KeyForm> forms_;  // the keys of the map being closed
  std::uint32_t fun_index_ = 0, fun_free_ = 0;
};

}  // namespace distspec::etf::detail
