// The machine facts behind node names, read as erl reads them (inet_config), and the names
// `erl -sname` / `erl -name` build from them. The naming rules themselves are proto's
// (distspec/proto/node_name.hpp); this file only gathers what the OS says.
//
// Domain for long names, in inet_config's order: the `domain` line of resolv.conf (it overrides),
// else the part of gethostname() after its first '.', else the part after the first '.' of the
// canonical name of the short host. Errors carry the sentence erl prints.
#pragma once

#include <string>
#include <string_view>

#include "distspec/etf/result.hpp"
#include "distspec/proto/node_name.hpp"

namespace distspec::node {

struct HostEnvironment {
  std::string hostname;     // gethostname()
  std::string resolv_conf;  // contents of resolv.conf ("" if unreadable)
  std::string canonical;    // canonical name of the short host name ("" if it does not resolve)
};

// gethostname(), $ERL_INET_ETC_DIR/resolv.conf (default /etc), getaddrinfo(AI_CANONNAME).
HostEnvironment read_host_environment();

// The resolver domain as inet_config finds it ("" when there is none).
std::string resolver_domain(const HostEnvironment& env);

struct NameError {
  std::string message;  // erl's sentence, e.g. "Can't set long node name!"
};

// `spec` is what follows -sname/-name ("a" or "a@host").
Result<proto::NodeName, NameError> make_node_name(std::string_view spec, proto::NameKind kind,
                                                  const HostEnvironment& env);

}  // namespace distspec::node
