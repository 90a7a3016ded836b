// PrivateEpmd: an `epmd -port P` of our own, in the foreground as our child, on a port that was
// free, so runs and tests never touch the system epmd (4369) and leave no registration behind:
// it dies with its object (process group SIGKILL) or with us (PR_SET_PDEATHSIG).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "distspec/process/child_process.hpp"

namespace distspec::process {

class PrivateEpmd {
 public:
  // Returns once epmd accepts connections; another port is tried when the free port was taken
  // in between. Throws std::runtime_error (with epmd's output) when it does not come up.
  PrivateEpmd();
  std::uint16_t port() const { return port_; }
  std::string port_text() const { return std::to_string(port_); }  // for ERL_EPMD_PORT

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace distspec::process
