// The connection layer against real OTP 25.2.3 / Elixir 1.14 traffic (shared/vectors/captures):
// every packet after the handshake decodes, in both directions, with a per-direction atom cache,
// and re-encodes to the same bytes given the same atom cache slots.
#include <gtest/gtest.h>

#include <unordered_map>

#include "distspec/proto/connection.hpp"
#include "support/connection_vectors.hpp"

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::connected_directions_from_captures;
using testing::ConnectedDirection;

const std::vector<ConnectedDirection>& directions() {
  static const auto all = connected_directions_from_captures();
  return all;
}

std::vector<Bytes> packets_of(const Bytes& stream) {
  PacketReader reader;
  std::vector<Bytes> packets;
  std::span<const std::uint8_t> rest(stream);
  while (!rest.empty()) {
    auto n = reader.put(rest);
    EXPECT_TRUE(n.ok());
    if (!n.ok()) break;
    rest = rest.subspan(n.value());
    if (reader.has_packet()) packets.push_back(reader.take());
  }
  EXPECT_FALSE(reader.has_packet());
  return packets;
}

struct Decoded {
  MessageEvent event;
  std::vector<Bytes> packets;  // the packets the message arrived in
};

std::vector<Decoded> decode_direction(const ConnectedDirection& d, std::size_t& ticks) {
  ConnectionReceiver rx(ReceiverOptions{.mode = d.mode});
  std::vector<Decoded> out;
  std::vector<Bytes> pending;
  for (Bytes& packet : packets_of(d.stream)) {
    auto event = rx.receive_packet(packet);
    EXPECT_TRUE(event.ok()) << d.label << ": " << to_string(event.error().code) << " at "
                            << event.error().offset << " " << event.error().detail;
    if (!event.ok()) break;
    pending.push_back(std::move(packet));
    if (!event.value()) continue;
    if (std::holds_alternative<TickEvent>(*event.value())) {
      ++ticks;
      pending.clear();
      continue;
    }
    out.push_back({std::get<MessageEvent>(std::move(*event.value())), std::move(pending)});
    pending.clear();
  }
  return out;
}

TEST(ConnectionVectors, CapturesHoldConnectedTraffic) {
  ASSERT_GE(directions().size(), 4u);  // a_ping and d_genserver, both directions at least
  for (const auto& d : directions()) {
    EXPECT_TRUE(d.mode.atom_cache && d.mode.fragments) << d.label;  // OTP 25 <-> OTP 25
    std::printf("%s: %zu bytes\n", d.label.c_str(), d.stream.size());
  }
}

TEST(ConnectionVectors, EveryMessageDecodes) {
  std::size_t messages = 0, ticks = 0, with_refs = 0;
  bool saw_is_auth = false, saw_genserver_call = false;
  for (const auto& d : directions()) {
    for (const auto& m : decode_direction(d, ticks)) {
      ++messages;
      if (!m.event.refs.empty()) ++with_refs;
      if (auto* reg = std::get_if<RegSend>(&m.event.message.control)) {
        const auto& payload = *m.event.message.payload;
        const auto* tuple = payload.get_if<etf::Tuple>();
        bool gen_call = tuple && tuple->elements.size() == 3 &&
                        tuple->elements[0].is_atom("$gen_call");
        if (gen_call && reg->to_name.name == "net_kernel" &&
            tuple->elements[2].get_if<etf::Tuple>() &&
            tuple->elements[2].as_tuple().elements[0].is_atom("is_auth"))
          saw_is_auth = true;
        if (gen_call && reg->to_name.name == "Elixir.PingPong" && tuple->elements[2].is_atom("ping"))
          saw_genserver_call = true;
      }
    }
  }
  std::printf("%zu messages (%zu with atom cache references), %zu ticks\n", messages, with_refs,
              ticks);
  EXPECT_GT(messages, 10u);
  EXPECT_GT(with_refs, 0u);
  EXPECT_TRUE(saw_is_auth) << "net_adm:ping's {is_auth, Node} call";
  EXPECT_TRUE(saw_genserver_call) << "GenServer.call({PingPong, :a@vm}, :ping)";
}

TEST(ConnectionVectors, EveryStreamSplitAtEveryOffset) {
  for (const auto& d : directions()) {
    std::size_t ticks = 0;
    std::size_t expected = decode_direction(d, ticks).size() + ticks;
    for (std::size_t cut = 0; cut <= d.stream.size(); ++cut) {
      ConnectionReceiver rx(ReceiverOptions{.mode = d.mode});
      std::size_t events = 0;
      for (auto part : {std::span(d.stream).first(cut), std::span(d.stream).subspan(cut)}) {
        while (!part.empty()) {
          auto n = rx.put(part);
          ASSERT_TRUE(n.ok()) << d.label << " split at " << cut;
          part = part.subspan(n.value());
          if (rx.take()) ++events;
        }
      }
      ASSERT_EQ(events, expected) << d.label << " split at " << cut;
    }
  }
}

// Re-encoding with the slots OTP chose (learned from each header as it arrives) gives the bytes
// OTP sent: same atoms cached, same reference order, same New flags, same term encoding.
TEST(ConnectionVectors, EveryMessageReencodesToTheSameBytes) {
  std::size_t compared = 0;
  for (const auto& d : directions()) {
    std::unordered_map<std::string, std::uint16_t> slots;
    std::uint16_t inline_slot = 0;  // an atom OTP left inline collides with the first reference
    ConnectionSender tx(SenderOptions{
        .mode = d.mode, .fragment_size = kOtpFragmentSize,
        .slot_chooser = [&](const etf::Atom& a) {
          auto it = slots.find(a.name);
          return it != slots.end() ? it->second : inline_slot;
        }});
    std::size_t ticks = 0;
    for (const auto& m : decode_direction(d, ticks)) {
      for (const auto& ref : m.event.refs) slots[ref.atom.name] = ref.slot;
      if (!m.event.refs.empty()) inline_slot = m.event.refs.front().slot;
      Bytes original;
      for (const auto& p : m.packets) frame_packet(original, p);
      if (m.packets.size() > 1)  // OTP's SequenceId is the sender's pid; replay it
        tx.set_next_sequence_id(parse_fragment_ids(m.packets.front()).value().sequence_id);
      Bytes again;
      tx.write(again, m.event.message, !m.event.refs.empty());
      EXPECT_EQ(again, original) << d.label << " message " << compared << " "
                                 << to_string(op_of(m.event.message.control));
      ++compared;
    }
  }
  EXPECT_GT(compared, 10u);
}

}  // namespace
}  // namespace distspec::proto
