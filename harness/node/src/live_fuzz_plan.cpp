#include "distspec/node/live_fuzz_plan.hpp"

#include <algorithm>
#include <array>

#include "distspec/etf/encode.hpp"
#include "distspec/proto/control.hpp"
#include "distspec/proto/framing.hpp"
#include "distspec/proto/handshake_messages.hpp"

namespace distspec::node {

namespace {

using Bytes = std::vector<std::uint8_t>;
using Rng = std::mt19937_64;

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t pick(Rng& rng, std::uint64_t n) { return n ? rng() % n : 0; }

void put16(Bytes& out, std::uint16_t v) {
  out.push_back(std::uint8_t(v >> 8));
  out.push_back(std::uint8_t(v));
}
void put32(Bytes& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(std::uint8_t(v >> s));
}
std::uint64_t get_be(std::span<const std::uint8_t> b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | b[at + i];
  return v;
}

Bytes frame2(std::span<const std::uint8_t> payload, std::size_t claimed) {
  Bytes out;
  put16(out, std::uint16_t(claimed));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void frame4(Bytes& out, std::span<const std::uint8_t> packet, std::uint32_t claimed) {
  put32(out, claimed);
  out.insert(out.end(), packet.begin(), packet.end());
}
void frame4(Bytes& out, std::span<const std::uint8_t> packet) {
  frame4(out, packet, std::uint32_t(packet.size()));
}

// 1..4 random edits (flip a bit, set a byte, insert, delete) at offsets >= `from`.
void edit_bytes(Bytes& bytes, Rng& rng, std::size_t from) {
  static constexpr std::uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '@', 'N', 131};
  const int edits = 1 + int(pick(rng, 4));
  for (int e = 0; e < edits; ++e) {
    if (bytes.size() <= from) {
      bytes.push_back(std::uint8_t(rng()));
      continue;
    }
    const std::size_t at = from + pick(rng, bytes.size() - from);
    switch (pick(rng, 5)) {
      case 0: bytes[at] ^= std::uint8_t(1u << pick(rng, 8)); break;
      case 1: bytes[at] = std::uint8_t(rng()); break;
      case 2: bytes[at] = kInteresting[pick(rng, std::size(kInteresting))]; break;
      case 3: bytes.insert(bytes.begin() + std::ptrdiff_t(at), std::uint8_t(rng())); break;
      default: bytes.erase(bytes.begin() + std::ptrdiff_t(at)); break;
    }
  }
}

// Fixed hostile names: a bounded set, so at most these become atoms on the target.
const std::vector<std::string>& hostile_names(const std::string& host) {
  static thread_local std::string cached_host;
  static thread_local std::vector<std::string> names;
  if (names.empty() || cached_host != host) {
    cached_host = host;
    names = {"",           "noat",        "@" + host,          "dsfuzz@",
             "a@b@" + host, "dsfuzz @" + host, "\xfctf@" + host, "dsfuzz@" + host + "\n",
             std::string("ds\0fuzz@", 8) + host, "dsfuzz.dot@" + host,
             std::string(200, 'x') + "@" + host, std::string(300, 'y') + "@" + host};
  }
  return names;
}

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

const std::array<std::string_view, 14> kSendNameMutations = {
    "valid", "trailing", "flags_random", "flags_drop_mandatory", "flags_name_me", "creation",
    "name_variant", "tag", "version5", "nlen_short", "nlen_long", "short_fields", "frame_short",
    "bytes"};
const std::array<std::string_view, 9> kReplyMutations = {
    "valid", "digest_flip", "digest_zero", "challenge_change", "truncate", "extend", "tag",
    "empty", "bytes"};
const std::array<std::string_view, 16> kConnectedMutations = {
    "valid", "op_unknown", "wrong_arity", "bad_element", "not_tuple", "version_byte",
    "wrong_mode", "cache_ref_out_of_range", "truncate", "frame_short", "frame_huge",
    "fragment_bad_order", "fragment_duplicate", "fragment_seq0", "fragment_valid", "bytes"};

std::string_view mutation_kind(const std::string& mutation) {
  auto dot = mutation.find('.');
  return dot == std::string::npos ? std::string_view(mutation)
                                  : std::string_view(mutation).substr(dot + 1);
}

}  // namespace

std::vector<std::string> all_mutations() {
  std::vector<std::string> out;
  for (auto m : kSendNameMutations) out.push_back("send_name." + std::string(m));
  for (auto m : kReplyMutations) out.push_back("challenge_reply." + std::string(m));
  for (auto m : kConnectedMutations) out.push_back("connected." + std::string(m));
  return out;
}

std::string_view to_string(FuzzPhase phase) {
  switch (phase) {
    case FuzzPhase::SendName: return "send_name";
    case FuzzPhase::ChallengeReply: return "challenge_reply";
    case FuzzPhase::Connected: return "connected";
  }
  return "?";
}

std::optional<FuzzPhase> fuzz_phase_from_string(std::string_view text) {
  for (auto p : {FuzzPhase::SendName, FuzzPhase::ChallengeReply, FuzzPhase::Connected})
    if (to_string(p) == text) return p;
  return std::nullopt;
}

std::string_view to_string(KnownCrasher crasher) {
  switch (crasher) {
    case KnownCrasher::None: return "none";
    case KnownCrasher::MalformedSendName: return "malformed_send_name";
    case KnownCrasher::FragmentSequenceZero: return "fragment_sequence_zero";
    case KnownCrasher::HugePacketLength: return "huge_packet_length";
  }
  return "?";
}

std::string_view describe(KnownCrasher crasher) {
  switch (crasher) {
    case KnownCrasher::None: return "";
    case KnownCrasher::MalformedSendName:
      return "an 'N' send_name with truncated fields, Nlen past the end or a name over 255 bytes "
             "crashes OTP 25.2.3's acceptor process (crash report)";
    case KnownCrasher::FragmentSequenceZero:
      return "a fragment header with SequenceId 0 and FragmentId > 1 segfaults the OTP 25.2.3 VM";
    case KnownCrasher::HugePacketLength:
      return "a 4-byte packet length over 16 MiB makes OTP 25.2.3 reserve that much memory";
  }
  return "";
}

std::string_view to_string(Expectation expectation) {
  switch (expectation) {
    case Expectation::Any: return "any";
    case Expectation::Accept: return "accept";
    case Expectation::Reject: return "reject";
    case Expectation::Silence: return "silence";
  }
  return "?";
}

SendNameVerdict classify_send_name(std::span<const std::uint8_t> framed) {
  SendNameVerdict verdict;
  if (framed.size() < 2) return verdict;
  const std::size_t claimed = std::size_t(get_be(framed, 0, 2));
  if (framed.size() - 2 < claimed) return verdict;  // incomplete: the node waits for the rest
  auto payload = framed.subspan(2, claimed);
  if (payload.empty() || payload[0] != 'N') return verdict;  // closed without a crash
  // recv_name_new's clause needs 'N' + 8 + 4 + 2 bytes; lists:split needs NameLen <= rest.
  if (payload.size() < 15) return {KnownCrasher::MalformedSendName, std::nullopt, false};
  const std::uint64_t flags = get_be(payload, 1, 8);
  const std::size_t name_length = std::size_t(get_be(payload, 13, 2));
  if (name_length > payload.size() - 15) return {KnownCrasher::MalformedSendName, std::nullopt, false};
  const std::string name(payload.begin() + 15, payload.begin() + 15 + std::ptrdiff_t(name_length));
  const bool dynamic = (flags & proto::dflag::name_me) != 0;
  const auto ats = std::count(name.begin(), name.end(), '@');
  if (dynamic) {
    // A bare host: the node generates a name (a new atom) for it.
    verdict.well_formed = !name.empty() && ats == 0;
    if (verdict.well_formed) verdict.atom_name = "";  // "" = a generated name
    return verdict;
  }
  const auto at = name.find('@');
  verdict.well_formed = ats == 1 && at > 0 && at + 1 < name.size();
  if (!verdict.well_formed) return verdict;
  if (name.size() > 255) return {KnownCrasher::MalformedSendName, std::nullopt, false};
  verdict.atom_name = name;
  return verdict;
}

RoundPlanner::RoundPlanner(PlanOptions options) : options_(std::move(options)) {
  if (options_.own_host.empty()) {
    auto at = options_.target_name.find('@');
    options_.own_host = at == std::string::npos ? "localhost" : options_.target_name.substr(at + 1);
  }
  if (options_.phases.empty()) options_.phases = {FuzzPhase::SendName};
  options_.slots = std::max<std::size_t>(options_.slots, 1);
  options_.names_per_slot = std::max<std::size_t>(options_.names_per_slot, 1);
  for (std::size_t i = 0; i < options_.slots * options_.names_per_slot; ++i) {
    pool_.push_back("dsfuzz" + std::to_string(i) + "@" + options_.own_host);
    atoms_seen_.insert(pool_.back());
  }
}

std::size_t RoundPlanner::withheld(KnownCrasher crasher) const {
  return withheld_[static_cast<std::size_t>(crasher)];
}

bool RoundPlanner::spend_atoms(std::size_t count) {
  if (atoms_spent_ + count > options_.atom_budget) return false;
  atoms_spent_ += count;
  return true;
}

const std::string& RoundPlanner::own_name(std::uint64_t round, std::size_t slot) const {
  const auto per_slot = options_.names_per_slot;
  return pool_[(slot % options_.slots) * per_slot + round % per_slot];
}

PlannedRound RoundPlanner::plan(std::uint64_t round, std::size_t slot) {
  PlannedRound p;
  p.round = round;
  p.rng_seed = splitmix(options_.seed ^ splitmix(round));
  Rng rng(p.rng_seed);
  if (!options_.mutations.empty()) {
    p.mutation = options_.mutations[pick(rng, options_.mutations.size())];
    p.phase = *fuzz_phase_from_string(p.mutation.substr(0, p.mutation.find('.')));
  } else {
    p.phase = options_.phases[pick(rng, options_.phases.size())];
    switch (p.phase) {
      case FuzzPhase::SendName:
        p.mutation = "send_name." + std::string(kSendNameMutations[pick(rng, kSendNameMutations.size())]);
        break;
      case FuzzPhase::ChallengeReply:
        p.mutation = "challenge_reply." + std::string(kReplyMutations[pick(rng, kReplyMutations.size())]);
        break;
      case FuzzPhase::Connected:
        p.mutation = "connected." + std::string(kConnectedMutations[pick(rng, kConnectedMutations.size())]);
        break;
    }
  }
  p.own_name = own_name(round, slot);
  p.own_creation = std::uint32_t(rng()) | 4;  // never 0..3 (pitfall A.6)
  p.own_challenge = std::uint32_t(rng());
  return p;
}

std::vector<std::uint8_t> RoundPlanner::correct_send_name(const PlannedRound& round) const {
  Bytes out;
  proto::encode_send_name({6, kLiveFuzzFlags, round.own_creation, round.own_name}, out);
  return out;
}

RoundInput RoundPlanner::finish_send_name(Bytes framed, Expectation expect) {
  auto verdict = classify_send_name(framed);
  if (verdict.known != KnownCrasher::None && !options_.allow_known_crashers) {
    ++withheld_[static_cast<std::size_t>(verdict.known)];
    return {};  // caller substitutes
  }
  if (verdict.atom_name) {
    const bool generated = verdict.atom_name->empty();
    if (generated || !atoms_seen_.count(*verdict.atom_name)) {
      if (!spend_atoms(1)) return {};
      if (!generated) atoms_seen_.insert(*verdict.atom_name);
    }
  }
  return {std::move(framed), expect, verdict.known};
}

RoundInput RoundPlanner::send_name_input(const PlannedRound& round) {
  Rng rng(round.rng_seed ^ 0x5e9d);
  const auto kind = mutation_kind(round.mutation);
  proto::SendName base{6, kLiveFuzzFlags, round.own_creation, round.own_name};
  Bytes payload;
  auto encode = [&](const proto::SendName& m) {
    Bytes framed;
    proto::encode_send_name(m, framed);
    return Bytes(framed.begin() + 2, framed.end());
  };
  Expectation expect = Expectation::Any;
  std::optional<std::size_t> claimed;  // frame length when it is not the payload size
  if (kind == "valid") {
    payload = encode(base), expect = Expectation::Accept;
  } else if (kind == "trailing") {
    payload = encode(base);
    for (auto n = 1 + pick(rng, 16); n > 0; --n) payload.push_back(std::uint8_t(rng()));
    expect = Expectation::Accept;  // bytes after the name "must be accepted and ignored"
  } else if (kind == "flags_random") {
    base.flags = rng();
    payload = encode(base);
  } else if (kind == "flags_drop_mandatory") {
    const auto mandatory = proto::kOtp25MandatoryFlags;
    std::vector<proto::DistFlags> bits;
    for (int b = 0; b < 64; ++b)
      if (mandatory & (proto::DistFlags{1} << b)) bits.push_back(proto::DistFlags{1} << b);
    base.flags &= ~(proto::dflag::mandatory_25_digest | bits[pick(rng, bits.size())]);
    payload = encode(base), expect = Expectation::Reject;  // 'not_allowed', then closed
  } else if (kind == "flags_name_me") {
    base.flags |= proto::dflag::name_me;
    base.creation = 0;
    base.name = options_.own_host;
    payload = encode(base);
  } else if (kind == "creation") {
    static constexpr std::uint32_t kCreations[] = {0, 1, 3, 0xffffffff, 0x80000000};
    base.creation = kCreations[pick(rng, std::size(kCreations))];
    payload = encode(base);
  } else if (kind == "name_variant") {
    const auto& names = hostile_names(options_.own_host);
    base.name = names[pick(rng, names.size())];
    payload = encode(base);
  } else if (kind == "tag") {
    payload = encode(base);
    do payload[0] = std::uint8_t(rng()); while (payload[0] == 'N');
    expect = Expectation::Reject;
  } else if (kind == "version5") {
    base.version = 5;
    payload = encode(base), expect = Expectation::Reject;  // OTP 25.0-25.2 close on 'n'
  } else if (kind == "nlen_short") {
    payload = encode(base);
    const auto n = std::uint16_t(pick(rng, base.name.size()));
    payload[13] = std::uint8_t(n >> 8), payload[14] = std::uint8_t(n);
  } else if (kind == "nlen_long") {
    payload = encode(base);
    const auto n = std::uint16_t(base.name.size() + 1 + pick(rng, 300));
    payload[13] = std::uint8_t(n >> 8), payload[14] = std::uint8_t(n);
  } else if (kind == "short_fields") {
    payload = encode(base);
    payload.resize(1 + pick(rng, 14));
  } else if (kind == "frame_short") {
    payload = encode(base);
    claimed = payload.size() + 1 + pick(rng, 64);
    expect = Expectation::Silence;
  } else {  // bytes
    payload = encode(base);
    edit_bytes(payload, rng, 0);
  }
  auto input = finish_send_name(frame2(payload, claimed.value_or(payload.size())), expect);
  if (input.bytes.empty()) {  // withheld (known crasher or atom budget): send the valid one
    input = {correct_send_name(round), Expectation::Accept, KnownCrasher::None, true};
  }
  return input;
}

RoundInput RoundPlanner::challenge_reply_input(const PlannedRound& round,
                                               std::span<const std::uint8_t> correct_reply) {
  Rng rng(round.rng_seed ^ 0x7e71);
  const auto kind = mutation_kind(round.mutation);
  Bytes payload(correct_reply.begin() + std::min<std::size_t>(2, correct_reply.size()),
                correct_reply.end());
  std::optional<std::size_t> claimed;
  if (payload.size() != 21) return {Bytes(correct_reply.begin(), correct_reply.end()), Expectation::Accept};
  if (kind == "digest_flip") {
    payload[5 + pick(rng, 16)] ^= std::uint8_t(1u << pick(rng, 8));
  } else if (kind == "digest_zero") {
    std::fill(payload.begin() + 5, payload.end(), 0);
  } else if (kind == "challenge_change") {
    for (int i = 1; i < 5; ++i) payload[std::size_t(i)] = std::uint8_t(rng());
  } else if (kind == "truncate") {
    payload.resize(pick(rng, 21));
  } else if (kind == "extend") {
    for (auto n = 1 + pick(rng, 8); n > 0; --n) payload.push_back(std::uint8_t(rng()));
  } else if (kind == "tag") {
    do payload[0] = std::uint8_t(rng()); while (payload[0] == 'r');
  } else if (kind == "empty") {
    payload.clear();
  } else if (kind == "bytes") {
    edit_bytes(payload, rng, 0);
    if (pick(rng, 4) == 0) claimed = payload.size() + 1 + pick(rng, 8);
  }
  // What a conforming acceptor does: 'a' exactly for 'r' + 4 bytes + the right 16-byte digest.
  Expectation expect = Expectation::Reject;
  if (claimed) {
    expect = Expectation::Silence;
  } else if (payload.size() == 21 && payload[0] == 'r' &&
             std::equal(payload.begin() + 5, payload.end(), correct_reply.begin() + 7)) {
    expect = Expectation::Accept;
  }
  return {frame2(payload, claimed.value_or(payload.size())), expect, KnownCrasher::None};
}

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
    packet.resize(1 + pick(rng, packet.size() - 1));
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
