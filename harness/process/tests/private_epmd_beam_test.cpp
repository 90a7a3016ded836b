// PrivateEpmd starts a real epmd on a free port and takes it down with its object.
#include "distspec/process/private_epmd.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "distspec/process/local_host.hpp"

namespace distspec::process {
namespace {

TEST(PrivateEpmd, AcceptsWhileAliveAndIsGoneAfter) {
  std::uint16_t port = 0;
  {
    PrivateEpmd epmd;
    port = epmd.port();
    EXPECT_NE(port, 4369) << "never the system epmd's port";
    EXPECT_TRUE(loopback_accepts(port));
    PrivateEpmd second;  // two runs side by side get two epmds
    EXPECT_NE(second.port(), port);
  }
  EXPECT_FALSE(loopback_accepts(port));
}

}  // namespace
}  // namespace distspec::process
