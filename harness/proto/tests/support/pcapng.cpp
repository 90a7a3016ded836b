#include "support/pcapng.hpp"

#include <arpa/inet.h>

#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>
#include <tuple>

namespace distspec::test::pcapng {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Reader {
  const std::uint8_t* data;
  std::size_t size;
  bool little = true;

  std::uint16_t u16(std::size_t at) const {
    check(at, 2);
    return little ? std::uint16_t(data[at] | data[at + 1] << 8)
                  : std::uint16_t(data[at] << 8 | data[at + 1]);
  }
  std::uint32_t u32(std::size_t at) const {
    check(at, 4);
    const std::uint32_t a = data[at], b = data[at + 1], c = data[at + 2], d = data[at + 3];
    return little ? (a | b << 8 | c << 16 | d << 24) : (a << 24 | b << 16 | c << 8 | d);
  }
  void check(std::size_t at, std::size_t n) const {
    if (at + n > size || at + n < at) throw std::runtime_error("pcapng: truncated block");
  }
};

std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

std::string address_text(int family, const std::uint8_t* raw) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, raw, text, sizeof text);
  return text;
}

struct Direction {
  bool have_base = false;
  std::uint32_t base = 0;  // sequence number of the first payload byte
  std::map<std::uint32_t, Bytes> pending;  // out-of-order segments by relative offset
};

struct StreamState {
  TcpStream stream;
  Direction to_server, to_client;
};

struct Assembler {
  Capture capture;
  std::vector<StreamState> states;
  std::map<std::tuple<std::string, std::uint16_t, std::string, std::uint16_t>, std::size_t> index;

  void segment(const Endpoint& src, const Endpoint& dst, std::uint32_t seq, std::uint8_t flags,
               const std::uint8_t* payload, std::size_t length, double time) {
    const bool syn = flags & 0x02, ack = flags & 0x10, fin = flags & 0x01;
    auto key = std::make_tuple(src.address, src.port, dst.address, dst.port);
    auto reverse = std::make_tuple(dst.address, dst.port, src.address, src.port);
    std::size_t at;
    if (syn && !ack) {  // a new connection (ports may be reused)
      states.push_back({});
      states.back().stream.client = src;
      states.back().stream.server = dst;
      at = states.size() - 1;
      index[key] = index[reverse] = at;
    } else if (auto it = index.find(key); it != index.end()) {
      at = it->second;
    } else {  // joined mid-stream: the first sender is taken as the client
      states.push_back({});
      states.back().stream.client = src;
      states.back().stream.server = dst;
      at = states.size() - 1;
      index[key] = index[reverse] = at;
    }
    StreamState& state = states[at];
    TcpStream& stream = state.stream;
    const bool from_client = src == stream.client;
    Direction& dir = from_client ? state.to_server : state.to_client;
    Bytes& out = from_client ? stream.client_to_server : stream.server_to_client;
    if (syn) {
      dir.have_base = true;
      dir.base = seq + 1;
    } else if (!dir.have_base) {
      dir.have_base = true;
      dir.base = seq;
    }
    if (fin) (from_client ? stream.client_fin : stream.server_fin) = true;
    if (length == 0) return;
    const std::uint32_t rel = (syn ? seq + 1 : seq) - dir.base;  // wraps modulo 2^32
    dir.pending[rel] = Bytes(payload, payload + length);
    // Append every pending segment that now fits, trimming retransmitted overlap.
    for (auto it = dir.pending.begin(); it != dir.pending.end();) {
      const std::size_t have = out.size();
      if (it->first > have) break;
      const std::size_t skip = have - it->first;
      if (skip < it->second.size()) {
        stream.timeline.push_back({from_client, have, it->second.size() - skip, time});
        out.insert(out.end(), it->second.begin() + std::ptrdiff_t(skip), it->second.end());
      }
      it = dir.pending.erase(it);
    }
  }
};

