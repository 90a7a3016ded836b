// Talking to an epmd over TCP with the proto layer's messages (distspec/proto/epmd.hpp).
//
// Asynchronous operations run on the caller's io_context and call their handler exactly once.
// Every read is bounded by a deadline (erl_epmd uses 10 s for replies) and by the proto parsers'
// limits. The blocking helpers run the same operations on a private io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "distspec/etf/result.hpp"
#include "distspec/proto/epmd.hpp"

namespace distspec::node {

struct EpmdFailure {
  std::string message;  // e.g. "cannot connect to epmd at vm:4369: Connection refused"
};

inline constexpr std::chrono::milliseconds kEpmdReplyTimeout{10'000};  // erl_epmd's recv timeout

using PortPleaseHandler = std::function<void(Result<proto::epmd::Port2Reply, EpmdFailure>)>;
using NamesHandler = std::function<void(Result<proto::epmd::NamesReply, EpmdFailure>)>;

void async_port_please(boost::asio::io_context& io, const std::string& host, std::uint16_t epmd_port,
                       const std::string& alive, PortPleaseHandler handler,
                       std::chrono::milliseconds timeout = kEpmdReplyTimeout);
void async_names(boost::asio::io_context& io, const std::string& host, std::uint16_t epmd_port,
                 NamesHandler handler, std::chrono::milliseconds timeout = kEpmdReplyTimeout);

Result<proto::epmd::NamesReply, EpmdFailure> epmd_names(const std::string& host,
                                                        std::uint16_t epmd_port);
Result<proto::epmd::Port2Reply, EpmdFailure> epmd_port_please(const std::string& host,
                                                              std::uint16_t epmd_port,
                                                              const std::string& alive);

// A registration: ALIVE2_REQ on a connection kept open for the node's lifetime (closing it
// unregisters the name; nothing more may be written on it). A duplicate name is the failure
// "the name NAME seems to be in use by another Erlang node" (erl's sentence).
class EpmdRegistration {
 public:
  using Handler = std::function<void(Result<std::uint32_t, EpmdFailure> creation)>;
  // Registers on 127.0.0.1:epmd_port; the handler gets the creation from ALIVE2_X_RESP.
  static std::shared_ptr<EpmdRegistration> start(boost::asio::io_context& io,
                                                 std::uint16_t epmd_port,
                                                 proto::epmd::NodeEntry entry, Handler handler);
  // Unregisters (closes the connection). Idempotent.
  void close();
  bool registered() const { return registered_; }

  explicit EpmdRegistration(boost::asio::io_context& io) : socket_(io) {}

 private:
  boost::asio::ip::tcp::socket socket_;
  bool registered_ = false;
};

}  // namespace distspec::node
