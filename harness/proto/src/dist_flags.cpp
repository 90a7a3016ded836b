#include "distspec/proto/dist_flags.hpp"

#include <array>
#include <utility>

namespace distspec::proto {
namespace {

// Names as OTP's dist_util prints them in "cannot handle [...]" log lines.
constexpr std::array<std::pair<DistFlags, std::string_view>, 31> kFlagNames{{
    {dflag::published, "PUBLISHED"},
    {dflag::atom_cache, "ATOM_CACHE"},
    {dflag::extended_references, "EXTENDED_REFERENCES"},
    {dflag::dist_monitor, "DIST_MONITOR"},
    {dflag::fun_tags, "FUN_TAGS"},
    {dflag::dist_monitor_name, "DIST_MONITOR_NAME"},
    {dflag::hidden_atom_cache, "HIDDEN_ATOM_CACHE"},
    {dflag::new_fun_tags, "NEW_FUN_TAGS"},
    {dflag::extended_pids_ports, "EXTENDED_PIDS_PORTS"},
    {dflag::export_ptr_tag, "EXPORT_PTR_TAG"},
    {dflag::bit_binaries, "BIT_BINARIES"},
    {dflag::new_floats, "NEW_FLOATS"},
    {dflag::unicode_io, "UNICODE_IO"},
    {dflag::dist_hdr_atom_cache, "DIST_HDR_ATOM_CACHE"},
    {dflag::small_atom_tags, "SMALL_ATOM_TAGS"},
    {dflag::ets_compressed, "ETS_COMPRESSED"},
    {dflag::utf8_atoms, "UTF8_ATOMS"},
    {dflag::map_tag, "MAP_TAG"},
    {dflag::big_creation, "BIG_CREATION"},
    {dflag::send_sender, "SEND_SENDER"},
    {dflag::big_seqtrace_labels, "BIG_SEQTRACE_LABELS"},
    {dflag::pending_connect, "PENDING_CONNECT"},
    {dflag::exit_payload, "EXIT_PAYLOAD"},
    {dflag::fragments, "FRAGMENTS"},
    {dflag::handshake_23, "HANDSHAKE_23"},
    {dflag::unlink_id, "UNLINK_ID"},
    {dflag::mandatory_25_digest, "MANDATORY_25_DIGEST"},
    {dflag::spawn, "SPAWN"},
    {dflag::name_me, "NAME_ME"},
    {dflag::v4_nc, "V4_NC"},
    {dflag::alias, "ALIAS"},
}};

}  // namespace

DistFlags expand_peer_flags(DistFlags peer) {
  return (peer & dflag::mandatory_25_digest) ? (peer | kOtp25MandatoryFlags) : peer;
}

DistFlags missing_flags(DistFlags peer, DistFlags required) {
  return required & ~expand_peer_flags(peer);
}

DistFlags effective_flags(DistFlags own, DistFlags peer) {
  return expand_peer_flags(own) & expand_peer_flags(peer);
}

std::vector<std::string> flag_names(DistFlags flags) {
  std::vector<std::string> names;
  for (int bit = 0; bit < 64; ++bit) {
    const DistFlags mask = DistFlags{1} << bit;
    if (!(flags & mask)) continue;
    std::string name = "bit " + std::to_string(bit);
    for (const auto& [value, text] : kFlagNames)
      if (value == mask) name = std::string(text);
    names.push_back(std::move(name));
  }
  return names;
}

std::optional<DistFlags> flag_by_name(std::string_view name) {
  for (const auto& [value, text] : kFlagNames)
    if (text == name) return value;
  return std::nullopt;
}

std::string format_flag_list(DistFlags flags) {
  std::string out = "[";
  bool first = true;
  for (const auto& name : flag_names(flags)) {
    if (!first) out += ',';
    first = false;
    out += '"' + name + '"';
  }
  return out + "]";
}

}  // namespace distspec::proto
