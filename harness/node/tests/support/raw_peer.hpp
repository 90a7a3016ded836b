// A hand-driven peer for hostile-input tests: a blocking TCP socket, optionally taken through a
// correct version-6 handshake with proto's Initiator, then fed whatever bytes the test crafts.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "distspec/proto/cookie.hpp"

namespace distspec::node::testing {

class RawPeer {
 public:
  explicit RawPeer(std::uint16_t port);  // connects to 127.0.0.1:port
  // Runs the initiator side of the handshake; true when Connected.
  bool handshake(const std::string& own_name, const std::string& target, const proto::Cookie& cookie);
  void send(std::span<const std::uint8_t> bytes);
  // Reads (and discards) until the peer closes; true if it did within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout);

 private:
  // Reads some bytes; empty on EOF or timeout (eof_ tells which).
  std::vector<std::uint8_t> read_some(std::chrono::milliseconds timeout);
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  bool eof_ = false;
};

}  // namespace distspec::node::testing
