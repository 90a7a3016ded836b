// The run's own epmd, and a minimal NAMES query to see who is registered.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "distspec/scenario/process.hpp"

namespace distspec::scenario {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int pick_free_port();

// `epmd -port P` in the foreground, as our child (killed with the run). Waits until it answers.
class EpmdDaemon {
 public:
  EpmdDaemon();  // throws std::runtime_error when it does not come up
  int port() const { return port_; }

 private:
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// Names registered with the epmd on 127.0.0.1:port (EPMD NAMES_REQ), nullopt if unreachable.
std::optional<std::vector<std::string>> epmd_names(int port);

}  // namespace distspec::scenario
