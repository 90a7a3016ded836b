// Shared pieces of the node's beam tests: one epmd per test process, our nodes with captured
// logs, and BEAM nodes, all stopped when the test process ends (or dies: PR_SET_PDEATHSIG).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "distspec/node/node.hpp"
#include "distspec/testing/beam_processes.hpp"

namespace distspec::node::testing {

// The BEAM processes come from the shared test support (every layer's beam tests use it).
using distspec::testing::BeamNode;
using distspec::testing::BeamNodeOptions;
using distspec::testing::PrivateEpmd;
using distspec::testing::make_temp_dir;
using distspec::process::short_host_name;

// The test process's epmd (started on first use, on a free port; ERL_EPMD_PORT is set to it so
// everything started afterwards, including our nodes, uses it).
PrivateEpmd& test_epmd();

// Log lines of one of our nodes, kept for assertions (and echoed to stderr).
class LogCapture {
 public:
  LogSink sink(const std::string& tag);
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout);
  std::vector<std::string> lines() const;
  std::size_t count(const std::string& needle) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

struct OurNode {
  std::shared_ptr<LogCapture> log = std::make_shared<LogCapture>();
  std::unique_ptr<Node> node;
};

// Starts one of our nodes named alive@<short host> with `cookie`; `tweak` adjusts the options.
OurNode start_our_node(const std::string& alive, const std::string& cookie,
                       const std::function<void(NodeOptions&)>& tweak = {});

std::string node_at_host(const std::string& alive);  // alive@<short host>

}  // namespace distspec::node::testing
