#include "distspec/process/private_epmd.hpp"

#include <stdexcept>
#include <thread>

#include "distspec/process/local_host.hpp"

namespace distspec::process {

PrivateEpmd::PrivateEpmd() {
  std::string last_output;
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    process_ = std::make_unique<ChildProcess>(
        ChildOptions{DISTSPEC_EPMD_EXECUTABLE, {"-port", port_text()}, {}, {}});
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    // running() first: a connect that succeeds while our epmd already exited reached somebody
    // else who took the port.
    while (Clock::now() < deadline && process_->running()) {
      if (loopback_accepts(port_)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    process_->kill_group();
    for (const auto& line : process_->output().last(5)) last_output += line + "\n";
    process_.reset();
  }
  throw std::runtime_error("epmd did not start on a free port:\n" + last_output);
}

}  // namespace distspec::process
