// The NodeDriver for `kind: peer`: our C++ node (distspec::node), run inside the runner.
#pragma once

#include <memory>

#include "distspec/scenario/node_kind.hpp"

namespace distspec::scenario {

std::unique_ptr<NodeDriver> make_peer_node(NodeLaunch launch);

// The registered atom a scenario's `name:` means: an Elixir alias (PingPong) is Elixir.PingPong,
// as GenServer.call({PingPong, node}, ...) means it.
std::string registered_atom(const std::string& name);

}  // namespace distspec::scenario
