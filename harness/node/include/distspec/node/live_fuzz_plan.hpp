// Live-node fuzzing (`distspec fuzz node`, issue 5): what to send in each round, as pure code.
//
// A round is one TCP connection to the target node. Its phase says where the mutation goes:
//   SendName        the first message is a mutated send_name (nothing else is sent);
//   ChallengeReply  a correct send_name, then a mutated challenge reply 'r';
//   Connected       a correct handshake, then mutated 4-byte-framed packets.
// The planner picks the phase and the mutation of round r from (seed, r) alone, so a round can be
// replayed from its number; the bytes are built once the driver knows what depends on the target
// (the correct 'r' depends on the node's challenge, packet layout on the negotiated flags).
//
// Safety rails, because the target is a real node shared with nothing else but still worth
// keeping alive:
// - Inputs known to harm OTP 25.2.3 (KnownCrasher) are never produced unless
//   PlanOptions::allow_known_crashers; classify_send_name() decides this for any send_name, so a
//   random byte edit cannot smuggle one in.
// - Atoms are never freed by the BEAM: every node name that OTP would turn into an atom comes from
//   a bounded pool, and rounds whose bytes may create arbitrary atoms (byte edits of connected
//   packets, NAME_ME requests) stop being planned once PlanOptions::atom_budget is spent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "distspec/proto/dist_flags.hpp"
#include "distspec/proto/dist_header.hpp"

namespace distspec::node {

enum class FuzzPhase : std::uint8_t { SendName, ChallengeReply, Connected };
std::string_view to_string(FuzzPhase phase);
std::optional<FuzzPhase> fuzz_phase_from_string(std::string_view text);

// Inputs that OTP 25.2.3 is known to mishandle (spec/pitfalls.md, spec/connection.md §4).
enum class KnownCrasher : std::uint8_t {
  None,
  // 'N' shorter than its fixed fields, Nlen past the end, or a static name over 255 bytes:
  // dist_util's recv_name_new crashes (function_clause / lists:split / system_limit) and the
  // acceptor process dies with a crash report.
  MalformedSendName,
  // 'E' with SequenceId 0 and FragmentId > 1 to a registered process: the VM segfaults.
  FragmentSequenceZero,
  // A 4-byte packet length near 2^31: the runtime reserves that much memory for the packet.
  HugePacketLength,
};
std::string_view to_string(KnownCrasher crasher);
std::string_view describe(KnownCrasher crasher);  // one sentence, for reports

// What the input should make a conforming node do.
enum class Expectation : std::uint8_t {
  Any,     // no firm rule (random byte edits, statuses that depend on the node's state)
  Accept,  // send_name: status + challenge; reply: 'a'; connected: the connection stays up
  Reject,  // the node must close (or refuse with a status) and never go on
  Silence, // an incomplete frame: the node waits for the rest
};
std::string_view to_string(Expectation expectation);

// Every mutation name, "phase.kind" (e.g. "send_name.nlen_short").
std::vector<std::string> all_mutations();

struct PlanOptions {
  std::uint64_t seed = 0;
  std::vector<FuzzPhase> phases{FuzzPhase::SendName, FuzzPhase::ChallengeReply,
                                FuzzPhase::Connected};
  // Only these mutations ("connected.valid", ...; from all_mutations()), phases then ignored.
  std::vector<std::string> mutations;
  bool allow_known_crashers = false;
  // Framed send_names recorded from real traffic (extract_send_names), for send_name.corpus.
  std::vector<std::vector<std::uint8_t>> seed_send_names;
  std::string target_name;       // alive@host of the target
  std::string own_host;          // host part of the names we use (the target's host by default)
  // Correct-peer names: `slots` concurrent connections, each rotating through `names_per_slot`
  // names, so no two connections in flight share a name (each name becomes an atom on the target).
  std::size_t slots = 1;
  std::size_t names_per_slot = 8;
  // Atoms the campaign may create outside the pool: a new name counts 1, a NAME_ME request 1, a
  // byte-edited packet its number of atom tag bytes (an upper bound). OTP's atom table holds
  // 1,048,576 atoms and never shrinks; 50,000 leaves a long-lived target plenty.
  std::size_t atom_budget = 50'000;
};

// The flags our fuzzing connections advertise: OTP 25's hidden-node set (no global/rex traffic on
// the target for each connection), without SPAWN.
inline constexpr proto::DistFlags kLiveFuzzFlags =
    proto::kOtp25HiddenFlags & ~proto::dflag::spawn;

struct PlannedRound {
  std::uint64_t round = 0;
  FuzzPhase phase = FuzzPhase::SendName;
  std::string mutation;           // e.g. "send_name.nlen_short"
  KnownCrasher known = KnownCrasher::None;
  std::string own_name;           // the name of the (correct parts of the) handshake
  std::uint32_t own_creation = 0;
  std::uint32_t own_challenge = 0;
  std::uint64_t rng_seed = 0;     // drives the byte-level choices of this round
};

// The bytes of one round plus what a conforming node should do with them.
struct RoundInput {
  std::vector<std::uint8_t> bytes;
  Expectation expect = Expectation::Any;
  KnownCrasher known = KnownCrasher::None;
  // The mutation would have been a known crasher (not allowed) or spent atoms past the budget:
  // a valid message was planned in its place.
  bool withheld = false;
};

// What OTP 25.2.3's acceptor makes of a framed first message ([Len:16][payload]), by the rules of
// dist_util:recv_name/1 (kernel 8.5.3): which crash it triggers, if any, and the name it would
// turn into an atom (exactly one '@' with both parts non-empty, NAME_ME unset), if any.
struct SendNameVerdict {
  KnownCrasher known = KnownCrasher::None;
  std::optional<std::string> atom_name;
  bool well_formed = false;  // 'N', complete fields, valid name for its type
};
SendNameVerdict classify_send_name(std::span<const std::uint8_t> framed);

// The framed, well-formed send_names ('N', name ending the message) found anywhere in `bytes`,
// e.g. in a handshake corpus file (corpora/handshake_acceptor holds captured streams).
std::vector<std::vector<std::uint8_t>> extract_send_names(std::span<const std::uint8_t> bytes);

class RoundPlanner {
 public:
  explicit RoundPlanner(PlanOptions options);

