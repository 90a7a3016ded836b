// Writing the typed fields of distribution messages (atoms, pids, references) as the term
// encoder writes them: shared by the control encoder (control_encode.cpp) and the payloads the
// sender writes from their fields (connection.cpp). Not public.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "distspec/etf/encode.hpp"
#include "distspec/proto/control.hpp"

namespace distspec::proto::detail {

namespace tag {
constexpr std::uint8_t kSmallInteger = 97, kSmallTuple = 104, kList = 108, kNewPid = 88,
                       kNewerReference = 90, kAtomCacheRef = 82, kSmallAtomUtf8 = 119, kAtomUtf8 = 118;
}

// The field types the typed paths handle without the control tuple: FieldWriter writes them
// (encode_control_body) and ControlSlots::decode_usual reads them. A message whose fields are all
// of these takes both paths; the others go through to_term() and the tape.
template <class F>
constexpr bool kTypedField = std::is_same_v<F, etf::Pid> || std::is_same_v<F, etf::Reference> ||
                             std::is_same_v<F, etf::Atom> || std::is_same_v<F, etf::Term> ||
                             std::is_same_v<F, ProcessId>;
template <class Fields>
struct TypedFieldsOnly;
template <class... F>
struct TypedFieldsOnly<std::tuple<F...>> : std::bool_constant<(kTypedField<std::remove_cvref_t<F>> && ...)> {};
template <class M>
constexpr bool typed_fields_only() {
  return TypedFieldsOnly<decltype(std::declval<M&>().fields())>::value;
}

// Owns the end of `out` while it lives: it extends `out` in steps of kSlack bytes, writes through
// a pointer, and trims what it did not use when it is destroyed (or before handing `out` to the
// term encoder). Growing `out` by a resize per field cost ~60 instructions a field: more than
// writing the field. So do not touch `out` directly while a FieldWriter on it lives.
class FieldWriter {
 public:
  FieldWriter(std::vector<std::uint8_t>& out, const etf::EncodeOptions& options)
      : out_(out), options_(options) {
    reopen(0);
  }
  ~FieldWriter() {
    if (cursor_) trim();
  }
  FieldWriter(const FieldWriter&) = delete;
  FieldWriter& operator=(const FieldWriter&) = delete;

  // Raw bytes: tags and arities the caller writes between fields.
  void bytes(std::initializer_list<std::uint8_t> raw) {
    std::memcpy(grow(raw.size()), raw.begin(), raw.size());
  }

  void write(const etf::Atom& a) {
    if (auto index = cached(a)) {
      std::uint8_t* p = grow(2);
      p[0] = tag::kAtomCacheRef;
      p[1] = *index;
      return;
    }
    if (!options_.utf8_atoms) return with_encoder([&] { etf::encode_body(out_, etf::Term::atom(a.name), options_); });
    put_atom_utf8(a);
  }
  void write(const etf::Pid& pid) {
    if (auto index = cached(pid.node)) {  // the usual case: 15 bytes at once
      std::uint8_t* p = grow(15);
      p[0] = tag::kNewPid;
      p[1] = tag::kAtomCacheRef;
      p[2] = *index;
      put_be32(p + 3, pid.id);
      put_be32(p + 7, pid.serial);
      put_be32(p + 11, pid.creation);
      return;
    }
    *grow(1) = tag::kNewPid;
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
    with_encoder([&] { etf::encode_body(out_, term, options_); });
  }
  void write(const ProcessId& id) { std::visit([this](const auto& v) { write(v); }, id); }

 private:
  static constexpr std::size_t kSlack = 128;

  // n more bytes at the cursor; returns the first.
  std::uint8_t* grow(std::size_t n) {
    if (std::size_t(end_ - cursor_) < n) {
      trim();
      reopen(n);
    }
    std::uint8_t* p = cursor_;
    cursor_ += n;
    return p;
  }
  // `out` extended by at least `need` bytes (and the slack) past its size; the cursor at its size.
  void reopen(std::size_t need) {
    const std::size_t used = out_.size();
    out_.resize(used + std::max(need, kSlack));
    cursor_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }
  void trim() { out_.resize(std::size_t(cursor_ - out_.data())); }
  // The term encoder appends to `out` itself: it gets `out` without the slack.
  template <class Encode>
  void with_encoder(Encode encode) {
    trim();
    cursor_ = end_ = nullptr;  // `out` is the encoder's until reopened: nothing to trim if it throws
    encode();
    reopen(0);
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
  // SMALL_ATOM_UTF8_EXT, or ATOM_UTF8_EXT past 255 bytes.
  void put_atom_utf8(const etf::Atom& a) {
    const std::size_t n = a.name.size();
    if (n < 256) {
      std::uint8_t* p = grow(2 + n);
      p[0] = tag::kSmallAtomUtf8;
      p[1] = std::uint8_t(n);
      std::memcpy(p + 2, a.name.data(), n);
    } else {
      std::uint8_t* p = grow(3 + n);
      p[0] = tag::kAtomUtf8;
      p[1] = std::uint8_t(n >> 8);
      p[2] = std::uint8_t(n);
      std::memcpy(p + 3, a.name.data(), n);
    }
  }

  std::vector<std::uint8_t>& out_;
  const etf::EncodeOptions& options_;
  std::uint8_t* cursor_ = nullptr;  // the next byte to write; out_ ends at end_ while open
  std::uint8_t* end_ = nullptr;
};

}  // namespace distspec::proto::detail
