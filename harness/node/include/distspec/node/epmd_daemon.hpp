// Finding (and if need be starting) the local epmd the way erl does.
//
// erl reads the port from $ERL_EPMD_PORT (default 4369) and, when nothing answers there, runs
// `epmd -daemon` with the same environment (so the daemon binds the same port) before it
// registers. We do the same and then wait, briefly, until the daemon accepts connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "distspec/node/log.hpp"

namespace distspec::node {

inline constexpr std::uint16_t kDefaultEpmdPort = 4369;

// $ERL_EPMD_PORT if it is a valid port number, else 4369.
std::uint16_t epmd_port_from_environment();

// True when something accepts TCP connections on 127.0.0.1:port.
bool epmd_answers(std::uint16_t port);

// Starts `epmd -daemon` if nothing answers on `port` (the child gets ERL_EPMD_PORT=port) and waits
// up to `wait` for it. Returns false (after logging why) when no epmd answers in the end.
bool ensure_epmd_running(std::uint16_t port, const Logger& log,
                         std::chrono::milliseconds wait = std::chrono::seconds(5));

// The epmd executable: `epmd` on PATH, else the one in the Erlang installation.
std::string epmd_executable();

}  // namespace distspec::node
