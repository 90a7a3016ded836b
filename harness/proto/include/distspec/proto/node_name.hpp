// Node names `alive@host`, checked and derived as OTP 25 does (spec/epmd.md §8).
//
// The alive part must match [0-9A-Za-z_-]+ (the runtime refuses any other node name on a
// connection), the host part is non-empty printable Latin-1 without spaces or '@'. A short name
// (-sname) has a host without '.', a long name (-name) a host with '.' or an IP literal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "distspec/etf/result.hpp"

namespace distspec::proto {

enum class NodeNameErrorCode : std::uint8_t {
  Empty,
  MissingAt,        // no '@'
  ExtraAt,          // more than one '@'
  BadAlive,         // empty alive part, or a byte outside [0-9A-Za-z_-]
  BadHost,          // empty host, or a byte outside '!'..0xFF
  TooLong,          // over kMaxNodeNameBytes
  ShortNameHasDot,  // -sname alive@host where host contains '.' ("Can't set short node name!")
  NoDomain,         // -name alive without a resolver domain ("Can't set long node name!")
  WrongNameKind,    // target host kind differs from ours (the initiator's check)
};

std::string_view to_string(NodeNameErrorCode code);

struct NodeNameError {
  NodeNameErrorCode code;
  std::size_t offset;  // byte offset in the name text
};

// Node names are atoms: at most 255 characters; as Latin-1 (what OTP makes of handshake names)
// that is 255 bytes.
inline constexpr std::size_t kMaxNodeNameBytes = 255;

enum class NameKind : std::uint8_t { Short, Long };

struct NodeName {
  std::string alive;
  std::string host;

  std::string full() const { return alive + "@" + host; }
  NameKind kind() const;  // Long when the host contains '.' or is an IP literal
  friend bool operator==(const NodeName&, const NodeName&) = default;
};

// Parses and validates `alive@host`.
Result<NodeName, NodeNameError> parse_node_name(std::string_view text);

// Checks an alive part / host part on its own (offsets relative to the part).
Result<std::string_view, NodeNameError> validate_alive(std::string_view alive);
Result<std::string_view, NodeNameError> validate_host(std::string_view host);

bool is_ip_literal(std::string_view host);  // dotted IPv4 or IPv6 (contains ':')

// The node name erl derives from `-sname spec` / `-name spec`: spec is `alive` or `alive@host`;
// hostname is gethostname(), domain the resolver domain (may be empty).
Result<NodeName, NodeNameError> derive_node_name(std::string_view spec, NameKind kind,
                                                 std::string_view hostname,
                                                 std::string_view domain);

// The initiator's check before dialling: a short-name node refuses targets whose host has a '.',
// a long-name node refuses targets without one (unless an IP literal). The OTP acceptor does not
// check.
Result<NodeName, NodeNameError> check_dial_target(std::string_view target, NameKind own_kind);

// Atom order of two node names (byte-wise, shorter prefix first), for the simultaneous-connect
// rule: negative when a < b.
int compare_node_names(std::string_view a, std::string_view b);

}  // namespace distspec::proto
