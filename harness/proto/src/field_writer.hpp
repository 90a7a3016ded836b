// Writing the typed fields of distribution messages (atoms, pids, references) as the term
// encoder writes them: shared by the control encoder (control_encode.cpp) and the payloads the
// sender writes from their fields (connection.cpp). Not public.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <variant>
#include <vector>

#include "distspec/etf/encode.hpp"
#include "distspec/proto/control.hpp"

namespace distspec::proto::detail {

namespace tag {
constexpr std::uint8_t kSmallInteger = 97, kSmallTuple = 104, kNewPid = 88, kNewerReference = 90,
                       kAtomCacheRef = 82, kSmallAtomUtf8 = 119, kAtomUtf8 = 118;
}

class FieldWriter {
 public:
  FieldWriter(std::vector<std::uint8_t>& out, const etf::EncodeOptions& options)
      : out_(out), options_(options) {}

  void write(const etf::Atom& a) {
    if (options_.atom_cache_index) {
      if (auto index = options_.atom_cache_index(a)) {
        std::uint8_t* p = grow(2);
        p[0] = tag::kAtomCacheRef;
        p[1] = *index;
        return;
      }
    }
    if (!options_.utf8_atoms) return etf::encode_body(out_, etf::Term::atom(a.name), options_);
    put_atom_utf8(grow(3 + a.name.size()), a);
  }
  void write(const etf::Pid& pid) {
    if (auto index = cached(pid.node)) {  // the usual case: 16 bytes at once
      std::uint8_t* p = grow(15);
      p[0] = tag::kNewPid;
      p[1] = tag::kAtomCacheRef;
      p[2] = *index;
      put_be32(p + 3, pid.id);
      put_be32(p + 7, pid.serial);
      put_be32(p + 11, pid.creation);
      return;
    }
    out_.push_back(tag::kNewPid);
    write(pid.node);
    std::uint8_t* p = grow(12);
    put_be32(p, pid.id);
    put_be32(p + 4, pid.serial);
    put_be32(p + 8, pid.creation);
  }
  void write(const etf::Reference& ref) {
    std::uint8_t* p = grow(3);
    p[0] = tag::kNewerReference;
    p[1] = std::uint8_t(ref.ids.size() >> 8);
    p[2] = std::uint8_t(ref.ids.size());
    write(ref.node);
    p = grow(4 + 4 * ref.ids.size());
    put_be32(p, ref.creation);
    for (auto id : ref.ids) put_be32(p += 4, id);
  }
  void write(const etf::Term& term) {
    // Mostly the Unused '' of sends: an atom needs none of the term encoder's walk.
    if (const auto* atom = term.get_if<etf::Atom>()) return write(*atom);
    etf::encode_body(out_, term, options_);
  }
  void write(const ProcessId& id) { std::visit([this](const auto& v) { write(v); }, id); }

 private:
  // n more bytes at the end of out; returns the first.
  std::uint8_t* grow(std::size_t n) {
    std::size_t at = out_.size();
    out_.resize(at + n);
    return out_.data() + at;
  }
  static void put_be32(std::uint8_t* p, std::uint32_t v) {
    p[0] = std::uint8_t(v >> 24);
    p[1] = std::uint8_t(v >> 16);
    p[2] = std::uint8_t(v >> 8);
    p[3] = std::uint8_t(v);
  }
  std::optional<std::uint8_t> cached(const etf::Atom& a) const {
    return options_.atom_cache_index ? options_.atom_cache_index(a) : std::nullopt;
  }
  // SMALL_ATOM_UTF8_EXT or ATOM_UTF8_EXT into the 3 + size bytes at p (one unused when small).
  void put_atom_utf8(std::uint8_t* p, const etf::Atom& a) {
    const std::size_t n = a.name.size();
    if (n < 256) {
      p[0] = tag::kSmallAtomUtf8;
      p[1] = std::uint8_t(n);
      std::memcpy(p + 2, a.name.data(), n);
      out_.pop_back();  // the third header byte was not needed
    } else {
      p[0] = tag::kAtomUtf8;
      p[1] = std::uint8_t(n >> 8);
      p[2] = std::uint8_t(n);
      std::memcpy(p + 3, a.name.data(), n);
    }
  }

  std::vector<std::uint8_t>& out_;
  const etf::EncodeOptions& options_;
};

}  // namespace distspec::proto::detail
