// The encoder's rare kinds, out of the hot walk: bignums, atoms off the ASCII fast path (atom
// cache, Latin-1, UTF-8), pids, ports, references, export and local funs.
#include "encoder.hpp"
#include "etf_tags.hpp"

namespace distspec::etf::detail {

std::uint8_t* Encoder::big(std::uint8_t* p, bool negative, const std::uint8_t* magnitude, std::size_t n) {
  if (n < 256) {
    *p++ = tag::kSmallBig;
    *p++ = std::uint8_t(n);
  } else {
    *p++ = tag::kLargeBig;
    p = put32(p, std::uint32_t(n));
  }
  *p++ = negative ? 1 : 0;
  return put_bytes(p, magnitude, n);
}

std::uint8_t* Encoder::atom_slow(std::uint8_t* p, const Atom& a) {
  if (options_.atom_cache_index) {
    if (auto index = options_.atom_cache_index(a)) {
      p[0] = tag::kAtomCacheRef;
      p[1] = *index;
      return p + 2;
    }
  }
  const std::string& s = a.name;
  auto* text = reinterpret_cast<const std::uint8_t*>(s.data());
  if (!utf8_atoms_) {
    // ATOM_EXT with Latin-1 bytes when every character is <= U+00FF (UTF-8 lead byte C2 or C3).
    bool latin1 = true;
    for (std::size_t i = 0; latin1 && i < s.size(); ++i) {
      auto c = text[i];
      if (c < 0x80) continue;
      if ((c != 0xC2 && c != 0xC3) || i + 1 >= s.size()) latin1 = false;
      ++i;
    }
    if (latin1) {
      std::size_t n = 0;
      for (std::size_t i = 0; i < s.size(); ++i, ++n) {
        auto c = text[i];
        if (c >= 0x80) c = std::uint8_t((c & 0x1F) << 6 | (text[++i] & 0x3F));
        p[3 + n] = c;
      }
      p[0] = tag::kAtom;
      p[1] = std::uint8_t(n >> 8);
      p[2] = std::uint8_t(n);
      return p + 3 + n;
    }
  }
  if (s.size() <= 255) {
    *p++ = tag::kSmallAtomUtf8;
    *p++ = std::uint8_t(s.size());
  } else {
    *p++ = tag::kAtomUtf8;
    p = put16(p, std::uint16_t(s.size()));
  }
  return put_bytes(p, text, s.size());
}

// The rare kinds: each makes its own room.
std::uint8_t* Encoder::other(std::uint8_t* p, const Term& t) {
  switch (t.kind()) {
    case Kind::BigInteger: {
      const auto& b = t.as_big_integer();
      p = room(p, 6 + b.magnitude.size());
      return big(p, b.negative, b.magnitude.data(), b.magnitude.size());
    }
    case Kind::Reference: {
      const auto& r = t.as_reference();
      p = room(p, 7 + atom_bound(r.node) + 4 * r.ids.size());
      *p = tag::kNewerReference;
      p = atom(put16(p + 1, std::uint16_t(r.ids.size())), r.node);
      p = put32(p, r.creation);
      for (auto id : r.ids) p = put32(p, id);
      return p;
    }
    case Kind::ExportFun: {
      const auto& f = t.as_export_fun();
      p = room(p, 1 + atom_bound(f.module) + atom_bound(f.function) + kMaxInteger);
      *p = tag::kExport;
      return integer(atom(atom(p + 1, f.module), f.function), f.arity);
    }
    case Kind::LocalFun: {
      const auto& f = t.as_local_fun();
      p = room(p, 30 + atom_bound(f.module) + 2 * kMaxInteger);
      *p = tag::kNewFun;
      const std::size_t size_at = std::size_t(p + 1 - base_);
      p = put32(p + 1, 0);  // Size, filled in once the free variables are written
      *p++ = f.arity;
      p = put_bytes(p, f.uniq.data(), f.uniq.size());
      p = put32(p, f.index);
      p = put32(p, std::uint32_t(f.free_vars.size()));
      p = integer(integer(atom(p, f.module), f.old_index), f.old_uniq);
      stack_.emplace_back(FrameKind::FunSize, nullptr, size_at);
      if (!f.free_vars.empty()) stack_.emplace_back(FrameKind::Items, f.free_vars.data(), f.free_vars.size());
      if (f.pid) stack_.emplace_back(FrameKind::Items, f.pid.get(), 1);
      return p;
    }
    case Kind::Port: {
      const auto& port = t.as_port();
      p = room(p, 13 + atom_bound(port.node));
      constexpr std::uint64_t kMaxV3PortId = (std::uint64_t(1) << 28) - 1;
      bool v4 = port.id > kMaxV3PortId;
      *p = v4 ? tag::kV4Port : tag::kNewPort;
      p = atom(p + 1, port.node);
      p = v4 ? put64(p, port.id) : put32(p, std::uint32_t(port.id));
      return put32(p, port.creation);
    }
    case Kind::Pid: {
      const auto& pid = t.as_pid();
      p = room(p, 13 + atom_bound(pid.node));
      *p = tag::kNewPid;
      p = atom(p + 1, pid.node);
      return put32(put32(put32(p, pid.id), pid.serial), pid.creation);
    }
    default: return p;  // not reached: term() handles the other kinds
  }
}

}  // namespace distspec::etf::detail
