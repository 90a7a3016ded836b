#include "distspec/proto/connection.hpp"

#include "distspec/etf/encode.hpp"

namespace distspec::proto {

namespace {

// Decodes one term at `offset` of packet: with its own 131 (pass-through) or as a body (after a
// header), with `view` resolving ATOM_CACHE_REF (null: no references allowed).
Result<etf::Decoded, ConnectionError> decode_term_at(std::span<const std::uint8_t> packet,
                                                     std::size_t offset, bool with_version,
                                                     const etf::AtomCacheView* view,
                                                     std::size_t max_depth,
                                                     ConnectionErrorCode on_error) {
  etf::DecodeOptions options;
  options.atom_cache = view;
  options.max_depth = max_depth;
  auto bytes = packet.subspan(offset);
  auto decoded = with_version ? etf::decode(bytes, options) : etf::decode_body(bytes, options);
  if (!decoded)
    return ConnectionError{on_error, offset + decoded.error().offset,
                           std::string(etf::to_string(decoded.error().code))};
  return std::move(decoded).value();
}

Result<ControlMessage, ConnectionError> control_at(const etf::Term& term, std::size_t offset,
                                                   const ControlOptions& options) {
  auto control = control_from_term(term, options);
  if (!control) {
    ConnectionError e = control.error();
    e.offset = offset;
    return e;
  }
  return std::move(control).value();
}

}  // namespace

ConnectionReceiver::ConnectionReceiver(ReceiverOptions options)
    : options_(options), reader_(options.framing), assembler_(options.fragments) {}

Result<std::size_t, ConnectionError> ConnectionReceiver::put(std::span<const std::uint8_t> bytes) {
  if (error_) return *error_;
  std::size_t used = 0;
  while (!event_ && used < bytes.size()) {
    auto n = reader_.put(bytes.subspan(used));
    if (!n) {
      error_ = n.error();
      return *error_;
    }
    used += n.value();
    if (!reader_.has_packet()) continue;
    reader_.take_into(packet_);
    auto event = receive_packet(packet_);
    if (!event) {
      error_ = event.error();
      return *error_;
    }
    if (event.value()) event_ = std::move(*event.value());
  }
  return used;
}

std::optional<ConnectionEvent> ConnectionReceiver::take() {
  std::optional<ConnectionEvent> event;
  event.swap(event_);
  return event;
}

Result<std::optional<ConnectionEvent>, ConnectionError> ConnectionReceiver::receive_packet(
    std::span<const std::uint8_t> packet) {
  if (packet.empty()) return std::optional<ConnectionEvent>{TickEvent{}};
  auto kind = classify_packet(packet, options_.mode);
  if (!kind) return kind.error();
  switch (kind.value()) {
    case PacketKind::PassThrough: {
      auto message = decode_pass_through(packet);
      if (!message) return message.error();
      return std::optional<ConnectionEvent>{std::move(message).value()};
    }
    case PacketKind::Header:
    case PacketKind::FragmentHeader:
      return decode_header(packet, kind.value());
    case PacketKind::FragmentCont:
      return decode_continuation(packet);
  }
  return std::optional<ConnectionEvent>{};
}

Result<MessageEvent, ConnectionError> ConnectionReceiver::decode_pass_through(
    std::span<const std::uint8_t> packet) {
  auto control_term = decode_term_at(packet, 1, true, nullptr, options_.max_term_depth,
                                     ConnectionErrorCode::BadControlTerm);
  if (!control_term) return control_term.error();
  auto control = control_at(control_term->term, 1, options_.control);
  if (!control) return control.error();
  std::size_t pos = 1 + control_term->used;
  MessageEvent event{DistMessage{std::move(control).value(), std::nullopt},
                     PacketKind::PassThrough, {}, 1};
  if (has_payload(op_of(event.message.control))) {
    if (pos == packet.size()) return ConnectionError{ConnectionErrorCode::PayloadMissing, pos, {}};
    auto payload = decode_term_at(packet, pos, true, nullptr, options_.max_term_depth,
                                  ConnectionErrorCode::BadPayloadTerm);
    if (!payload) return payload.error();
    pos += payload->used;
    event.message.payload = std::move(payload->term);
    if (pos != packet.size()) return ConnectionError{ConnectionErrorCode::TrailingBytes, pos, {}};
  } else if (pos != packet.size()) {
    return ConnectionError{ConnectionErrorCode::PayloadExtra, pos, {}};
  }
  return event;
}

Result<std::optional<ConnectionEvent>, ConnectionError> ConnectionReceiver::decode_header(
    std::span<const std::uint8_t> packet, PacketKind kind) {
  std::size_t pos = 2;
  FragmentIds ids{0, 1};
  if (kind == PacketKind::FragmentHeader) {
    auto parsed = parse_fragment_ids(packet);
    if (!parsed) return parsed.error();
    ids = parsed.value();
    if (ids.fragment_id == 0)
      return ConnectionError{ConnectionErrorCode::FragmentIdZero, kFragmentIdsOffset + 8, {}};
    if (ids.sequence_id == 0 && ids.fragment_id > 1)
      return ConnectionError{ConnectionErrorCode::FragmentSequenceZero, kFragmentIdsOffset, {}};
    pos = kFragmentPrefixSize;
  }
  auto section = parse_atom_cache_section(packet.subspan(pos), pos, cache_);
  if (!section) return section.error();
  pos += section->used;
  std::vector<AtomCacheRef> refs = std::move(section->refs);
  etf::AtomCacheView view = make_atom_cache_view(refs);
  auto control_term = decode_term_at(packet, pos, false, &view, options_.max_term_depth,
                                     ConnectionErrorCode::BadControlTerm);
  if (!control_term) return control_term.error();
  auto control = control_at(control_term->term, pos, options_.control);
  if (!control) return control.error();
  pos += control_term->used;

  if (ids.fragment_id == 1) {
    auto event = finish(std::move(control).value(), packet.subspan(pos), pos, std::move(refs));
    if (!event) return event.error();
    event->kind = kind;
    return std::optional<ConnectionEvent>{std::move(event).value()};
  }
  if (!has_payload(op_of(control.value())))  // only payload bytes may follow in 'F' packets
    return ConnectionError{ConnectionErrorCode::PayloadExtra, pos, "fragmented message without payload"};
  auto rest = packet.subspan(pos);
  PendingMessage pending{std::move(refs), std::move(control).value(),
                         std::vector<std::uint8_t>(rest.begin(), rest.end()), 0};
  auto begun = assembler_.begin(ids, std::move(pending));
  if (!begun) return begun.error();
  return std::optional<ConnectionEvent>{};
}

Result<std::optional<ConnectionEvent>, ConnectionError> ConnectionReceiver::decode_continuation(
    std::span<const std::uint8_t> packet) {
  auto ids = parse_fragment_ids(packet);
  if (!ids) return ids.error();
  auto done = assembler_.append(ids.value(), packet.subspan(kFragmentPrefixSize));
  if (!done) return done.error();
  if (!done.value()) return std::optional<ConnectionEvent>{};
  PendingMessage message = std::move(*done.value());
  // Payload errors are reported at offset 0 of the assembled payload (kept in detail).
  auto event = finish(std::move(message.control), message.payload, 0, std::move(message.refs));
  if (!event) return event.error();
  event->kind = PacketKind::FragmentHeader;
  event->fragments = message.fragments;
  return std::optional<ConnectionEvent>{std::move(event).value()};
}

Result<MessageEvent, ConnectionError> ConnectionReceiver::finish(
    ControlMessage control, std::span<const std::uint8_t> payload, std::size_t payload_offset,
    std::vector<AtomCacheRef> refs) {
  MessageEvent event{DistMessage{std::move(control), std::nullopt}, PacketKind::Header,
                     std::move(refs), 1};
  if (!has_payload(op_of(event.message.control))) {
    if (!payload.empty())
      return ConnectionError{ConnectionErrorCode::PayloadExtra, payload_offset, {}};
    return event;
  }
  if (payload.empty())
    return ConnectionError{ConnectionErrorCode::PayloadMissing, payload_offset, {}};
  etf::AtomCacheView view = make_atom_cache_view(event.refs);
  auto term = decode_term_at(payload, 0, false, &view, options_.max_term_depth,
                             ConnectionErrorCode::BadPayloadTerm);
  if (!term) {
    ConnectionError e = term.error();
    e.offset += payload_offset;
    return e;
  }
  if (term->used != payload.size())
    return ConnectionError{ConnectionErrorCode::TrailingBytes, payload_offset + term->used, {}};
  event.message.payload = std::move(term->term);
  return event;
}

ConnectionSender::ConnectionSender(SenderOptions options)
    : options_(options), cache_(options.slot_chooser) {}

void ConnectionSender::write(std::vector<std::uint8_t>& out, const DistMessage& message,
                             bool use_atom_cache) {
  etf::Term control = to_term(message.control);
  etf::EncodeOptions encode_options;
  encode_options.utf8_atoms = true;  // UTF8_ATOMS is mandatory in OTP 25

  // One packet is encoded in place after a length placeholder: no intermediate buffers.
  auto begin_packet = [&out] {
    std::size_t at = out.size();
    out.resize(at + 4);
    return at;
  };
  auto end_packet = [&out](std::size_t at) {
    auto n = std::uint32_t(out.size() - at - 4);
    out[at] = std::uint8_t(n >> 24);
    out[at + 1] = std::uint8_t(n >> 16);
    out[at + 2] = std::uint8_t(n >> 8);
    out[at + 3] = std::uint8_t(n);
  };

  if (!options_.mode.uses_headers()) {
    std::size_t at = begin_packet();
    out.push_back(kPassThroughTag);
    out.push_back(kVersionMagic);
    etf::encode_body(out, control, encode_options);
    if (message.payload) {
      out.push_back(kVersionMagic);
      etf::encode_body(out, *message.payload, encode_options);
    }
    end_packet(at);
    return;
  }

  AtomCachePlan plan;
  if (use_atom_cache && options_.mode.atom_cache) {
    atoms_.clear();
    collect_atoms(control, atoms_);  // OTP sizes (and caches) the control first, then the payload
    if (message.payload) collect_atoms(*message.payload, atoms_);
    plan = cache_.plan(atoms_);
    if (!plan.refs.empty())
      encode_options.atom_cache_index = [&plan](const etf::Atom& a) { return plan.index(a); };
  }
  section_.clear();
  write_atom_cache_section(section_, plan.refs);
  scratch_.clear();
  etf::encode_body(scratch_, control, encode_options);
  std::size_t control_size = scratch_.size();
  if (message.payload) etf::encode_body(scratch_, *message.payload, encode_options);

  std::size_t fragment_size =
      options_.mode.fragments && options_.fragment_size ? options_.fragment_size : SIZE_MAX;
  if (scratch_.size() <= fragment_size) {
    std::size_t at = begin_packet();
    out.push_back(kVersionMagic);
    out.push_back(kDistHeaderTag);
    out.insert(out.end(), section_.begin(), section_.end());
    out.insert(out.end(), scratch_.begin(), scratch_.end());
    end_packet(at);
    return;
  }
  std::uint64_t sequence_id = next_sequence_id_++;
  if (next_sequence_id_ == 0) next_sequence_id_ = 1;  // never SequenceId 0
  for (const auto& packet : encode_fragmented(section_, scratch_, control_size, sequence_id, fragment_size))
    frame_packet(out, packet);
}

}  // namespace distspec::proto
