// A small pcapng reader for tests: TCP payload per direction, reassembled per TCP stream.
//
// Reads Section Header, Interface Description, Enhanced Packet and Simple Packet blocks (either
// byte order; other blocks are skipped), link types Ethernet (1, with 802.1Q tags), BSD loopback
// (0, 108), raw IP (101, 228, 229), Linux cooked (113, 276); IPv4 and IPv6 (hop-by-hop, routing,
// destination-options extension headers skipped); TCP. IP fragments are not reassembled.
// Throws std::runtime_error on a malformed file (test support: exceptions are fine here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace distspec::test::pcapng {

struct Endpoint {
  std::string address;  // "127.0.0.1", "::1"
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// A run of new payload bytes in one direction, in capture order.
struct Piece {
  bool from_client = true;
  std::size_t offset = 0;  // into client_to_server or server_to_client
  std::size_t length = 0;
  double time = 0;         // seconds since the epoch
};

struct TcpStream {
  Endpoint client;  // the side that sent the SYN (or the first packet, if the SYN is missing)
  Endpoint server;
  std::vector<std::uint8_t> client_to_server;  // reassembled payload, retransmissions removed
  std::vector<std::uint8_t> server_to_client;
  std::vector<Piece> timeline;                 // how the bytes interleaved on the wire
  bool client_fin = false;
  bool server_fin = false;
  bool gap = false;  // a hole in the sequence space (lost segment): the payload is incomplete
};

struct Capture {
  std::vector<TcpStream> streams;  // in order of their first packet
  std::size_t packets = 0;
};

Capture read_file(const std::string& path);
Capture read_bytes(const std::vector<std::uint8_t>& bytes);

// Streams whose server port is `port`.
std::vector<const TcpStream*> streams_to_port(const Capture& capture, std::uint16_t port);

}  // namespace distspec::test::pcapng
