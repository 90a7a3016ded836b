#include "support/raw_peer.hpp"

#include <boost/asio/write.hpp>

#include "distspec/proto/handshake.hpp"

namespace distspec::node::testing {

namespace asio = boost::asio;
using asio::ip::tcp;

RawPeer::RawPeer(std::uint16_t port) : socket_(io_) {
  socket_.connect({asio::ip::address_v4::loopback(), port});
}

void RawPeer::send(std::span<const std::uint8_t> bytes) {
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), ec);
}

std::vector<std::uint8_t> RawPeer::read_some(std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> buffer(65536);
  std::size_t got = 0;
  bool done = false;
  socket_.async_read_some(asio::buffer(buffer), [&](boost::system::error_code ec, std::size_t n) {
    done = true;
    got = n;
    if (ec) eof_ = true;
  });
  io_.restart();
  io_.run_for(timeout);
  if (!done) {
    socket_.cancel();
    io_.restart();
    io_.run();
  }
  buffer.resize(got);
  return buffer;
}

bool RawPeer::handshake(const std::string& own_name, const std::string& target,
                        const proto::Cookie& cookie) {
  proto::InitiatorOptions o;
  o.own_name = own_name;
  o.target_name = target;
  o.cookie = cookie;
  o.creation = 0x12345678;
  o.challenge = 0x0badcafe;
  o.flags = proto::kOtp25AdvertisedFlags & ~proto::dflag::spawn;
  proto::Initiator machine(std::move(o));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto out = machine.take_output();
    if (!out.empty()) send(out);
    if (machine.connected()) return true;
    if (machine.failed()) return false;
    if (machine.state() == proto::HandshakeState::AwaitAliveDecision) {
      (void)machine.answer_alive(true);
      continue;
    }
    auto bytes = read_some(std::chrono::seconds(5));
    if (bytes.empty()) return false;
    auto fed = machine.feed(bytes);
    if (!fed) return false;
  }
  return false;
}

bool RawPeer::closed_within(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    read_some(left);
    if (eof_) return true;
  }
  return false;
}

}  // namespace distspec::node::testing
