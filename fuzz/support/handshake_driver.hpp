// Drives a handshake state machine with a fuzz input: the peer's byte stream is cut into chunks
// whose sizes the input chooses, each fed from an exactly-sized heap copy (so ASan sees any read
// past it). Checks, for both machines:
// - feed() never reports more bytes consumed than it was given, and stops early only in a state
//   that says why (a decision is awaited, Connected, Failed);
// - everything written is whole 2-byte-framed messages of at most kMaxHandshakeMessage bytes;
// - Connected only if the stream fed so far holds MD5(cookie ++ "%u" of our challenge), computed
//   here independently of the machine (the peer proved the cookie).
// With `help_to_prove` the driver, once the machine waits for the proof, feeds the correct
// proof message itself, so the Connected path and what follows stay reachable.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "distspec/proto/handshake.hpp"
#include "support/input_reader.hpp"

namespace distspec::fuzz {

struct HandshakeDriveHooks {
  // Called in AwaitDecision / AwaitAliveDecision: the target answers from the input.
  std::function<void(proto::HandshakeMachine&, InputReader&)> decide;
  // The proof message (framed) the honest peer would send now, or empty if not applicable.
  std::function<std::vector<std::uint8_t>(const proto::HandshakeMachine&)> proof;
  // The cookie the machine checks the proof against (may change at the decision).
  std::function<std::string()> cookie;
};

void drive_handshake(proto::HandshakeMachine& machine, InputReader& input, std::uint32_t own_challenge,
                     bool help_to_prove, const HandshakeDriveHooks& hooks);

std::array<std::uint8_t, 16> md5_digest(const std::string& cookie, std::uint32_t challenge);

}  // namespace distspec::fuzz
