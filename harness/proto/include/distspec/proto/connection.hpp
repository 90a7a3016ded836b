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
#include "distspec/etf/tape.hpp"
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
  // The usual control tuples straight from their bytes (ControlSlots::decode_usual); false puts
  // every control message through the tape, the path that decides every other case (the fuzz
  // target dist_frame runs both and requires the same events and errors).
  bool usual_control_path = true;
};

struct TickEvent {
  friend bool operator==(const TickEvent&, const TickEvent&) = default;
};
struct MessageEvent {
  DistMessage message;
  PacketKind kind = PacketKind::Header;  // PassThrough, Header, or FragmentHeader (assembled)
  std::vector<AtomCacheRef> refs;        // the header's references (empty for 'p')
  std::size_t fragments = 1;             // packets the message arrived in
  friend bool operator==(const MessageEvent&, const MessageEvent&) = default;
};
using ConnectionEvent = std::variant<TickEvent, MessageEvent>;

// A received message as views into the receiver (the node's path: no owned payload Term is
// built). Valid until the next put(), receive_packet() or take().
struct MessageView {
  const ControlMessage* control = nullptr;
  std::optional<etf::TermRef> payload;   // present exactly when has_payload(op_of(*control))
  PacketKind kind = PacketKind::Header;
  std::span<const AtomCacheRef> refs;
  std::size_t fragments = 1;
};
using ConnectionEventView = std::variant<TickEvent, MessageView>;

class ConnectionReceiver {
 public:
  explicit ConnectionReceiver(ReceiverOptions options);

  // Stream interface: consumes bytes until one event is ready or the input is used up; returns
  // the bytes consumed. Call take() (or take_view()) after every put().
  Result<std::size_t, ConnectionError> put(std::span<const std::uint8_t> bytes);
  std::optional<ConnectionEvent> take();
  // The ready event as views (see MessageView); the event counts as taken.
  std::optional<ConnectionEventView> take_view();

  // Packet interface (what put() uses): one unframed packet, empty = tick. Returns no event for
  // a fragment that is not the last of its message. Error offsets are offsets in the packet.
  Result<std::optional<ConnectionEvent>, ConnectionError> receive_packet(
      std::span<const std::uint8_t> packet);

  const AtomCacheIn& atom_cache() const { return cache_; }
  std::size_t fragments_in_flight() const { return assembler_.in_flight(); }

 private:
  enum class Ready : std::uint8_t { Nothing, Tick, Message };
  // Decodes one packet into the members below (views into `packet`, which must stay alive).
  Result<Ready, ConnectionError> decode_packet(std::span<const std::uint8_t> packet);
  Result<Ready, ConnectionError> decode_pass_through(std::span<const std::uint8_t> packet);
  Result<Ready, ConnectionError> decode_header(std::span<const std::uint8_t> packet,
                                               PacketKind kind);
  Result<Ready, ConnectionError> decode_continuation(std::span<const std::uint8_t> packet);
  // The control term at `offset` into control_, with `with_version` when it starts with 131.
  Result<std::size_t, ConnectionError> decode_control(std::span<const std::uint8_t> packet,
                                                      std::size_t offset, bool with_version,
                                                      const etf::AtomCacheView* view);
  Result<Ready, ConnectionError> finish(std::span<const std::uint8_t> payload,
                                        std::size_t payload_offset);
  ConnectionEvent materialize();

  ReceiverOptions options_;
  PacketReader reader_;
  AtomCacheIn cache_;
  FragmentAssembler assembler_;
  std::vector<std::uint8_t> packet_;     // the packet being decoded (its buffer is reused)
  std::vector<std::uint8_t> assembled_;  // the payload of the last assembled fragmented message
  // The decoded message (buffers reused across messages).
  Ready ready_ = Ready::Nothing;
  ControlSlots control_slots_;
  ControlMessage* control_ = nullptr;  // in control_slots_, or assembled_control_
  ControlMessage assembled_control_;   // the control of the last assembled fragmented message
  etf::TermTape control_tape_, payload_tape_;
  bool has_payload_ = false;
  PacketKind kind_ = PacketKind::Header;
  AtomCacheSection atom_section_;  // the header's references (reused: their texts keep their buffers)
  std::size_t fragments_ = 1;
  std::optional<ConnectionError> error_;
};

// gen:reply's message {Tag, Reply} from its fields, for a tag in one of OTP 25's two shapes (the
// call's reference, or [alias | Ref]) and an atom reply: the node's reply path, without building
// the payload Term. to_term() is the Term it stands for (what the sender's bytes encode).
struct TaggedReply {
  const etf::Reference& ref;
  bool alias_tag = false;  // [alias | ref], else ref
  const etf::Atom& reply;
};
etf::Term to_term(const TaggedReply& reply);

// gen:call's request {'$gen_call', {From, Tag}, Request} from its fields, the tag as in
// TaggedReply: the caller's path. to_term() is the Term it stands for.
struct GenCallRequest {
  const etf::Pid& from;
  const etf::Reference& ref;
  bool alias_tag = false;
  const etf::Term& request;
};
etf::Term to_term(const GenCallRequest& request);

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
  // The same for a message whose payload is a TaggedReply: exactly the bytes write() appends for
  // DistMessage{control, to_term(payload)}. Precondition: the operation has a payload.
  void write(std::vector<std::uint8_t>& out, const ControlMessage& control,
             const TaggedReply& payload, bool use_atom_cache = true);
  // Likewise for a GenCallRequest payload.
  void write(std::vector<std::uint8_t>& out, const ControlMessage& control,
             const GenCallRequest& payload, bool use_atom_cache = true);
  // Appends a tick (00 00 00 00).
  static void write_tick(std::vector<std::uint8_t>& out) { frame_tick(out); }

  // Fragmented messages get consecutive non-zero sequence ids starting here.
  void set_next_sequence_id(std::uint64_t id) { next_sequence_id_ = id ? id : 1; }
  AtomCacheOut& atom_cache() { return cache_; }

 private:
  // Both write()s: Payload (connection.cpp) collects its atoms and encodes its body.
  template <class Payload>
  void write_message(std::vector<std::uint8_t>& out, const ControlMessage& control,
                     const Payload* payload, bool use_atom_cache);

  SenderOptions options_;
  AtomCacheOut cache_;
  std::uint64_t next_sequence_id_ = 1;
  // A message too large for one packet, moved out of the output to be fragmented: its body and
  // its atom cache section (reused across messages).
  std::vector<std::uint8_t> scratch_;
  std::vector<std::uint8_t> section_;
  std::vector<const etf::Atom*> atoms_;
  AtomCachePlan plan_;  // the references of the message being written (buffers reused)
};

}  // namespace distspec::proto