  const PlanOptions& options() const { return options_; }
  // Phase, mutation and identity of round `round`, run on connection slot `slot` (< slots).
  // Deterministic in (seed, round, slot); the bytes too, as long as the atom budget is not spent.
  PlannedRound plan(std::uint64_t round, std::size_t slot = 0);
  // The name connection slot `slot` uses in round `round`.
  const std::string& own_name(std::uint64_t round, std::size_t slot) const;

  // SendName rounds: the whole first write.
  RoundInput send_name_input(const PlannedRound& round);
  // ChallengeReply rounds: replaces `correct_reply` (the framed 'r' a correct initiator sends).
  RoundInput challenge_reply_input(const PlannedRound& round,
                                   std::span<const std::uint8_t> correct_reply);
  // Connected rounds: 4-byte-framed packets for a connection in `mode` to `target_creation`'s node.
  RoundInput connected_input(const PlannedRound& round, proto::HeaderMode mode);

  // A correct send_name for `round` (what the correct parts of a handshake send).
  std::vector<std::uint8_t> correct_send_name(const PlannedRound& round) const;

  std::size_t atoms_spent() const { return atoms_spent_; }
  // Known crashers the planner would have produced but did not (not allowed), by kind.
  std::size_t withheld(KnownCrasher crasher) const;

 private:
  bool spend_atoms(std::size_t count);
  RoundInput finish_send_name(std::vector<std::uint8_t> framed, Expectation expect);

  PlanOptions options_;
  std::vector<std::string> pool_;
  std::unordered_set<std::string> atoms_seen_;
  std::size_t atoms_spent_ = 0;
  std::size_t withheld_[4] = {};
};

}  // namespace distspec::node
