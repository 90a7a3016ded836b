// The distribution atom cache (connection.md §3.4): 2048 slots (8 segments x 256) per connection
// and direction. AtomCacheIn is the receiver's table, written only by the peer's headers;
// AtomCacheOut is the sender's table and decides which atoms of a message become references.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "distspec/etf/term.hpp"

namespace distspec::proto {

inline constexpr std::size_t kAtomCacheSlots = 2048;    // 8 segments x 256 (ERTS_ATOM_CACHE_SIZE)
inline constexpr std::size_t kMaxAtomCacheRefs = 255;   // NumberOfAtomCacheRefs is one byte

// One reference of a distribution header: reference i of the message names `atom`, held at
// `slot`; `is_new` when the header carries the atom text (NewCacheEntryFlag).
struct AtomCacheRef {
  std::uint16_t slot = 0;  // SegmentIndex * 256 + InternalSegmentIndex, < kAtomCacheSlots
  bool is_new = false;
  etf::Atom atom;
  friend bool operator==(const AtomCacheRef&, const AtomCacheRef&) = default;
};

// One reference of a planned header: `atom` is one of the atoms passed to
// AtomCacheOut::plan_into(), not a copy of its text, valid while they are.
struct PlannedAtomRef {
  std::uint16_t slot = 0;
  bool is_new = false;
  const etf::Atom* atom = nullptr;
  AtomCacheRef to_ref() const { return AtomCacheRef{slot, is_new, *atom}; }
  friend bool operator==(const PlannedAtomRef&, const PlannedAtomRef&) = default;  // same atom object
};

class AtomCacheIn {
 public:
  const etf::Atom* get(std::uint16_t slot) const {
    return slot < kAtomCacheSlots && slots_[slot] ? &*slots_[slot] : nullptr;
  }
  void set(std::uint16_t slot, etf::Atom atom) { slots_.at(slot) = std::move(atom); }

 private:
  std::array<std::optional<etf::Atom>, kAtomCacheSlots> slots_;
};

// The references chosen for one message, and the index of each cached atom in them. Both view
// the atoms passed to AtomCacheOut::plan(): use the plan while those are alive.
struct AtomCachePlan {
  std::vector<PlannedAtomRef> refs;
  std::optional<std::uint8_t> index(const etf::Atom& atom) const;
  void add_index(std::string_view name, std::uint8_t index);
  void clear();  // empty, keeping the buffers (a sender plans every message into one plan)

 private:
  friend class AtomCacheOut;
  // A message names a handful of atoms: a flat list beats hashing until it grows.
  static constexpr std::size_t kFlatIndexLimit = 32;
  std::vector<std::pair<std::string_view, std::uint8_t>> flat_;
  std::unordered_map<std::string_view, std::uint8_t> hashed_;
};

class AtomCacheOut {
 public:
  // Which slot an atom goes to. OTP uses atom_table_index % 2039, which depends on the VM; ours
  // defaults to a hash of the text modulo 2039. Tests pin slots to replay a capture. It must give
  // equal texts the same slot: plan_into() takes an atom whose slot is taken as a repeat or a
  // collision without comparing texts.
  using SlotChooser = std::function<std::uint16_t(const etf::Atom&)>;
  static std::uint16_t default_slot(const etf::Atom& atom);

  explicit AtomCacheOut(SlotChooser chooser = default_slot);

  // Plans the references for a message whose atoms occur in `atoms` (encounter order, repeats
  // allowed), as OTP's encoder does: first come first served up to 255 distinct atoms; an atom
  // whose slot is already taken by another atom of the same message stays inline; the New flag is
  // set only when the slot held a different atom. Updates the table.
  AtomCachePlan plan(std::span<const etf::Atom* const> atoms);
  // The same into `plan` (cleared first), reusing its buffers.
  void plan_into(AtomCachePlan& plan, std::span<const etf::Atom* const> atoms);

  const etf::Atom* get(std::uint16_t slot) const {
    return slot < kAtomCacheSlots && slots_[slot] ? &*slots_[slot] : nullptr;
  }

 private:
  std::uint16_t slot_of(const etf::Atom& atom) const;

  SlotChooser chooser_;  // empty for default_slot, which is then called directly
  std::array<std::optional<etf::Atom>, kAtomCacheSlots> slots_;
  std::bitset<kAtomCacheSlots> slot_used_;  // plan_into's scratch, all clear between calls
};

// Every atom of a term in the order OTP's encoder meets them (depth first, elements in order,
// node names of pids/ports/refs and fun modules included), appended to out.
void collect_atoms(const etf::Term& term, std::vector<const etf::Atom*>& out);

}  // namespace distspec::proto
