#include "distspec/proto/node_name.hpp"

#include <arpa/inet.h>  // inet_pton: pure parsing, no I/O

#include <algorithm>

namespace distspec::proto {
namespace {

bool is_alive_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
         c == '-';
}

// Printable Latin-1 without space ('!'..0xFF), and no second '@' (is_node_name in dist.c).
bool is_host_byte(unsigned char c) { return c >= '!' && c != 0x7F && c != '@'; }

NodeNameError error(NodeNameErrorCode code, std::size_t offset) { return {code, offset}; }

}  // namespace

std::string_view to_string(NodeNameErrorCode code) {
  switch (code) {
    case NodeNameErrorCode::Empty: return "empty node name";
    case NodeNameErrorCode::MissingAt: return "node name has no '@'";
    case NodeNameErrorCode::ExtraAt: return "node name has more than one '@'";
    case NodeNameErrorCode::BadAlive: return "alive part must match [0-9A-Za-z_-]+";
    case NodeNameErrorCode::BadHost: return "host part must be non-empty printable Latin-1";
    case NodeNameErrorCode::TooLong: return "node name longer than 255 bytes";
    case NodeNameErrorCode::ShortNameHasDot: return "Can't set short node name!";
    case NodeNameErrorCode::NoDomain: return "Can't set long node name!";
    case NodeNameErrorCode::WrongNameKind: return "target uses the other kind of host name";
  }
  return "unknown node name error";
}

NameKind NodeName::kind() const {
  return (host.find('.') != std::string::npos || is_ip_literal(host)) ? NameKind::Long
                                                                       : NameKind::Short;
}

Result<std::string_view, NodeNameError> validate_alive(std::string_view alive) {
  if (alive.empty()) return error(NodeNameErrorCode::BadAlive, 0);
  for (std::size_t i = 0; i < alive.size(); ++i)
    if (!is_alive_byte(static_cast<unsigned char>(alive[i])))
      return error(NodeNameErrorCode::BadAlive, i);
  return alive;
}

Result<std::string_view, NodeNameError> validate_host(std::string_view host) {
  if (host.empty()) return error(NodeNameErrorCode::BadHost, 0);
  for (std::size_t i = 0; i < host.size(); ++i)
    if (!is_host_byte(static_cast<unsigned char>(host[i])))
      return error(NodeNameErrorCode::BadHost, i);
  return host;
}

Result<NodeName, NodeNameError> parse_node_name(std::string_view text) {
  if (text.empty()) return error(NodeNameErrorCode::Empty, 0);
  if (text.size() > kMaxNodeNameBytes) return error(NodeNameErrorCode::TooLong, kMaxNodeNameBytes);
  const auto at = text.find('@');
  if (at == std::string_view::npos) return error(NodeNameErrorCode::MissingAt, text.size());
  if (const auto second = text.find('@', at + 1); second != std::string_view::npos)
    return error(NodeNameErrorCode::ExtraAt, second);
  auto alive = validate_alive(text.substr(0, at));
  if (!alive) return alive.error();
  auto host = validate_host(text.substr(at + 1));
  if (!host) return error(host.error().code, at + 1 + host.error().offset);
  return NodeName{std::string(text.substr(0, at)), std::string(text.substr(at + 1))};
}

bool is_ip_literal(std::string_view host) {
  if (host.size() >= 64) return false;
  const std::string copy(host);
  unsigned char buffer[16];
  return inet_pton(AF_INET, copy.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, copy.c_str(), buffer) == 1;
}

Result<NodeName, NodeNameError> derive_node_name(std::string_view spec, NameKind kind,
                                                 std::string_view hostname,
                                                 std::string_view domain) {
  if (spec.find('@') != std::string_view::npos) {
    auto name = parse_node_name(spec);
    if (!name) return name;
    if (kind == NameKind::Short && name->host.find('.') != std::string::npos)
      return error(NodeNameErrorCode::ShortNameHasDot, spec.find('@') + 1);
    return name;
  }
  // inet_config splits gethostname() at the first dot; the rest is the domain if none is set.
  const auto dot = hostname.find('.');
  const std::string_view short_host = hostname.substr(0, dot);
  std::string host(short_host);
  if (kind == NameKind::Long) {
    std::string_view dom = domain;
    if (dom.empty() && dot != std::string_view::npos) dom = hostname.substr(dot + 1);
    if (dom.empty()) return error(NodeNameErrorCode::NoDomain, 0);
    host += '.';
    host += dom;
  }
  return parse_node_name(std::string(spec) + "@" + host);
}

Result<NodeName, NodeNameError> check_dial_target(std::string_view target, NameKind own_kind) {
  auto name = parse_node_name(target);
  if (!name) return name;
  const bool has_dot = name->host.find('.') != std::string::npos;
  const std::size_t host_offset = name->alive.size() + 1;
  if (own_kind == NameKind::Short && has_dot)
    return error(NodeNameErrorCode::WrongNameKind, host_offset);  // "NOT running to use FQDN"
  if (own_kind == NameKind::Long && !has_dot && !is_ip_literal(name->host))
    return error(NodeNameErrorCode::WrongNameKind, host_offset);  // "running to use FQDN"
  return name;
}

int compare_node_names(std::string_view a, std::string_view b) {
  // char_traits<char>::compare orders bytes as unsigned char, shorter prefix first.
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace distspec::proto
