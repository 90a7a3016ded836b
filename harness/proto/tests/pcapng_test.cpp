// The test-support pcapng reader on synthetic files: both byte orders, simple and enhanced packet
// blocks, raw-IP and Linux-cooked links, IPv6, and TCP reassembly with reordering and
// retransmission. (The real captures are read by epmd_test and handshake_capture_test.)
#include <gtest/gtest.h>

#include "support/pcapng.hpp"

namespace distspec::test::pcapng {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Writer {
  bool little;
  Bytes out;
  void u16(Bytes& b, std::uint16_t v) {
    if (little) b.insert(b.end(), {std::uint8_t(v), std::uint8_t(v >> 8)});
    else b.insert(b.end(), {std::uint8_t(v >> 8), std::uint8_t(v)});
  }
  void u32(Bytes& b, std::uint32_t v) {
    if (little) { u16(b, std::uint16_t(v)); u16(b, std::uint16_t(v >> 16)); }
    else { u16(b, std::uint16_t(v >> 16)); u16(b, std::uint16_t(v)); }
  }
  void block(std::uint32_t type, Bytes body) {
    while (body.size() % 4) body.push_back(0);
    Bytes b;
    const auto total = std::uint32_t(body.size() + 12);
    u32(b, type);
    u32(b, total);
    b.insert(b.end(), body.begin(), body.end());
    u32(b, total);
    out.insert(out.end(), b.begin(), b.end());
  }
  void section() {
    Bytes body;
    u32(body, 0x1A2B3C4D);
    u16(body, 1);
    u16(body, 0);
    for (int i = 0; i < 8; ++i) body.push_back(0xff);  // section length unknown
    block(0x0A0D0D0A, body);
  }
  void interface(std::uint16_t link) {
    Bytes body;
    u16(body, link);
    u16(body, 0);
    u32(body, 0);
    block(1, body);
  }
  void enhanced(const Bytes& frame) {
    Bytes body;
    u32(body, 0);
    u32(body, 0);
    u32(body, 1000);
    u32(body, std::uint32_t(frame.size()));
    u32(body, std::uint32_t(frame.size()));
    body.insert(body.end(), frame.begin(), frame.end());
    block(6, body);
  }
  void simple(const Bytes& frame) {
    Bytes body;
    u32(body, std::uint32_t(frame.size()));
    body.insert(body.end(), frame.begin(), frame.end());
    block(3, body);
  }
};

Bytes tcp(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint8_t flags,
          const std::string& data) {
  Bytes t{std::uint8_t(sport >> 8), std::uint8_t(sport), std::uint8_t(dport >> 8), std::uint8_t(dport),
          std::uint8_t(seq >> 24), std::uint8_t(seq >> 16), std::uint8_t(seq >> 8), std::uint8_t(seq),
          0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0};
  for (char c : data) t.push_back(std::uint8_t(c));  // (insert() trips a GCC 12 false warning)
  return t;
}

Bytes ipv4(const Bytes& segment, bool reverse) {
  const auto total = std::uint16_t(20 + segment.size());
  Bytes ip{0x45, 0, std::uint8_t(total >> 8), std::uint8_t(total), 0, 0, 0x40, 0, 64, 6, 0, 0,
           127, 0, 0, std::uint8_t(reverse ? 2 : 1), 127, 0, 0, std::uint8_t(reverse ? 1 : 2)};
  for (auto b : segment) ip.push_back(b);
  return ip;
}

Bytes ipv6(const Bytes& segment, bool reverse) {
  Bytes ip{0x60, 0, 0, 0, std::uint8_t(segment.size() >> 8), std::uint8_t(segment.size()), 6, 64};
  for (int side = 0; side < 2; ++side)
    for (int i = 0; i < 16; ++i) ip.push_back(i == 15 ? std::uint8_t(1 + (side ^ reverse)) : 0);
  for (auto b : segment) ip.push_back(b);
  return ip;
}

TEST(Pcapng, ReassemblesOutOfOrderAndRetransmittedSegments) {
  for (bool little : {true, false}) {
    Writer w{little, {}};
    w.section();
    w.interface(101);  // raw IP
    w.enhanced(ipv4(tcp(5000, 4369, 100, 0x02, ""), false));         // SYN
    w.enhanced(ipv4(tcp(4369, 5000, 900, 0x12, ""), true));          // SYN-ACK
    w.enhanced(ipv4(tcp(5000, 4369, 106, 0x18, "world"), false));    // arrives first
    w.enhanced(ipv4(tcp(5000, 4369, 101, 0x18, "hello"), false));
    w.simple(ipv4(tcp(5000, 4369, 101, 0x18, "hello "), false));     // retransmission, longer
    w.enhanced(ipv4(tcp(4369, 5000, 901, 0x19, "ok"), true));        // data + FIN
    const Capture c = read_bytes(w.out);
    EXPECT_EQ(c.packets, 6u);
    ASSERT_EQ(c.streams.size(), 1u);
    const TcpStream& s = c.streams[0];
    EXPECT_EQ(s.client, (Endpoint{"127.0.0.1", 5000}));
    EXPECT_EQ(s.server, (Endpoint{"127.0.0.2", 4369}));
    EXPECT_EQ(std::string(s.client_to_server.begin(), s.client_to_server.end()), "helloworld");
    EXPECT_EQ(std::string(s.server_to_client.begin(), s.server_to_client.end()), "ok");
    EXPECT_TRUE(s.server_fin);
    EXPECT_FALSE(s.client_fin);
    EXPECT_FALSE(s.gap);
    EXPECT_EQ(streams_to_port(c, 4369).size(), 1u);
  }
}

TEST(Pcapng, LinuxCookedIpv6AndGaps) {
  Writer w{true, {}};
  w.section();
  w.interface(113);  // Linux cooked v1: 16-byte header, protocol at 14
  auto cooked = [](const Bytes& ip) {
    Bytes f(14, 0);
    f.push_back(0x86);
    f.push_back(0xdd);
    f.insert(f.end(), ip.begin(), ip.end());
    return f;
  };
  w.enhanced(cooked(ipv6(tcp(6000, 4370, 7, 0x02, ""), false)));
  w.enhanced(cooked(ipv6(tcp(6000, 4370, 8, 0x18, "ab"), false)));
  w.enhanced(cooked(ipv6(tcp(6000, 4370, 20, 0x18, "zz"), false)));  // after a lost segment
  const Capture c = read_bytes(w.out);
  ASSERT_EQ(c.streams.size(), 1u);
  EXPECT_EQ(c.streams[0].client.address, "::1");
  EXPECT_EQ(c.streams[0].server.address, "::2");
  EXPECT_EQ(std::string(c.streams[0].client_to_server.begin(), c.streams[0].client_to_server.end()),
            "ab");
  EXPECT_TRUE(c.streams[0].gap);
}

TEST(Pcapng, MalformedFilesThrow) {
  Writer w{true, {}};
  w.section();
  Bytes truncated = w.out;
  truncated.pop_back();
  EXPECT_THROW(read_bytes(truncated), std::runtime_error);
  Bytes bad_magic = w.out;
  bad_magic[8] = 0;
  EXPECT_THROW(read_bytes(bad_magic), std::runtime_error);
  w.enhanced(Bytes{1, 2, 3});  // a packet before any interface
  EXPECT_THROW(read_bytes(w.out), std::runtime_error);
}

}  // namespace
}  // namespace distspec::test::pcapng
