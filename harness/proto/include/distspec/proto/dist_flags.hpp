// Distribution capability flags (64-bit), as OTP 25.2.3 defines them in erts/emulator/beam/dist.h
// and lib/kernel/include/dist.hrl (see ../shared/spec/handshake.md §5).
//
// Each side sends its own flags in the handshake; a peer's flags are first expanded (bit 26,
// MANDATORY_25_DIGEST, stands for every OTP 25 mandatory bit), then checked against the mandatory
// set, and the connection uses own AND peer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace distspec::proto {

using DistFlags = std::uint64_t;

namespace dflag {
inline constexpr DistFlags published = 0x1;
inline constexpr DistFlags atom_cache = 0x2;  // obsolete, never set
inline constexpr DistFlags extended_references = 0x4;
inline constexpr DistFlags dist_monitor = 0x8;
inline constexpr DistFlags fun_tags = 0x10;
inline constexpr DistFlags dist_monitor_name = 0x20;
inline constexpr DistFlags hidden_atom_cache = 0x40;  // obsolete
inline constexpr DistFlags new_fun_tags = 0x80;
inline constexpr DistFlags extended_pids_ports = 0x100;
inline constexpr DistFlags export_ptr_tag = 0x200;
inline constexpr DistFlags bit_binaries = 0x400;
inline constexpr DistFlags new_floats = 0x800;
inline constexpr DistFlags unicode_io = 0x1000;
inline constexpr DistFlags dist_hdr_atom_cache = 0x2000;
inline constexpr DistFlags small_atom_tags = 0x4000;
inline constexpr DistFlags ets_compressed = 0x8000;  // internal to OTP, never on the wire
inline constexpr DistFlags utf8_atoms = 0x10000;
inline constexpr DistFlags map_tag = 0x20000;
inline constexpr DistFlags big_creation = 0x40000;
inline constexpr DistFlags send_sender = 0x80000;
inline constexpr DistFlags big_seqtrace_labels = 0x100000;
inline constexpr DistFlags pending_connect = 0x200000;  // internal to OTP, never on the wire
inline constexpr DistFlags exit_payload = 0x400000;
inline constexpr DistFlags fragments = 0x800000;
inline constexpr DistFlags handshake_23 = 0x1000000;
inline constexpr DistFlags unlink_id = 0x2000000;
// Bit 26 in the OTP 25.2.3 code and on the wire; the OTP 25 protocol document's "1 bsl 36" is
// wrong (spec/pitfalls.md A.4).
inline constexpr DistFlags mandatory_25_digest = 0x4000000;
inline constexpr DistFlags spawn = DistFlags{1} << 32;
inline constexpr DistFlags name_me = DistFlags{1} << 33;  // request flag: "give me a name"
inline constexpr DistFlags v4_nc = DistFlags{1} << 34;
inline constexpr DistFlags alias = DistFlags{1} << 35;
}  // namespace dflag

// MANDATORY_DFLAGS_25: an OTP 25 node refuses a peer that lacks any of these (after expansion).
inline constexpr DistFlags kOtp25MandatoryFlags =
    dflag::extended_references | dflag::fun_tags | dflag::new_fun_tags |
    dflag::extended_pids_ports | dflag::export_ptr_tag | dflag::bit_binaries | dflag::new_floats |
    dflag::utf8_atoms | dflag::map_tag | dflag::big_creation | dflag::handshake_23;
static_assert(kOtp25MandatoryFlags == 0x01070f94);

// What a normal (published) OTP 25.2.3 node advertises (observed on the wire).
inline constexpr DistFlags kOtp25AdvertisedFlags = 0x0000000d07df7fbdULL;
// What a -hidden OTP 25.2.3 node advertises: the same without PUBLISHED.
inline constexpr DistFlags kOtp25HiddenFlags = kOtp25AdvertisedFlags & ~dflag::published;

// The peer's flags as OTP 25 sees them: MANDATORY_25_DIGEST implies every mandatory bit.
DistFlags expand_peer_flags(DistFlags peer);
// Mandatory bits the (expanded) peer flags lack; 0 means the peer passes the check.
DistFlags missing_flags(DistFlags peer, DistFlags required = kOtp25MandatoryFlags);
// The flags a connection uses: own AND expanded peer; PUBLISHED only if both publish.
DistFlags effective_flags(DistFlags own, DistFlags peer);

// OTP's names of the set bits ("BIG_CREATION", ...), lowest bit first; unknown bits as "bit N".
std::vector<std::string> flag_names(DistFlags flags);
// The flag OTP names `name` ("DIST_MONITOR_NAME"), or nullopt.
std::optional<DistFlags> flag_by_name(std::string_view name);
// OTP's log rendering of missing flags: ["BIG_CREATION","UTF8_ATOMS"] (as io_lib ~p prints them).
std::string format_flag_list(DistFlags flags);

}  // namespace distspec::proto
