// Owned values from the views of a tape (etf::TermRef): for code that keeps a pid or a reference
// that arrived on a tape without converting the whole term.
#pragma once

#include <string>

#include "distspec/etf/tape.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::etf {

inline Pid to_pid(const PidView& v) { return Pid{Atom{std::string(v.node)}, v.id, v.serial, v.creation}; }

inline Reference to_reference(const ReferenceView& v) {
  Reference r{Atom{std::string(v.node)}, v.creation, {}};
  for (std::size_t i = 0; i < v.word_count; ++i) r.ids.push_back(v.word(i));
  return r;
}

// Whether `ref` is the reference `r` (node, creation and words), without converting it.
inline bool same_reference(const ReferenceView& ref, const Reference& r) {
  if (ref.node != r.node.name || ref.creation != r.creation || ref.word_count != r.ids.size())
    return false;
  for (std::size_t i = 0; i < ref.word_count; ++i)
    if (ref.word(i) != r.ids[i]) return false;
  return true;
}

}  // namespace distspec::etf
