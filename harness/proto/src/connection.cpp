#include "distspec/proto/connection.hpp"

#include <utility>

#include "distspec/etf/encode.hpp"
#include "field_writer.hpp"

namespace distspec::proto {

namespace {

// Decodes one term at `offset` of bytes into `tape` (reused): with its own 131 (pass-through) or as
// a body (after a header), with `view` resolving ATOM_CACHE_REF (null: no references allowed).
// Returns the bytes used.
Result<std::size_t, ConnectionError> decode_tape_at(etf::TermTape& tape,
                                                    std::span<const std::uint8_t> bytes,
                                                    std::size_t offset, bool with_version,
                                                    const etf::AtomCacheView* view,
                                                    std::size_t max_depth,
                                                    ConnectionErrorCode on_error) {
  etf::DecodeOptions options;
  options.atom_cache = view;
  options.max_depth = max_depth;
  auto rest = bytes.subspan(offset);
  auto used = with_version ? etf::decode_tape_into(tape, rest, options)
                           : etf::decode_tape_body_into(tape, rest, options);
  if (!used)
    return ConnectionError{on_error, offset + used.error().offset,
                           std::string(etf::to_string(used.error().code))};
  return used.value();
}

}  // namespace

ConnectionReceiver::ConnectionReceiver(ReceiverOptions options)
    : options_(options), reader_(options.framing), assembler_(options.fragments) {}

Result<std::size_t, ConnectionError> ConnectionReceiver::put(std::span<const std::uint8_t> bytes) {
  if (error_) return *error_;
  std::size_t used = 0;
  while (ready_ == Ready::Nothing && used < bytes.size()) {
    auto n = reader_.put(bytes.subspan(used));
    if (!n) {
      error_ = n.error();
      return *error_;
    }
    used += n.value();
    if (!reader_.has_packet()) continue;
    reader_.take_into(packet_);
    auto ready = decode_packet(packet_);
    if (!ready) {
      error_ = ready.error();
      return *error_;
    }
    ready_ = ready.value();
  }
  return used;
}

std::optional<ConnectionEventView> ConnectionReceiver::take_view() {
  Ready ready = std::exchange(ready_, Ready::Nothing);
  if (ready == Ready::Nothing) return std::nullopt;
  if (ready == Ready::Tick) return ConnectionEventView{TickEvent{}};
  MessageView view{control_, std::nullopt, kind_, atom_section_.refs, fragments_};
  if (has_payload_) view.payload = payload_tape_.root();
  return ConnectionEventView{view};
}

std::optional<ConnectionEvent> ConnectionReceiver::take() {
  Ready ready = std::exchange(ready_, Ready::Nothing);
  if (ready == Ready::Nothing) return std::nullopt;
  if (ready == Ready::Tick) return ConnectionEvent{TickEvent{}};
  return materialize();
}

ConnectionEvent ConnectionReceiver::materialize() {
  MessageEvent event{DistMessage{std::move(*control_), std::nullopt}, kind_, atom_section_.refs, fragments_};
  if (has_payload_) event.message.payload = payload_tape_.root().to_term();
  return event;
}

Result<std::optional<ConnectionEvent>, ConnectionError> ConnectionReceiver::receive_packet(
    std::span<const std::uint8_t> packet) {
  auto ready = decode_packet(packet);
  if (!ready) return ready.error();
  ready_ = Ready::Nothing;
  switch (ready.value()) {
    case Ready::Nothing: return std::optional<ConnectionEvent>{};
    case Ready::Tick: return std::optional<ConnectionEvent>{TickEvent{}};
    case Ready::Message: return std::optional<ConnectionEvent>{materialize()};
  }
  return std::optional<ConnectionEvent>{};
}

Result<ConnectionReceiver::Ready, ConnectionError> ConnectionReceiver::decode_packet(
    std::span<const std::uint8_t> packet) {
  if (packet.empty()) return Ready::Tick;
  auto kind = classify_packet(packet, options_.mode);
  if (!kind) return kind.error();
  switch (kind.value()) {
    case PacketKind::PassThrough:
      return decode_pass_through(packet);
    case PacketKind::Header:
    case PacketKind::FragmentHeader:
      return decode_header(packet, kind.value());
    case PacketKind::FragmentCont:
      return decode_continuation(packet);
  }
  return Ready::Nothing;
}

Result<std::size_t, ConnectionError> ConnectionReceiver::decode_control(
    std::span<const std::uint8_t> packet, std::size_t offset, bool with_version,
    const etf::AtomCacheView* view) {
  // The usual tuples from their bytes; the rest, and every verdict on bad input, through a tape.
  const std::size_t version = with_version ? 1 : 0;
  if (options_.usual_control_path && options_.max_term_depth >= 1 && packet.size() > offset + version &&
      (!with_version || packet[offset] == kVersionMagic)) {
    if (auto usual = control_slots_.decode_usual(packet.subspan(offset + version), view)) {
      control_ = usual->first;
      return version + usual->second;
    }
  }
  auto used = decode_tape_at(control_tape_, packet, offset, with_version, view,
                             options_.max_term_depth, ConnectionErrorCode::BadControlTerm);
  if (!used) return used.error();
  auto control = control_slots_.decode(control_tape_.root(), options_.control);
  if (!control) {
    ConnectionError e = control.error();
    e.offset = offset;
    return e;
  }
  control_ = control.value();
  return used.value();
}

Result<ConnectionReceiver::Ready, ConnectionError> ConnectionReceiver::decode_pass_through(
    std::span<const std::uint8_t> packet) {
  atom_section_.refs.clear();
  kind_ = PacketKind::PassThrough;
  fragments_ = 1;
  auto control_used = decode_control(packet, 1, true, nullptr);
  if (!control_used) return control_used.error();
  std::size_t pos = 1 + control_used.value();
  has_payload_ = has_payload(op_of(*control_));
  if (has_payload_) {
    if (pos == packet.size()) return ConnectionError{ConnectionErrorCode::PayloadMissing, pos, {}};
    auto used = decode_tape_at(payload_tape_, packet, pos, true, nullptr, options_.max_term_depth,
                               ConnectionErrorCode::BadPayloadTerm);
    if (!used) return used.error();
    pos += used.value();
    if (pos != packet.size()) return ConnectionError{ConnectionErrorCode::TrailingBytes, pos, {}};
  } else if (pos != packet.size()) {
    return ConnectionError{ConnectionErrorCode::PayloadExtra, pos, {}};
  }
  return Ready::Message;
}

Result<ConnectionReceiver::Ready, ConnectionError> ConnectionReceiver::decode_header(
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
  if (auto failed = parse_atom_cache_section_into(atom_section_, packet.subspan(pos), pos, cache_))
    return *failed;
  pos += atom_section_.used;
  etf::AtomCacheView view = make_atom_cache_view(atom_section_.refs);
  auto control_used = decode_control(packet, pos, false, &view);
  if (!control_used) return control_used.error();
  pos += control_used.value();

  if (ids.fragment_id == 1) {
    kind_ = kind;
    fragments_ = 1;
    return finish(packet.subspan(pos), pos);
  }
  if (!has_payload(op_of(*control_)))  // only payload bytes may follow in 'F' packets
    return ConnectionError{ConnectionErrorCode::PayloadExtra, pos, "fragmented message without payload"};
  auto rest = packet.subspan(pos);
  PendingMessage pending{std::move(atom_section_.refs), std::move(*control_),
                         std::vector<std::uint8_t>(rest.begin(), rest.end()), 0};
  auto begun = assembler_.begin(ids, std::move(pending));
  if (!begun) return begun.error();
  return Ready::Nothing;
}

Result<ConnectionReceiver::Ready, ConnectionError> ConnectionReceiver::decode_continuation(
    std::span<const std::uint8_t> packet) {
  auto ids = parse_fragment_ids(packet);
  if (!ids) return ids.error();
  auto done = assembler_.append(ids.value(), packet.subspan(kFragmentPrefixSize));
  if (!done) return done.error();
  if (!done.value()) return Ready::Nothing;
  PendingMessage& message = *done.value();
  assembled_control_ = std::move(message.control);
  control_ = &assembled_control_;
  atom_section_.refs = std::move(message.refs);
  assembled_ = std::move(message.payload);  // the payload tape views these bytes
  kind_ = PacketKind::FragmentHeader;
  fragments_ = message.fragments;
  // Payload errors are reported at offset 0 of the assembled payload (kept in detail).
  return finish(assembled_, 0);
}

Result<ConnectionReceiver::Ready, ConnectionError> ConnectionReceiver::finish(
    std::span<const std::uint8_t> payload, std::size_t payload_offset) {
  has_payload_ = has_payload(op_of(*control_));
  if (!has_payload_) {
    if (!payload.empty())
      return ConnectionError{ConnectionErrorCode::PayloadExtra, payload_offset, {}};
    return Ready::Message;
  }
  if (payload.empty())
    return ConnectionError{ConnectionErrorCode::PayloadMissing, payload_offset, {}};
  etf::AtomCacheView view = make_atom_cache_view(atom_section_.refs);
  auto used = decode_tape_at(payload_tape_, payload, 0, false, &view, options_.max_term_depth,
                             ConnectionErrorCode::BadPayloadTerm);
  if (!used) {
    ConnectionError e = used.error();
    e.offset += payload_offset;
    return e;
  }
  if (used.value() != payload.size())
    return ConnectionError{ConnectionErrorCode::TrailingBytes, payload_offset + used.value(), {}};
  return Ready::Message;
}

namespace {

const etf::Atom kAliasAtom{"alias"};

// The payloads write_message() takes: an owned Term, or a TaggedReply's fields.
struct TermPayload {
  const etf::Term& term;
  void collect(std::vector<const etf::Atom*>& atoms) const { collect_atoms(term, atoms); }
  void encode(std::vector<std::uint8_t>& out, const etf::EncodeOptions& options) const {
    etf::encode_body(out, term, options);
  }
};

using detail::tag::kList;
using detail::tag::kSmallTuple;

// A gen:call tag (Ref, or [alias | Ref]): its atoms in the order collect_atoms() meets them, and
// its bytes.
void collect_tag_atoms(const etf::Reference& ref, bool alias_tag, std::vector<const etf::Atom*>& atoms) {
  if (alias_tag) atoms.push_back(&kAliasAtom);
  atoms.push_back(&ref.node);
}
void write_tag(detail::FieldWriter& writer, const etf::Reference& ref, bool alias_tag) {
  if (alias_tag) {  // [alias | Ref]: one element, the reference as the tail
    writer.bytes({kList, 0, 0, 0, 1});
    writer.write(kAliasAtom);
  }
  writer.write(ref);
}
etf::Term tag_term(const etf::Reference& ref, bool alias_tag) {
  etf::Term r = etf::Term::reference(ref);
  return alias_tag ? etf::Term::list({etf::Term::atom(kAliasAtom)}, std::move(r)) : r;
}

struct TaggedReplyPayload {
  const TaggedReply& reply;
  void collect(std::vector<const etf::Atom*>& atoms) const {
    collect_tag_atoms(reply.ref, reply.alias_tag, atoms);
    atoms.push_back(&reply.reply);
  }
  void encode(std::vector<std::uint8_t>& out, const etf::EncodeOptions& options) const {
    detail::FieldWriter writer(out, options);
    writer.bytes({kSmallTuple, 2});
    write_tag(writer, reply.ref, reply.alias_tag);
    writer.write(reply.reply);
  }
};

const etf::Atom kGenCallAtom{"$gen_call"};

struct GenCallRequestPayload {
  const GenCallRequest& call;
  void collect(std::vector<const etf::Atom*>& atoms) const {
    atoms.push_back(&kGenCallAtom);
    atoms.push_back(&call.from.node);
    collect_tag_atoms(call.ref, call.alias_tag, atoms);
    collect_atoms(call.request, atoms);
  }
  void encode(std::vector<std::uint8_t>& out, const etf::EncodeOptions& options) const {
    detail::FieldWriter writer(out, options);
    writer.bytes({kSmallTuple, 3});
    writer.write(kGenCallAtom);
    writer.bytes({kSmallTuple, 2});
    writer.write(call.from);
    write_tag(writer, call.ref, call.alias_tag);
    writer.write(call.request);
  }
};

}  // namespace

etf::Term to_term(const TaggedReply& reply) {
  return etf::Term::tuple({tag_term(reply.ref, reply.alias_tag), etf::Term::atom(reply.reply)});
}

etf::Term to_term(const GenCallRequest& call) {
  return etf::Term::tuple({etf::Term::atom(kGenCallAtom),
                           etf::Term::tuple({etf::Term::pid(call.from), tag_term(call.ref, call.alias_tag)}),
                           call.request});
}

ConnectionSender::ConnectionSender(SenderOptions options)
    : options_(options), cache_(options.slot_chooser) {}

void ConnectionSender::write(std::vector<std::uint8_t>& out, const DistMessage& message,
                             bool use_atom_cache) {
  if (!message.payload) return write_message<TermPayload>(out, message.control, nullptr, use_atom_cache);
  TermPayload payload{*message.payload};
  write_message(out, message.control, &payload, use_atom_cache);
}

void ConnectionSender::write(std::vector<std::uint8_t>& out, const ControlMessage& control,
                             const TaggedReply& reply, bool use_atom_cache) {
  TaggedReplyPayload payload{reply};
  write_message(out, control, &payload, use_atom_cache);
}

void ConnectionSender::write(std::vector<std::uint8_t>& out, const ControlMessage& control,
                             const GenCallRequest& call, bool use_atom_cache) {
  GenCallRequestPayload payload{call};
  write_message(out, control, &payload, use_atom_cache);
}

template <class Payload>
void ConnectionSender::write_message(std::vector<std::uint8_t>& out, const ControlMessage& control,
                                     const Payload* payload, bool use_atom_cache) {
  // The usual operations are written from their fields; the rare ones through their tuple.
  const bool direct = encodes_directly(control);
  etf::Term control_tuple;
  if (!direct) control_tuple = to_term(control);
  etf::EncodeOptions encode_options;
  encode_options.utf8_atoms = true;  // UTF8_ATOMS is mandatory in OTP 25
  auto encode_control = [&](std::vector<std::uint8_t>& into) {
    if (direct) encode_control_body(into, control, encode_options);
    else etf::encode_body(into, control_tuple, encode_options);
  };

  // One packet is encoded in place after a length placeholder: no intermediate buffers. A throw
  // (bad_alloc) while writing it leaves no half packet behind in the output. Returns where the
  // packet starts; end_packet() fills in its length.
  auto write_packet = [&out](auto&& write_body) {
    const std::size_t at = out.size();
    out.resize(at + 4);
    try {
      write_body();
    } catch (...) {
      out.resize(at);
      throw;
    }
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
    end_packet(write_packet([&] {
      out.push_back(kPassThroughTag);
      out.push_back(kVersionMagic);
      encode_control(out);
      if (payload) {
        out.push_back(kVersionMagic);
        payload->encode(out, encode_options);
      }
    }));
    return;
  }

  if (!use_atom_cache || !options_.mode.atom_cache) plan_.clear();
  else {
    atoms_.clear();
    // OTP sizes (and caches) the control first, then the payload.
    if (direct) collect_control_atoms(control, atoms_);
    else collect_atoms(control_tuple, atoms_);
    if (payload) payload->collect(atoms_);
    cache_.plan_into(plan_, atoms_);
    if (!plan_.refs.empty())
      encode_options.atom_cache_index = [this](const etf::Atom& a) { return plan_.index(a); };
  }
  // The usual message is written in place as one packet; one that turns out larger than a
  // fragment is then moved out of `out` and written again as fragments.
  std::size_t section_at = 0, body_at = 0, control_size = 0;
  const std::size_t at = write_packet([&] {
    out.push_back(kVersionMagic);
    out.push_back(kDistHeaderTag);
    section_at = out.size();
    write_atom_cache_section(out, plan_.refs);
    body_at = out.size();
    encode_control(out);
    control_size = out.size() - body_at;
    if (payload) payload->encode(out, encode_options);
  });

  std::size_t fragment_size =
      options_.mode.fragments && options_.fragment_size ? options_.fragment_size : SIZE_MAX;
  if (out.size() - body_at <= fragment_size) {
    end_packet(at);
    return;
  }
  section_.assign(out.begin() + std::ptrdiff_t(section_at), out.begin() + std::ptrdiff_t(body_at));
  scratch_.assign(out.begin() + std::ptrdiff_t(body_at), out.end());
  out.resize(at);
  std::uint64_t sequence_id = next_sequence_id_++;
  if (next_sequence_id_ == 0) next_sequence_id_ = 1;  // never SequenceId 0
  for (const auto& packet : encode_fragmented(section_, scratch_, control_size, sequence_id, fragment_size))
    frame_packet(out, packet);
}

}  // namespace distspec::proto
