// The connected state of one distribution connection, both directions, sans-I/O.
//
// ConnectionReceiver: bytes of the stream in (any chunking) -> events out: a tick, or a message
// (control + payload) decoded with the connection's incoming atom cache, fragments assembled.
// ConnectionSender: messages in -> framed packets out ('p' or 'D'/'E'/'F' by the negotiated
// mode), choosing atom cache references with the connection's outgoing cache.
// Any error from the receiver means "close the connection" (OTP does the same); the receiver
// stays failed afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/result.hpp"
#include "distspec/proto/atom_cache.hpp"
#include "distspec/proto/connection_error.hpp"
#include "distspec/proto/control.hpp"
#include "distspec/proto/dist_header.hpp"
#include "distspec/proto/fragment.hpp"
#include "distspec/proto/framing.hpp"

namespace distspec::proto {

struct ReceiverOptions {
  HeaderMode mode{};
  FramingOptions framing{};
  FragmentLimits fragments{};
  ControlOptions control{};
  std::size_t max_term_depth = 10'000;  // nesting limit handed to the term decoder
};

struct TickEvent {};
struct MessageEvent {
  DistMessage message;
  PacketKind kind = PacketKind::Header;  // PassThrough, Header, or FragmentHeader (assembled)
  std::vector<AtomCacheRef> refs;        // the header's references (empty for 'p')
  std::size_t fragments = 1;             // packets the message arrived in
};
using ConnectionEvent = std::variant<TickEvent, MessageEvent>;

class ConnectionReceiver {
 public:
  explicit ConnectionReceiver(ReceiverOptions options);

  // Stream interface: consumes bytes until one event is ready or the input is used up; returns
  // the bytes consumed. Call take() after every put().
  Result<std::size_t, ConnectionError> put(std::span<const std::uint8_t> bytes);
  std::optional<ConnectionEvent> take();

  // Packet interface (what put() uses): one unframed packet, empty = tick. Returns no event for
  // a fragment that is not the last of its message. Error offsets are offsets in the packet.
  Result<std::optional<ConnectionEvent>, ConnectionError> receive_packet(
      std::span<const std::uint8_t> packet);

  const AtomCacheIn& atom_cache() const { return cache_; }
  std::size_t fragments_in_flight() const { return assembler_.in_flight(); }

 private:
  Result<MessageEvent, ConnectionError> decode_pass_through(std::span<const std::uint8_t> packet);
  Result<std::optional<ConnectionEvent>, ConnectionError> decode_header(
      std::span<const std::uint8_t> packet, PacketKind kind);
  Result<std::optional<ConnectionEvent>, ConnectionError> decode_continuation(
      std::span<const std::uint8_t> packet);
  Result<MessageEvent, ConnectionError> finish(ControlMessage control,
                                               std::span<const std::uint8_t> payload,
                                               std::size_t payload_offset,
                                               std::vector<AtomCacheRef> refs);

  ReceiverOptions options_;
  PacketReader reader_;
  AtomCacheIn cache_;
  FragmentAssembler assembler_;
  std::vector<std::uint8_t> packet_;  // the packet being decoded (its buffer is reused)
  std::optional<ConnectionEvent> event_;
  std::optional<ConnectionError> error_;
};

struct SenderOptions {
  HeaderMode mode{};
  // Body bytes per fragment (OTP: 65536). 0 = never fragment. Used only with mode.fragments.
  std::size_t fragment_size = kOtpFragmentSize;
  AtomCacheOut::SlotChooser slot_chooser = AtomCacheOut::default_slot;
};

class ConnectionSender {
 public:
  explicit ConnectionSender(SenderOptions options);

  // Appends the framed packet(s) of `message` to out. Precondition: message.payload is present
  // exactly when the operation has one. `use_atom_cache` = false writes N = 0 and inline atoms
  // for this message (as OTP does for messages queued before the connection was up).
  void write(std::vector<std::uint8_t>& out, const DistMessage& message,
             bool use_atom_cache = true);
  // Appends a tick (00 00 00 00).
  static void write_tick(std::vector<std::uint8_t>& out) { frame_tick(out); }

  // Fragmented messages get consecutive non-zero sequence ids starting here.
  void set_next_sequence_id(std::uint64_t id) { next_sequence_id_ = id ? id : 1; }
  AtomCacheOut& atom_cache() { return cache_; }

 private:
  SenderOptions options_;
  AtomCacheOut cache_;
  std::uint64_t next_sequence_id_ = 1;
  std::vector<std::uint8_t> scratch_;  // the message body, reused across messages
  std::vector<std::uint8_t> section_;  // its atom cache section
  std::vector<const etf::Atom*> atoms_;
};

}  // namespace distspec::proto
