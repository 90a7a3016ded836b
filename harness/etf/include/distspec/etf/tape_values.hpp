// Owned values from the views of a tape (etf::TermRef): for code that keeps a pid or a reference
// that arrived on a tape without converting the whole term.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "distspec/etf/tape.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::etf {

// Text kept across messages (node names, cached atoms): mostly the same text again, and comparing
// costs a third of an assign (an out-of-line call per field).
inline void assign_text(std::string& out, std::string_view text) {
  if (out.size() == text.size() && std::memcmp(out.data(), text.data(), text.size()) == 0) return;
  out.assign(text);
}

// Into an existing value: its node name keeps its buffer (node names are often longer than a
// std::string holds inline), so code that keeps one value per message allocates nothing.
inline void assign(Pid& out, const PidView& v) {
  assign_text(out.node.name, v.node);
  out.id = v.id;
  out.serial = v.serial;
  out.creation = v.creation;
}
inline void assign(Reference& out, const ReferenceView& v) {
  assign_text(out.node.name, v.node);
  out.creation = v.creation;
  out.ids.clear();
  for (std::size_t i = 0; i < v.word_count; ++i) out.ids.push_back(v.word(i));
}

inline Pid to_pid(const PidView& v) {
  Pid p;
  assign(p, v);
  return p;
}
inline Reference to_reference(const ReferenceView& v) {
  Reference r;
  assign(r, v);
  return r;
}

}  // namespace distspec::etf
