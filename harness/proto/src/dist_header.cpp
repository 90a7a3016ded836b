#include "distspec/proto/dist_header.hpp"

#include <cstring>

#include "distspec/etf/tape_values.hpp"

namespace distspec::proto {

namespace {
ConnectionError error(ConnectionErrorCode code, std::size_t offset, std::string detail = {}) {
  return ConnectionError{code, offset, std::move(detail)};
}
std::uint64_t read_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
void write_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(std::uint8_t(v >> (8 * i)));
}
}  // namespace

Result<PacketKind, ConnectionError> classify_packet(std::span<const std::uint8_t> packet,
                                                    HeaderMode mode) {
  if (!mode.uses_headers()) {
    // OTP skips byte 0 without looking at it and requires 131 next.
    if (packet.size() < 2 || packet[1] != kVersionMagic)
      return error(ConnectionErrorCode::IncompatiblePacket, packet.size() < 2 ? packet.size() : 1,
                   "pass-through packet without 131 after the first byte");
    return PacketKind::PassThrough;
  }
  if (packet.empty() || packet[0] != kVersionMagic)
    return error(ConnectionErrorCode::IncompatiblePacket, 0, "first byte is not 131");
  if (packet.size() < 2) return error(ConnectionErrorCode::HeaderTruncated, 1);
  switch (packet[1]) {
    case kDistHeaderTag: return PacketKind::Header;
    case kFragHeaderTag:
    case kFragContTag:
      if (!mode.fragments)
        return error(ConnectionErrorCode::HeaderNotNegotiated, 1, "fragment without FRAGMENTS");
      return packet[1] == kFragHeaderTag ? PacketKind::FragmentHeader : PacketKind::FragmentCont;
    default:
      return error(ConnectionErrorCode::IncompatiblePacket, 1, "unknown distribution header tag");
  }
}

Result<AtomCacheSection, ConnectionError> parse_atom_cache_section(
    std::span<const std::uint8_t> bytes, std::size_t base, AtomCacheIn& cache) {
  AtomCacheSection section;
  if (auto failed = parse_atom_cache_section_into(section, bytes, base, cache)) return *failed;
  return section;
}

std::optional<ConnectionError> parse_atom_cache_section_into(AtomCacheSection& section,
                                                             std::span<const std::uint8_t> bytes,
                                                             std::size_t base, AtomCacheIn& cache) {
  section.long_atoms = false;
  section.used = 0;
  // References are assigned over the ones already there: their atom texts keep their buffers.
  std::size_t count = 0;
  auto next_ref = [&]() -> AtomCacheRef& {
    if (count == section.refs.size()) section.refs.emplace_back();
    return section.refs[count++];
  };
  struct Trim {  // whatever the outcome, refs holds exactly the references parsed
    AtomCacheSection& section;
    std::size_t& count;
    ~Trim() { section.refs.resize(count); }
  } trim{section, count};
  if (bytes.empty()) return error(ConnectionErrorCode::HeaderTruncated, base);
  std::size_t n = bytes[0];
  std::size_t pos = 1;
  if (n == 0) {
    section.used = 1;
    return std::nullopt;
  }
  std::size_t flag_bytes = n / 2 + 1;
  if (bytes.size() - pos < flag_bytes)
    return error(ConnectionErrorCode::HeaderTruncated, base + bytes.size());
  const std::size_t flags_at = pos;
  auto nibble = [&](std::size_t i) -> std::uint8_t {
    std::uint8_t b = bytes[flags_at + i / 2];
    return (i % 2 == 0) ? (b & 0x0f) : (b >> 4);
  };
  section.long_atoms = (nibble(n) & 0x01) != 0;  // the nibble after the N reference nibbles
  pos += flag_bytes;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t flags = nibble(i);
    bool is_new = (flags & 0x08) != 0;
    std::uint16_t segment = flags & 0x07;
    if (pos >= bytes.size()) return error(ConnectionErrorCode::HeaderTruncated, base + pos);
    auto slot = std::uint16_t(segment * 256 + bytes[pos++]);
    if (!is_new) {
      const etf::Atom* atom = cache.get(slot);
      if (!atom)
        return error(ConnectionErrorCode::BadAtomCacheSlot, base + pos - 1,
                     "slot " + std::to_string(slot));
      AtomCacheRef& ref = next_ref();
      ref.slot = slot;
      ref.is_new = false;
      etf::assign_text(ref.atom.name, atom->name);
      continue;
    }
    std::size_t len_size = section.long_atoms ? 2 : 1;
    if (bytes.size() - pos < len_size)
      return error(ConnectionErrorCode::HeaderTruncated, base + bytes.size());
    std::size_t len = section.long_atoms ? (std::size_t(bytes[pos]) << 8) | bytes[pos + 1]
                                         : bytes[pos];
    std::size_t text_at = pos + len_size;
    if (bytes.size() - text_at < len)
      return error(ConnectionErrorCode::HeaderTruncated, base + bytes.size());
    // Validate the text exactly as the term codec validates ATOM_UTF8_EXT (UTF-8, <= 255 chars).
    std::vector<std::uint8_t> as_term;
    as_term.reserve(3 + len);
    as_term.push_back(118);
    as_term.push_back(std::uint8_t(len >> 8));
    as_term.push_back(std::uint8_t(len));
    as_term.insert(as_term.end(), bytes.begin() + text_at, bytes.begin() + text_at + len);
    auto decoded = etf::decode_body(as_term);
    if (!decoded || decoded->term.kind() != etf::Term::Kind::Atom)
      return error(ConnectionErrorCode::BadAtomCacheAtom, base + pos);
    etf::Atom atom = decoded->term.as_atom();
    cache.set(slot, atom);
    next_ref() = AtomCacheRef{slot, true, std::move(atom)};
    pos = text_at + len;
  }
  section.used = pos;
  return std::nullopt;
}

