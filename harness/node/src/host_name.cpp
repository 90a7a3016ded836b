#include "distspec/node/host_name.hpp"

#include <netdb.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace distspec::node {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string_view after_dot(std::string_view s) {
  auto dot = s.find('.');
  return dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
}

// The last `domain` line wins, as in inet_db's resolv.conf parser.
std::string resolv_conf_domain(std::string_view conf) {
  std::string domain;
  std::istringstream lines{std::string(conf)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (words >> key >> value && key == "domain") domain = value;
  }
  return domain;
}

}  // namespace

HostEnvironment read_host_environment() {
  HostEnvironment env;
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) == 0) env.hostname = buf;
  const char* etc = std::getenv("ERL_INET_ETC_DIR");
  env.resolv_conf = read_file(std::string(etc ? etc : "/etc") + "/resolv.conf");
  std::string short_host = env.hostname.substr(0, env.hostname.find('.'));
  if (!short_host.empty()) {
    addrinfo hints{};
    hints.ai_flags = AI_CANONNAME;
    addrinfo* result = nullptr;
    if (getaddrinfo(short_host.c_str(), nullptr, &hints, &result) == 0 && result) {
      if (result->ai_canonname) env.canonical = result->ai_canonname;
      freeaddrinfo(result);
    }
  }
  return env;
}

std::string resolver_domain(const HostEnvironment& env) {
  std::string domain = resolv_conf_domain(env.resolv_conf);
  if (domain.empty()) domain = after_dot(env.hostname);
  if (domain.empty()) domain = after_dot(env.canonical);
  return domain;
}

Result<proto::NodeName, NameError> make_node_name(std::string_view spec, proto::NameKind kind,
                                                  const HostEnvironment& env) {
  if (spec.find('@') == std::string_view::npos && env.hostname.empty())
    return NameError{kind == proto::NameKind::Short ? "Can't set short node name!"
                                                    : "Can't set long node name!"};
  auto name = proto::derive_node_name(spec, kind, env.hostname, resolver_domain(env));
  if (name) return std::move(name).value();
  switch (name.error().code) {
    case proto::NodeNameErrorCode::ShortNameHasDot: return NameError{"Can't set short node name!"};
    case proto::NodeNameErrorCode::NoDomain: return NameError{"Can't set long node name!"};
    default: return NameError{"Invalid node name!"};
  }
}

}  // namespace distspec::node