// Decodes one link-layer frame down to TCP and feeds the assembler.
void packet(Assembler& assembler, int link_type, const std::uint8_t* p, std::size_t n,
            double time) {
  std::size_t at = 0;
  int ether_type = 0;  // 0x0800 IPv4, 0x86DD IPv6
  auto family_to_type = [](std::uint32_t family) {
    // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24, 28 or 30 (BSDs).
    if (family == 2) return 0x0800;
    if (family == 10 || family == 24 || family == 28 || family == 30) return 0x86DD;
    return 0;
  };
  switch (link_type) {
    case 1:  // Ethernet
      if (n < 14) return;
      ether_type = be16(p + 12);
      at = 14;
      while (ether_type == 0x8100 && at + 4 <= n) {  // 802.1Q
        ether_type = be16(p + at + 2);
        at += 4;
      }
      break;
    case 0:  // BSD loopback: address family in host (capturing machine) byte order
      if (n < 4) return;
      ether_type = family_to_type(std::uint32_t(p[0] | p[1] << 8 | p[2] << 16 | p[3] << 24));
      if (!ether_type) ether_type = family_to_type(be32(p));
      at = 4;
      break;
    case 108:  // OpenBSD loopback: network byte order
      if (n < 4) return;
      ether_type = family_to_type(be32(p));
      at = 4;
      break;
    case 101: case 228: case 229:  // raw IP
      if (n < 1) return;
      ether_type = (p[0] >> 4) == 6 ? 0x86DD : 0x0800;
      break;
    case 113:  // Linux cooked v1
      if (n < 16) return;
      ether_type = be16(p + 14);
      at = 16;
      break;
    case 276:  // Linux cooked v2
      if (n < 20) return;
      ether_type = be16(p);
      at = 20;
      break;
    default: throw std::runtime_error("pcapng: unsupported link type " + std::to_string(link_type));
  }
  Endpoint src, dst;
  std::size_t ip_end = n;
  if (ether_type == 0x0800) {
    if (at + 20 > n || (p[at] >> 4) != 4) return;
    const std::size_t header = std::size_t(p[at] & 0x0F) * 4;
    const std::size_t total = be16(p + at + 2);
    if (p[at + 9] != 6 || header < 20 || at + header > n) return;
    if ((be16(p + at + 6) & 0x3FFF) != 0) return;  // a fragment
    src.address = address_text(AF_INET, p + at + 12);
    dst.address = address_text(AF_INET, p + at + 16);
    ip_end = std::min(n, at + total);
    at += header;
  } else if (ether_type == 0x86DD) {
    if (at + 40 > n) return;
    std::uint8_t next = p[at + 6];
    ip_end = std::min(n, at + 40 + be16(p + at + 4));
    src.address = address_text(AF_INET6, p + at + 8);
    dst.address = address_text(AF_INET6, p + at + 24);
    at += 40;
    while (next == 0 || next == 43 || next == 60) {  // hop-by-hop, routing, destination options
      if (at + 8 > ip_end) return;
      next = p[at];
      at += (std::size_t(p[at + 1]) + 1) * 8;
    }
    if (next != 6) return;
  } else {
    return;
  }
  if (at + 20 > ip_end) return;
  src.port = be16(p + at);
  dst.port = be16(p + at + 2);
  const std::uint32_t seq = be32(p + at + 4);
  const std::size_t header = std::size_t(p[at + 12] >> 4) * 4;
  const std::uint8_t flags = p[at + 13];
  if (header < 20 || at + header > ip_end) return;
  assembler.segment(src, dst, seq, flags, p + at + header, ip_end - at - header, time);
}

}  // namespace

Capture read_bytes(const std::vector<std::uint8_t>& bytes) {
  Assembler assembler;
  Reader r{bytes.data(), bytes.size()};
  std::vector<int> link_types;
  std::vector<std::uint8_t> ts_resolution;  // power of ten (or power of two with bit 7 set)
  std::size_t at = 0;
  while (at + 12 <= bytes.size()) {
    const std::uint8_t* b = bytes.data() + at;
    const std::uint32_t raw_type = std::uint32_t(b[0]) | b[1] << 8 | b[2] << 16 | std::uint32_t(b[3]) << 24;
    if (raw_type == 0x0A0D0D0A) {  // section header: its byte-order magic decides the rest
      const std::uint32_t magic = be32(b + 8);
      if (magic == 0x1A2B3C4D) r.little = false;
      else if (magic == 0x4D3C2B1A) r.little = true;
      else throw std::runtime_error("pcapng: bad byte-order magic");
      link_types.clear();
      ts_resolution.clear();
    }
    const std::uint32_t type = r.u32(at);
    const std::uint32_t length = r.u32(at + 4);
    if (length < 12 || length % 4 != 0 || at + length > bytes.size())
      throw std::runtime_error("pcapng: bad block length at " + std::to_string(at));
    if (type == 1) {  // interface description
      link_types.push_back(r.u16(at + 8));
      std::uint8_t resolution = 6;  // microseconds unless if_tsresol says otherwise
      for (std::size_t opt = at + 16; opt + 4 <= at + length - 4;) {
        const std::uint16_t code = r.u16(opt), size = r.u16(opt + 2);
        if (code == 0) break;
        if (code == 9 && size >= 1) resolution = bytes[opt + 4];
        opt += 4 + (size + 3u) / 4 * 4;
      }
      ts_resolution.push_back(resolution);
    } else if (type == 6) {  // enhanced packet
      const std::uint32_t interface = r.u32(at + 8);
      const std::uint64_t ts = std::uint64_t(r.u32(at + 12)) << 32 | r.u32(at + 16);
      const std::uint32_t captured = r.u32(at + 20);
      if (interface >= link_types.size() || 28 + std::size_t(captured) > length)
        throw std::runtime_error("pcapng: bad enhanced packet block");
      const std::uint8_t res = ts_resolution[interface];
      double scale = 1;
      for (int i = 0; i < (res & 0x7F); ++i) scale *= (res & 0x80) ? 2 : 10;
      ++assembler.capture.packets;
      packet(assembler, link_types[interface], b + 28, captured, double(ts) / scale);
    } else if (type == 3) {  // simple packet: interface 0, no timestamp
      if (link_types.empty()) throw std::runtime_error("pcapng: simple packet before interface");
      const std::size_t captured = std::min<std::size_t>(r.u32(at + 8), length - 16);
      ++assembler.capture.packets;
      packet(assembler, link_types[0], b + 12, captured, 0);
    }
    at += length;
  }
  if (at != bytes.size()) throw std::runtime_error("pcapng: trailing bytes");
  for (auto& state : assembler.states) {
    state.stream.gap = !state.to_server.pending.empty() || !state.to_client.pending.empty();
    assembler.capture.streams.push_back(std::move(state.stream));
  }
  return std::move(assembler.capture);
}

Capture read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("pcapng: cannot open " + path);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                        std::istreambuf_iterator<char>()};
  return read_bytes(bytes);
}

std::vector<const TcpStream*> streams_to_port(const Capture& capture, std::uint16_t port) {
  std::vector<const TcpStream*> out;
  for (const auto& stream : capture.streams)
    if (stream.server.port == port) out.push_back(&stream);
  return out;
}

}  // namespace distspec::test::pcapng
