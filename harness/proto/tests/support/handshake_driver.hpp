// Test helpers that drive the handshake machines: against each other, or from a byte stream cut
// into pieces (for split-at-every-offset tests).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "distspec/proto/handshake.hpp"

namespace distspec::proto::testing {

using Bytes = std::vector<std::uint8_t>;

// What the embedder answers when a machine asks.
struct Answers {
  AcceptDecision decision;
  bool alive_reply = true;
};

// Feeds `pieces` one after the other (a piece may be empty), answering decisions as they come.
// Bytes a machine did not consume are carried to the next piece; what is left at the end (bytes
// after the handshake) is returned.
Bytes feed_pieces(HandshakeMachine& machine, const std::vector<std::span<const std::uint8_t>>& pieces,
                  const Answers& answers);

// Runs both machines against each other until neither makes progress. `chunk` limits how many
// bytes are handed over per feed() call. On return, the bytes each side wrote after the last
// one the other consumed are in the Transcript's leftovers.
struct Transcript {
  Bytes to_acceptor;   // everything the initiator wrote
  Bytes to_initiator;  // everything the acceptor wrote
  Bytes acceptor_unread;   // written by the initiator but not consumed by the acceptor
  Bytes initiator_unread;  // written by the acceptor but not consumed by the initiator
};
Transcript run_pair(Initiator& initiator, Acceptor& acceptor, const Answers& answers,
                    std::size_t chunk = SIZE_MAX);

// Options for two nodes that can talk to each other (same cookie, OTP 25 flags).
InitiatorOptions initiator_options(std::string own = "i@vm", std::string target = "a@vm");
AcceptorOptions acceptor_options(std::string own = "a@vm");

}  // namespace distspec::proto::testing
