// Distribution connections taken from the pcapng captures in shared/vectors/captures: the bytes
// each side sent after the handshake, and the flags the handshake negotiated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "distspec/proto/dist_flags.hpp"
#include "distspec/proto/dist_header.hpp"

namespace distspec::proto::testing {

struct ConnectedDirection {
  std::string label;                 // "d_genserver_call_iex#0 x@vm -> a@vm"
  HeaderMode mode;                   // from the negotiated flags
  std::vector<std::uint8_t> stream;  // 4-byte framed packets after the handshake
};

// Every connection in every capture that completed its handshake (both directions). A connection
// is recognised by its first client message being a valid send_name; the handshake ends after
// the client's challenge_reply 'r' and the server's challenge_ack 'a'.
std::vector<ConnectedDirection> connected_directions_from_captures();

}  // namespace distspec::proto::testing
