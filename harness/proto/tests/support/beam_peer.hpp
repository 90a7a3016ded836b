// The proto side of proto's beam tests, with plain POSIX: loopback sockets, EPMD queries made
// with our codec, and a loop that runs a handshake machine over a socket. The epmd and erl
// processes themselves come from distspec/testing/beam_processes.hpp (shared by all layers).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "distspec/proto/handshake.hpp"
#include "distspec/testing/beam_processes.hpp"

namespace distspec::proto::testing {

using distspec::testing::BeamNode;
using distspec::testing::Clock;
using distspec::testing::PrivateEpmd;
using distspec::process::short_host_name;
inline constexpr auto kBeamStepTimeout = std::chrono::seconds(10);

// An owned file descriptor.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();
  bool valid() const { return fd >= 0; }
};

Fd connect_loopback(std::uint16_t port);
Fd listen_loopback(std::uint16_t& port);  // on 127.0.0.1, port chosen by the kernel
Fd accept_within(int listener, Clock::duration timeout = kBeamStepTimeout);
void write_all(int fd, const std::vector<std::uint8_t>& bytes);
// What arrives within the timeout: empty on timeout, nullopt on EOF.
std::optional<std::vector<std::uint8_t>> read_some(int fd,
                                                   Clock::duration timeout = kBeamStepTimeout);

// PORT_PLEASE2 to the epmd on `epmd_port`, with our codec; 0 if the name is not registered.
std::uint16_t epmd_port_please(std::uint16_t epmd_port, const std::string& alive);

// ALIVE2 with our codec; the returned socket keeps the registration alive.
struct EpmdRegistration {
  Fd socket;
  std::uint32_t creation = 0;  // 0 if epmd refused
};
EpmdRegistration epmd_register(std::uint16_t epmd_port, const std::string& alive,
                               std::uint16_t listen_port);

// Runs `machine` over a connected socket until Connected, Failed (EOF included), or a read that
// times out. Decisions: the acceptor's from `decision`, the initiator's alive answer `alive`.
// Returns every byte received; `after` gets the bytes that followed the handshake.
std::vector<std::uint8_t> drive_handshake(HandshakeMachine& machine, int fd,
                                          const AcceptDecision& decision = {}, bool alive = true,
                                          std::vector<std::uint8_t>* after = nullptr);

}  // namespace distspec::proto::testing
