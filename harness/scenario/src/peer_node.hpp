// The NodeDriver for `kind: peer`: our C++ node (distspec::node), run inside the runner.
#pragma once

#include <memory>

#include "distspec/scenario/node_kind.hpp"

namespace distspec::scenario {

std::unique_ptr<NodeDriver> make_peer_node(NodeLaunch launch);

}  // namespace distspec::scenario
