#include "distspec/node/live_fuzz_plan.hpp"

#include <algorithm>

#include "distspec/proto/handshake_messages.hpp"
#include "live_fuzz_plan_internal.hpp"

namespace distspec::node {

using namespace plan_detail;

namespace {

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

std::vector<std::vector<std::uint8_t>> extract_send_names(std::span<const std::uint8_t> bytes) {
  std::vector<std::vector<std::uint8_t>> out;
  for (std::size_t at = 0; at + 3 <= bytes.size(); ++at) {
    const std::size_t length = std::size_t(get_be(bytes, at, 2));
    if (bytes[at + 2] != 'N' || length < 15 || length > proto::kMaxHandshakeMessage ||
        at + 2 + length > bytes.size())
      continue;
    auto framed = bytes.subspan(at, 2 + length);
    auto parsed = proto::parse_send_name(framed.subspan(2));
    // A whole send_name: its name ends the message (a challenge parses as one too, with its
    // challenge and creation read as creation and Nlen: those rarely end exactly at the end).
    if (parsed && 2 + 15 + parsed.value().name.size() == framed.size() &&
        classify_send_name(framed).well_formed)
      out.emplace_back(framed.begin(), framed.end());
  }
  return out;
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
  } else if (kind == "corpus" && !options_.seed_send_names.empty()) {
    // A send_name recorded from real traffic, as it was or with a few byte edits.
    const auto& seed = options_.seed_send_names[pick(rng, options_.seed_send_names.size())];
    payload.assign(seed.begin() + 2, seed.end());
    if (pick(rng, 2)) edit_bytes(payload, rng, 0);
  } else {  // bytes (and corpus without seeds)
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

}  // namespace distspec::node
