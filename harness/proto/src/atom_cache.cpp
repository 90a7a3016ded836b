#include "distspec/proto/atom_cache.hpp"

#include <algorithm>
#include <bitset>
#include <cstring>


namespace distspec::proto {

std::uint16_t AtomCacheOut::default_slot(const etf::Atom& atom) {
  // A multiply-xorshift hash eight bytes a step (deterministic across runs and builds), spread
  // over the 2039 slots OTP uses (2039 is the largest prime below 2048). Every atom of every sent
  // message is hashed: a byte-at-a-time hash, or libstdc++'s, cost about 80 instructions for a
  // node name.
  constexpr std::uint64_t kMultiplier = 0x9E3779B97F4A7C15u;
  const char* p = atom.name.data();
  std::size_t n = atom.name.size();
  std::uint64_t h = n * kMultiplier;
  auto mix = [&h](std::uint64_t word) {
    h = (h ^ word) * kMultiplier;
    h ^= h >> 32;
  };
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    mix(word);
  }
  if (n > 0) {
    // The last 8 bytes of the text (overlapping the words above) when it has that many: a
    // fixed-size load, not a call to memcpy for the variable tail.
    std::uint64_t word = 0;
    if (atom.name.size() >= 8) std::memcpy(&word, atom.name.data() + atom.name.size() - 8, 8);
    else
      for (std::size_t i = 0; i < n; ++i) word = word << 8 | std::uint8_t(p[i]);
    mix(word);
  }
  return std::uint16_t(h % 2039);
}

std::optional<std::uint8_t> AtomCachePlan::index(const etf::Atom& atom) const {
  if (hashed_.empty()) {
    // The encoder asks with the very atoms the plan was made from: those are found by address
    // without comparing bytes.
    for (const auto& [name, i] : flat_)
      if (name.size() == atom.name.size() && (name.data() == atom.name.data() || name == atom.name))
        return i;
    return std::nullopt;
  }
  auto it = hashed_.find(atom.name);
  if (it == hashed_.end()) return std::nullopt;
  return it->second;
}

void AtomCachePlan::add_index(std::string_view name, std::uint8_t index) {
  if (hashed_.empty() && flat_.size() < kFlatIndexLimit) {
    flat_.emplace_back(name, index);
    return;
  }
  if (hashed_.empty()) hashed_.insert(flat_.begin(), flat_.end());
  hashed_.emplace(name, index);
}

void AtomCachePlan::clear() {
  refs.clear();
  flat_.clear();
  hashed_.clear();
}

AtomCacheOut::AtomCacheOut(SlotChooser chooser) : chooser_(std::move(chooser)) {
  using SlotFunction = std::uint16_t (*)(const etf::Atom&);
  if (const auto* f = chooser_.target<SlotFunction>(); f && *f == &default_slot) chooser_ = nullptr;
}

std::uint16_t AtomCacheOut::slot_of(const etf::Atom& atom) const {
  return std::uint16_t((chooser_ ? chooser_(atom) : default_slot(atom)) % kAtomCacheSlots);
}

AtomCachePlan AtomCacheOut::plan(std::span<const etf::Atom* const> atoms) {
  AtomCachePlan plan;
  plan_into(plan, atoms);
  return plan;
}

void AtomCacheOut::plan_into(AtomCachePlan& plan, std::span<const etf::Atom* const> atoms) {
  std::vector<PlannedAtomRef>& refs = plan.refs;
  refs.clear();
  plan.flat_.clear();
  plan.hashed_.clear();
  // slot_used_ marks the slots taken by an earlier atom of this message; it is cleared below for
  // the slots this message took (zeroing all 2048 bits per message cost more than the planning).
  std::bitset<kAtomCacheSlots>& slot_used = slot_used_;
  for (const etf::Atom* atom : atoms) {
    if (refs.size() == kMaxAtomCacheRefs) break;
    const std::uint16_t slot = slot_of(*atom);
    // Taken by this very atom (a repeat: already referenced) or by another atom of this message
    // (it stays inline). The slot tells both apart from a new atom without comparing texts.
    if (slot_used[slot]) continue;
    auto index = std::uint8_t(refs.size());
    bool is_new = !(slots_[slot] && *slots_[slot] == *atom);
    if (is_new) slots_[slot] = *atom;
    refs.push_back(PlannedAtomRef{slot, is_new, atom});
    plan.add_index(atom->name, index);
    slot_used[slot] = true;
  }
  for (const PlannedAtomRef& ref : refs) slot_used[ref.slot] = false;
}

void collect_atoms(const etf::Term& root, std::vector<const etf::Atom*>& out) {
  // The order of the references in the header is the order in which OTP 25's size pass
  // (encode_size_struct_int) meets the atoms: depth first, tuple elements and list cells in
  // order, node names of pids/ports/refs and fun modules on the spot (checked against the
  // captures in connection_vectors_test).
  using Kind = etf::Term::Kind;
  // A lone atom (the Unused '' of sends, most requests and replies) needs no walk.
  if (const auto* atom = root.get_if<etf::Atom>()) {
    out.push_back(atom);
    return;
  }
  std::vector<const etf::Term*> stack{&root};
  while (!stack.empty()) {
    const etf::Term* t = stack.back();
    stack.pop_back();
    switch (t->kind()) {
      case Kind::Atom: out.push_back(&t->as_atom()); break;
      case Kind::Pid: out.push_back(&t->as_pid().node); break;
      case Kind::Port: out.push_back(&t->as_port().node); break;
      case Kind::Reference: out.push_back(&t->as_reference().node); break;
      case Kind::ExportFun:
        out.push_back(&t->as_export_fun().module);
        out.push_back(&t->as_export_fun().function);
        break;
      case Kind::LocalFun: {
        const auto& f = t->as_local_fun();
        if (f.pid) {
          std::vector<const etf::Atom*> inner;
          collect_atoms(*f.pid, inner);  // a pid: no nesting beyond one level
          out.insert(out.end(), inner.begin(), inner.end());
        }
        out.push_back(&f.module);
        // env[1..] are pushed in order, env[0] is visited at once.
        for (std::size_t i = 1; i < f.free_vars.size(); ++i) stack.push_back(&f.free_vars[i]);
        if (!f.free_vars.empty()) stack.push_back(&f.free_vars[0]);
        break;
      }
      case Kind::Tuple: {
        const auto& e = t->as_tuple().elements;
        for (auto it = e.rbegin(); it != e.rend(); ++it) stack.push_back(&*it);
        break;
      }
      case Kind::Map: {
        // Small maps are written (and walked) in map-key order, as OTP's flatmaps hold them.
        std::vector<const std::pair<etf::Term, etf::Term>*> pairs;
        for (const auto& p : t->as_map().pairs) pairs.push_back(&p);
        if (pairs.size() <= 32)
          std::stable_sort(pairs.begin(), pairs.end(),
                           [](auto* a, auto* b) { return etf::map_key_less(a->first, b->first); });
        for (auto* p : pairs) stack.push_back(&p->second);
        for (auto* p : pairs) stack.push_back(&p->first);
        break;
      }
      case Kind::List: {
        const auto& l = t->as_list();
        // Visit elements in order, then the tail: push in reverse.
        stack.push_back(l.tail.get());
        for (auto it = l.elements.rbegin(); it != l.elements.rend(); ++it) stack.push_back(&*it);
        break;
      }
      default: break;
    }
  }
}

}  // namespace distspec::proto
