// Connected rounds of the live-fuzz planner: distribution packets built from pool terms, then
// mutated (see live_fuzz_plan.hpp).
#include <algorithm>

#include "distspec/etf/encode.hpp"
#include "distspec/node/live_fuzz_plan.hpp"
#include "distspec/proto/control.hpp"
#include "distspec/proto/framing.hpp"
#include "live_fuzz_plan_internal.hpp"

namespace distspec::node {

using namespace plan_detail;

namespace {

// The control tuple of `message` with the element at `index` (1-based, after the op) replaced.
etf::Term with_element(const etf::Term& tuple, std::size_t index, etf::Term value) {
  auto elements = tuple.as_tuple().elements;
  if (index < elements.size()) elements[index] = std::move(value);
  return etf::Term::tuple(std::move(elements));
}

const etf::EncodeOptions& dist_encoding() {
  static const etf::EncodeOptions options = [] {
    etf::EncodeOptions o;
    o.utf8_atoms = true;  // the distribution's atom tags
    return o;
  }();
  return options;
}

// One unframed distribution packet in `mode` (N = 0 header, or pass-through).
Bytes dist_packet(proto::HeaderMode mode, const etf::Term& control, const etf::Term* payload) {
  Bytes out;
  if (mode.uses_headers()) {
    out = {proto::kVersionMagic, proto::kDistHeaderTag, 0};
    etf::encode_body(out, control, dist_encoding());
    if (payload) etf::encode_body(out, *payload, dist_encoding());
  } else {
    out = {proto::kPassThroughTag};
    auto c = etf::encode(control, dist_encoding());
    out.insert(out.end(), c.begin(), c.end());
    if (payload) {
      auto p = etf::encode(*payload, dist_encoding());
      out.insert(out.end(), p.begin(), p.end());
    }
  }
  return out;
}

// Payload terms from a fixed pool: the atoms in them exist on every node already.
etf::Term pool_term(Rng& rng) {
  switch (pick(rng, 6)) {
    case 0: return etf::Term::atom("ok");
    case 1: return etf::Term::integer(std::int64_t(rng()));
    case 2: return etf::Term::tuple({etf::Term::atom("error"), etf::Term::string("fuzz")});
    case 3: return etf::Term::list({etf::Term::integer(1), etf::Term::atom("true")});
    case 4: return etf::Term::map({{etf::Term::atom("ok"), etf::Term::float_(1.5)}});
    default: {
      Bytes blob(pick(rng, 64));
      for (auto& b : blob) b = std::uint8_t(rng());
      return etf::Term::binary_copy(blob);
    }
  }
}

constexpr std::string_view kSinkName = "distspec_fuzz_sink";  // registered nowhere

struct ConnectedIds {
  etf::Pid own;
  etf::Pid remote;
};

// A valid control message (and payload) addressed to processes that do not exist.
std::pair<etf::Term, std::optional<etf::Term>> valid_message(Rng& rng, const ConnectedIds& ids) {
  etf::Reference ref{ids.own.node, ids.own.creation, {std::uint32_t(rng()), 1, 2}};
  switch (pick(rng, 4)) {
    case 0:
      return {proto::to_term(proto::RegSend{ids.own, proto::kUnusedAtom, etf::Atom{std::string(kSinkName)}}),
              pool_term(rng)};
    case 1: return {proto::to_term(proto::Send{proto::kUnusedAtom, ids.remote}), pool_term(rng)};
    case 2: return {proto::to_term(proto::Link{ids.own, ids.remote}), std::nullopt};
    default:
      return {proto::to_term(proto::MonitorP{ids.own, ids.remote, ref}), std::nullopt};
  }
}

Bytes valid_packet(Rng& rng, const ConnectedIds& ids, proto::HeaderMode mode) {
  auto [control, payload] = valid_message(rng, ids);
  return dist_packet(mode, control, payload ? &*payload : nullptr);
}

// Every atom a term decoder creates starts at an atom tag byte (ATOM_EXT 100, SMALL_ATOM_EXT 115,
// ATOM_UTF8_EXT 118, SMALL_ATOM_UTF8_EXT 119), so their count bounds the atoms a packet can make.
std::size_t atom_tag_bytes(std::span<const std::uint8_t> packet) {
  return std::size_t(std::count_if(packet.begin(), packet.end(), [](std::uint8_t b) {
    return b == 100 || b == 115 || b == 118 || b == 119;
  }));
}

constexpr std::uint32_t kHugeLengthThreshold = 16u * 1024 * 1024;

// Known crashers among 4-byte-framed packets (a fragment header with SequenceId 0 and
// FragmentId > 1, or a length the runtime would reserve memory for).
KnownCrasher classify_connected(std::span<const std::uint8_t> stream) {
  std::size_t at = 0;
  while (at + 4 <= stream.size()) {
    const auto length = std::uint32_t(get_be(stream, at, 4));
    if (length > kHugeLengthThreshold) return KnownCrasher::HugePacketLength;
    at += 4;
    const std::size_t have = std::min<std::size_t>(length, stream.size() - at);
    auto packet = stream.subspan(at, have);
    if (packet.size() >= proto::kFragmentPrefixSize && packet[0] == proto::kVersionMagic &&
        packet[1] == proto::kFragHeaderTag && get_be(packet, 2, 8) == 0 && get_be(packet, 10, 8) > 1)
      return KnownCrasher::FragmentSequenceZero;
    at += have;
  }
  return KnownCrasher::None;
}

}  // namespace

RoundInput RoundPlanner::connected_input(const PlannedRound& round, proto::HeaderMode mode) {
  Rng rng(round.rng_seed ^ 0xc0c0);
  const auto kind = mutation_kind(round.mutation);
  ConnectedIds ids{{etf::Atom{round.own_name}, std::uint32_t(1 + pick(rng, 1000)), 0, round.own_creation},
                   {etf::Atom{options_.target_name}, std::uint32_t(1000 + pick(rng, 1u << 20)), 0, 0}};
  Bytes stream;
  Expectation expect = Expectation::Reject;
  auto add = [&](const Bytes& packet) { frame4(stream, packet); };
  auto [control, payload] = valid_message(rng, ids);
  const etf::Term* payload_ptr = payload ? &*payload : nullptr;
  // Fragment rounds need FRAGMENTS; without it they become op_unknown.
  const bool fragment_kind = kind.rfind("fragment_", 0) == 0;
  const std::string_view k = fragment_kind && !mode.fragments ? std::string_view("op_unknown") : kind;

  auto fragment_stream = [&](std::uint64_t sequence, bool to_registered) {
    // A REG_SEND split into an 'E' (header + control) and 'F' (payload), as OTP does.
    etf::Term fcontrol = to_registered
        ? proto::to_term(proto::RegSend{ids.own, proto::kUnusedAtom, etf::Atom{"net_kernel"}})
        : proto::to_term(proto::RegSend{ids.own, proto::kUnusedAtom, etf::Atom{std::string(kSinkName)}});
    Bytes control_body, payload_body;
    etf::encode_body(control_body, fcontrol, dist_encoding());
    etf::encode_body(payload_body, etf::Term::atom("ok"), dist_encoding());
    Bytes e, f;
    proto::write_fragment_prefix(e, proto::kFragHeaderTag, {sequence, 2});
    e.push_back(0);
    e.insert(e.end(), control_body.begin(), control_body.end());
    proto::write_fragment_prefix(f, proto::kFragContTag, {sequence, 1});
    f.insert(f.end(), payload_body.begin(), payload_body.end());
    return std::pair{e, f};
  };

  if (k == "valid") {
    for (auto n = 1 + pick(rng, 3); n > 0; --n) {
      if (pick(rng, 3) == 0) proto::frame_tick(stream);
      add(valid_packet(rng, ids, mode));
    }
    expect = Expectation::Accept;
  } else if (k == "op_unknown") {
    static constexpr std::int64_t kOps[] = {0, 9, 10, 11, 14, 15, 17, 37, 99, 255, -1};
    add(dist_packet(mode, etf::Term::tuple({etf::Term::integer(kOps[pick(rng, std::size(kOps))]),
                                            etf::Term::pid(ids.own)}), nullptr));
  } else if (k == "wrong_arity") {
    auto elements = control.as_tuple().elements;
    if (pick(rng, 2) && elements.size() > 1) elements.pop_back();
    else elements.push_back(etf::Term::atom("ok"));
    add(dist_packet(mode, etf::Term::tuple(std::move(elements)), payload_ptr));
  } else if (k == "bad_element") {
    // A typed element (pid, name, reference) gets a term of another type; the Unused slot takes
    // any term, so it is skipped.
    std::vector<std::size_t> typed;
    const auto& elements = control.as_tuple().elements;
    for (std::size_t i = 1; i < elements.size(); ++i)
      if (!(elements[i] == proto::kUnusedAtom)) typed.push_back(i);
    auto bad = pick(rng, 2) ? etf::Term::integer(7) : etf::Term::list({etf::Term::integer(1)});
    add(dist_packet(mode, with_element(control, typed[pick(rng, typed.size())], std::move(bad)), payload_ptr));
  } else if (k == "not_tuple") {
    add(dist_packet(mode, pick(rng, 2) ? etf::Term::atom("ok") : etf::Term::integer(6), payload_ptr));
  } else if (k == "version_byte") {
    // Header mode: a 131 in front of the control term; pass-through: no 131 before the control.
    Bytes packet = dist_packet(mode, control, payload_ptr);
    if (mode.uses_headers()) packet.insert(packet.begin() + 3, proto::kVersionMagic);
    else packet.erase(packet.begin() + 1);
    add(packet);
  } else if (k == "wrong_mode") {
    add(dist_packet(proto::HeaderMode{!mode.uses_headers(), false}, control, payload_ptr));
  } else if (k == "cache_ref_out_of_range") {
    Bytes packet = dist_packet(mode, control, payload_ptr);
    // Replace the op's SMALL_INTEGER_EXT element by ATOM_CACHE_REF to a reference that no header
    // defined: the first tuple element sits right after the tuple tag and arity.
    const std::size_t control_at = mode.uses_headers() ? 3 : 2;
    packet[control_at + 2] = 82;
    packet[control_at + 3] = std::uint8_t(pick(rng, 256));
    add(packet);
  } else if (k == "truncate") {
    Bytes packet = dist_packet(mode, control, payload_ptr);
    const std::size_t control_end = dist_packet(mode, control, nullptr).size();
    packet.resize(1 + pick(rng, packet.size() - 1));
    // OTP decodes a payload only when it delivers the message: a cut payload addressed to a
    // process that does not exist is dropped unread (observed on 25.2.3), a cut control closes.
    if (packet.size() >= control_end) expect = Expectation::Any;
    add(packet);
  } else if (k == "frame_short") {
    Bytes packet = dist_packet(mode, control, payload_ptr);
    frame4(stream, packet, std::uint32_t(packet.size() + 1 + pick(rng, 1000)));
    expect = Expectation::Silence;
  } else if (k == "frame_huge") {
    put32(stream, 0x7fffff00u + std::uint32_t(pick(rng, 0xff)));
    stream.push_back(proto::kVersionMagic);
    expect = Expectation::Silence;
  } else if (k == "fragment_bad_order") {
    auto [e, f] = fragment_stream(1 + pick(rng, 1u << 30), false);
    f[17] = 2;  // FragmentId 2 again instead of 1
    add(e), add(f);
  } else if (k == "fragment_duplicate") {
    auto [e, f] = fragment_stream(1 + pick(rng, 1u << 30), false);
    add(e), add(e);
  } else if (k == "fragment_seq0") {
    auto [e, f] = fragment_stream(0, true);
    add(e), add(f);
  } else if (k == "fragment_valid") {
    auto [e, f] = fragment_stream(1 + pick(rng, 1u << 30), false);
    add(e), add(f);
    expect = Expectation::Accept;
  } else {  // bytes: may spell new atoms, so it spends the atom budget
    Bytes packet = dist_packet(mode, control, payload_ptr);
    // The header's NumberOfAtomCacheRefs stays 0: no edit can add atom cache entries.
    edit_bytes(packet, rng, mode.uses_headers() ? 3 : 1);
    if (!spend_atoms(atom_tag_bytes(packet))) {
      stream.clear();
      add(valid_packet(rng, ids, mode));
      return {std::move(stream), Expectation::Accept, KnownCrasher::None, true};
    }
    add(packet);
    expect = Expectation::Any;
  }

  const auto known = classify_connected(stream);
  if (known != KnownCrasher::None && !options_.allow_known_crashers) {
    ++withheld_[static_cast<std::size_t>(known)];
    stream.clear();
    add(valid_packet(rng, ids, mode));
    return {std::move(stream), Expectation::Accept, KnownCrasher::None, true};
  }
  return {std::move(stream), expect, known};
}

}  // namespace distspec::node
