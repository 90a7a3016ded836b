#include "support/beam_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

#include "distspec/process/local_host.hpp"
#include "distspec/proto/epmd.hpp"

namespace distspec::proto::testing {
namespace {

int millis(Clock::duration d) {
  return int(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  std::swap(fd, o.fd);
  return *this;
}

Fd::~Fd() {
  if (fd >= 0) ::close(fd);
}

Fd connect_loopback(std::uint16_t port) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in a = process::loopback_address(port);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return Fd();
  return s;
}

Fd listen_loopback(std::uint16_t& port) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = process::loopback_address(0);
  socklen_t len = sizeof a;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.fd, 8) != 0 ||
      ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("cannot listen on loopback");
  port = ntohs(a.sin_port);
  return s;
}

Fd accept_within(int listener, Clock::duration timeout) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, millis(timeout)) <= 0) return Fd();
  return Fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
}

void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the peer closed: the reading side will see it
    done += std::size_t(n);
  }
}

std::optional<std::vector<std::uint8_t>> read_some(int fd, Clock::duration timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, millis(timeout)) <= 0) return std::vector<std::uint8_t>{};
  std::vector<std::uint8_t> buffer(4096);
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
  if (n <= 0) return std::nullopt;
  buffer.resize(std::size_t(n));
  return buffer;
}

std::uint16_t epmd_port_please(std::uint16_t epmd_port, const std::string& alive) {
  Fd s = connect_loopback(epmd_port);
  if (!s.valid()) return 0;
  write_all(s.fd, epmd::encode_request(epmd::PortPlease2Request{alive}).value());
  std::vector<std::uint8_t> reply;
  while (auto bytes = read_some(s.fd)) {  // epmd closes after the reply
    if (bytes->empty()) break;
    reply.insert(reply.end(), bytes->begin(), bytes->end());
  }
  auto parsed = epmd::parse_port2_reply(reply);
  return parsed.ok() && parsed->message.result == 0 ? parsed->message.node.port : 0;
}

EpmdRegistration epmd_register(std::uint16_t epmd_port, const std::string& alive,
                               std::uint16_t listen_port) {
  EpmdRegistration r{connect_loopback(epmd_port)};
  if (!r.socket.valid()) return r;
  epmd::NodeEntry entry;
  entry.port = listen_port;
  entry.name = alive;
  write_all(r.socket.fd, epmd::encode_request(epmd::Alive2Request{entry}).value());
  std::vector<std::uint8_t> reply;
  for (;;) {  // the registration socket stays open: parse as the bytes come
    auto bytes = read_some(r.socket.fd);
    if (!bytes || bytes->empty()) break;
    reply.insert(reply.end(), bytes->begin(), bytes->end());
    auto parsed = epmd::parse_alive2_reply(reply);
    if (parsed.ok()) {
      if (parsed->message.result == 0) r.creation = parsed->message.creation;
      break;
    }
    if (parsed.error().code != epmd::EpmdErrorCode::NeedMore) break;
  }
  return r;
}

std::vector<std::uint8_t> drive_handshake(HandshakeMachine& machine, int fd,
                                          const AcceptDecision& decision, bool alive,
                                          std::vector<std::uint8_t>* after) {
  std::vector<std::uint8_t> received, pending;
  for (;;) {
    write_all(fd, machine.take_output());
    if (machine.state() == HandshakeState::AwaitDecision) {
      if (!static_cast<Acceptor&>(machine).decide(decision).ok()) break;
      continue;
    }
    if (machine.state() == HandshakeState::AwaitAliveDecision) {
      if (!static_cast<Initiator&>(machine).answer_alive(alive).ok()) break;
      continue;
    }
    if (machine.connected() || machine.failed()) break;
    auto bytes = read_some(fd);
    if (!bytes) {
      machine.on_eof();
      continue;
    }
    if (bytes->empty()) break;  // timeout: the caller's expectations say what was missing
    received.insert(received.end(), bytes->begin(), bytes->end());
    pending.insert(pending.end(), bytes->begin(), bytes->end());
    auto used = machine.feed(pending);
    if (used.ok()) pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(used.value()));
  }
  if (after) *after = pending;
  return received;
}

}  // namespace distspec::proto::testing
