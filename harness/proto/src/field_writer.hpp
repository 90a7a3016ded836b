// Writing the typed fields of distribution messages (atoms, pids, references) as the term
// encoder writes them: shared by the control encoder (control_encode.cpp) and the payloads the
// sender writes from their fields (connection.cpp). Not public.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "distspec/etf/encode.hpp"
#include "distspec/proto/control.hpp"

namespace distspec::proto::detail {

namespace tag {
constexpr std::uint8_t kSmallInteger = 97, kSmallTuple = 104, kNewPid = 88, kNewerReference = 90,
                       kAtomCacheRef = 82, kSmallAtomUtf8 = 119, kAtomUtf8 = 118;
}

inline void put16(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(std::uint8_t(v >> 8));
  out.push_back(std::uint8_t(v));
}
inline void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, v >> 16);
  put16(out, v);
}

class FieldWriter {
 public:
  FieldWriter(std::vector<std::uint8_t>& out, const etf::EncodeOptions& options)
      : out_(out), options_(options) {}

  void write(const etf::Atom& a) {
    if (options_.atom_cache_index) {
      if (auto index = options_.atom_cache_index(a)) {
        out_.push_back(tag::kAtomCacheRef);
        out_.push_back(*index);
        return;
      }
    }
    if (!options_.utf8_atoms) return etf::encode_body(out_, etf::Term::atom(a.name), options_);
    if (a.name.size() < 256) {
      out_.push_back(tag::kSmallAtomUtf8);
      out_.push_back(std::uint8_t(a.name.size()));
    } else {
      out_.push_back(tag::kAtomUtf8);
      put16(out_, std::uint32_t(a.name.size()));
    }
    out_.insert(out_.end(), a.name.begin(), a.name.end());
  }
  void write(const etf::Pid& pid) {
    out_.push_back(tag::kNewPid);
    write(pid.node);
    put32(out_, pid.id);
    put32(out_, pid.serial);
    put32(out_, pid.creation);
  }
  void write(const etf::Reference& ref) {
    out_.push_back(tag::kNewerReference);
    put16(out_, std::uint32_t(ref.ids.size()));
    write(ref.node);
    put32(out_, ref.creation);
    for (auto id : ref.ids) put32(out_, id);
  }
  void write(const etf::Term& term) { etf::encode_body(out_, term, options_); }
  void write(const ProcessId& id) { std::visit([this](const auto& v) { write(v); }, id); }

 private:
  std::vector<std::uint8_t>& out_;
  const etf::EncodeOptions& options_;
};

}  // namespace distspec::proto::detail
