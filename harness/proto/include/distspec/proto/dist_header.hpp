// Layout of distribution packets after the handshake (connection.md §1-4): pass-through 'p',
// the normal header 131 'D', and the fragment headers 131 'E' / 131 'F', with the atom cache
// section. Pure pack/unpack functions; state lives in AtomCacheIn/AtomCacheOut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/result.hpp"
#include "distspec/proto/atom_cache.hpp"
#include "distspec/proto/connection_error.hpp"
#include "distspec/proto/dist_flags.hpp"

namespace distspec::proto {

inline constexpr std::uint8_t kVersionMagic = 131;
inline constexpr std::uint8_t kPassThroughTag = 112;  // 'p'
inline constexpr std::uint8_t kDistHeaderTag = 68;    // 'D'
inline constexpr std::uint8_t kFragHeaderTag = 69;    // 'E'
inline constexpr std::uint8_t kFragContTag = 70;      // 'F'

// Which packet layout a connection uses; fixed by the negotiated (AND-ed) flags, not per message.
// Build it from DIST_HDR_ATOM_CACHE and FRAGMENTS of the negotiated flags.
struct HeaderMode {
  bool atom_cache = false;  // DIST_HDR_ATOM_CACHE: headers may carry cache references
  bool fragments = false;   // FRAGMENTS: 'E'/'F' allowed
  bool uses_headers() const { return atom_cache || fragments; }  // else pass-through 'p'
};

// The mode of a connection whose negotiated (own AND peer) flags are `negotiated`.
inline HeaderMode header_mode_from_flags(DistFlags negotiated) {
  return HeaderMode{(negotiated & dflag::dist_hdr_atom_cache) != 0,
                    (negotiated & dflag::fragments) != 0};
}

enum class PacketKind : std::uint8_t { PassThrough, Header, FragmentHeader, FragmentCont };

// Classifies a non-empty packet for `mode`. Fails with IncompatiblePacket (first byte wrong for
// the mode, as OTP's "incompatible erlang") or HeaderNotNegotiated ('E'/'F' without FRAGMENTS).
Result<PacketKind, ConnectionError> classify_packet(std::span<const std::uint8_t> packet,
                                                    HeaderMode mode);

struct AtomCacheSection {
  std::vector<AtomCacheRef> refs;  // reference i of the message
  bool long_atoms = false;
  std::size_t used = 0;            // bytes of the section, from NumberOfAtomCacheRefs on
};

// Parses [N][Flags][Refs] starting at NumberOfAtomCacheRefs; stores new entries in `cache`
// (in order, as OTP does). `base` is the offset of bytes[0] in the packet, for error offsets.
Result<AtomCacheSection, ConnectionError> parse_atom_cache_section(
    std::span<const std::uint8_t> bytes, std::size_t base, AtomCacheIn& cache);
// The same into `section` (a receiver parses every header into one): the references already
// there are overwritten in place, so their atom texts keep their buffers. On error, refs holds
// the references parsed before it.
std::optional<ConnectionError> parse_atom_cache_section_into(AtomCacheSection& section,
                                                             std::span<const std::uint8_t> bytes,
                                                             std::size_t base, AtomCacheIn& cache);
// Appends [N][Flags][Refs]; LongAtoms is set when any referenced atom exceeds 255 bytes (as OTP).
// Precondition: refs.size() <= 255, slots < 2048.
void write_atom_cache_section(std::vector<std::uint8_t>& out, std::span<const AtomCacheRef> refs);
void write_atom_cache_section(std::vector<std::uint8_t>& out, std::span<const PlannedAtomRef> refs);

// ATOM_CACHE_REF i -> refs[i] for the term decoder. `refs` must outlive the view.
etf::AtomCacheView make_atom_cache_view(const std::vector<AtomCacheRef>& refs);

struct FragmentIds {
  std::uint64_t sequence_id = 0;
  std::uint64_t fragment_id = 0;
};
inline constexpr std::size_t kFragmentIdsOffset = 2;   // after 131 'E' / 131 'F'
inline constexpr std::size_t kFragmentPrefixSize = 18;  // 131, tag, SequenceId:64, FragmentId:64

// Reads SequenceId and FragmentId of an 'E'/'F' packet (HeaderTruncated if shorter than 18).
Result<FragmentIds, ConnectionError> parse_fragment_ids(std::span<const std::uint8_t> packet);
// Appends 131, tag ('E' or 'F'), SequenceId, FragmentId.
void write_fragment_prefix(std::vector<std::uint8_t>& out, std::uint8_t tag, FragmentIds ids);

}  // namespace distspec::proto
