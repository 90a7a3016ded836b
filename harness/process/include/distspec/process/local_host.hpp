// Facts about this machine that starting local nodes and daemons needs: the host part of a
// short node name, a loopback port to give a daemon, and whether something listens on one yet.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace distspec::process {

// gethostname() up to its first '.': the host part `erl -sname x` gives when no domain is
// configured (node::make_node_name is the full rule; this one serves processes and tests).
std::string short_host_name();

sockaddr_in loopback_address(std::uint16_t port);  // 127.0.0.1:port, for bind/connect

// A port on 127.0.0.1 the kernel just gave out and we released (bind to 0, read it, close):
// free a moment ago, not reserved.
std::uint16_t free_loopback_port();  // throws std::runtime_error when no socket can be bound

// True when a TCP connect to 127.0.0.1:port succeeds now.
bool loopback_accepts(std::uint16_t port);

}  // namespace distspec::process