namespace {
const std::string& text_of(const AtomCacheRef& ref) { return ref.atom.name; }
const std::string& text_of(const PlannedAtomRef& ref) { return ref.atom->name; }

template <class Ref>
void write_section(std::vector<std::uint8_t>& out, std::span<const Ref> refs) {
  const std::size_t n = refs.size();
  if (n == 0) return out.push_back(0);
  // As erts_finalize_atom_cache_map: any referenced atom over 255 bytes, old entries included.
  bool long_atoms = false;
  std::size_t size = 1 + n / 2 + 1 + n;  // count, flag nibbles, one segment index per reference
  for (const auto& r : refs) {
    if (text_of(r).size() > 255) long_atoms = true;
    if (r.is_new) size += 1 + text_of(r).size();
  }
  if (long_atoms)
    for (const auto& r : refs) size += r.is_new;
  // Sized once and written through a pointer: a push_back per byte cost more than the rest.
  const std::size_t at = out.size();
  out.resize(at + size);
  std::uint8_t* p = out.data() + at;
  *p++ = std::uint8_t(n);
  std::uint8_t* flags = p;
  std::memset(flags, 0, n / 2 + 1);
  auto set_nibble = [flags](std::size_t i, std::uint8_t v) {
    flags[i / 2] |= (i % 2 == 0) ? v : std::uint8_t(v << 4);
  };
  for (std::size_t i = 0; i < n; ++i)
    set_nibble(i, std::uint8_t((refs[i].is_new ? 0x08 : 0) | ((refs[i].slot >> 8) & 0x07)));
  set_nibble(n, long_atoms ? 0x01 : 0x00);
  p += n / 2 + 1;
  for (const auto& r : refs) {
    *p++ = std::uint8_t(r.slot & 0xff);
    if (!r.is_new) continue;
    const std::size_t len = text_of(r).size();
    if (long_atoms) *p++ = std::uint8_t(len >> 8);
    *p++ = std::uint8_t(len);
    std::memcpy(p, text_of(r).data(), len);
    p += len;
  }
}
}  // namespace

void write_atom_cache_section(std::vector<std::uint8_t>& out, std::span<const AtomCacheRef> refs) {
  write_section(out, refs);
}
void write_atom_cache_section(std::vector<std::uint8_t>& out, std::span<const PlannedAtomRef> refs) {
  write_section(out, refs);
}

etf::AtomCacheView make_atom_cache_view(const std::vector<AtomCacheRef>& refs) {
  return etf::AtomCacheView{[&refs](std::uint8_t index) -> const etf::Atom* {
    return index < refs.size() ? &refs[index].atom : nullptr;
  }};
}

Result<FragmentIds, ConnectionError> parse_fragment_ids(std::span<const std::uint8_t> packet) {
  if (packet.size() < kFragmentPrefixSize)
    return error(ConnectionErrorCode::HeaderTruncated, packet.size());
  return FragmentIds{read_u64(packet.data() + 2), read_u64(packet.data() + 10)};
}

void write_fragment_prefix(std::vector<std::uint8_t>& out, std::uint8_t tag, FragmentIds ids) {
  out.push_back(kVersionMagic);
  out.push_back(tag);
  write_u64(out, ids.sequence_id);
  write_u64(out, ids.fragment_id);
}

}  // namespace distspec::proto
