// Fragmented messages (connection.md §4): assembly of 'E'/'F' sequences with bounded memory, and
// emission of a message as 'D' or as 'E' + 'F'... packets.
//
// Receiver rules (stricter than OTP 25.2.3, which segfaults on some of these): SequenceId 0 is
// "not fragmented", so an 'E' with SequenceId 0 must have FragmentId 1 and an 'F' never has
// SequenceId 0; FragmentId 0 is never valid; an 'F' must carry exactly the next FragmentId
// (N-1, ..., 1) of a sequence in flight; a second 'E' for a sequence in flight is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "distspec/etf/result.hpp"
#include "distspec/etf/term.hpp"
#include "distspec/proto/atom_cache.hpp"
#include "distspec/proto/connection_error.hpp"
#include "distspec/proto/control.hpp"
#include "distspec/proto/dist_header.hpp"

namespace distspec::proto {

struct FragmentLimits {
  // OTP has no limit; one in-flight sequence per sending process is normal, so a few hundred
  // covers busy peers while bounding what a hostile one can make us hold.
  std::size_t max_sequences = 256;
  // Largest assembled payload (bytes). Bounds memory per sequence; the total is bounded by
  // max_sequences * max_message_size, and by what actually arrived.
  std::size_t max_message_size = 64u * 1024 * 1024;
};

// A message whose first fragment arrived: its header references (kept per sequence, since later
// headers may overwrite cache slots), its control term, and the payload bytes so far.
struct PendingMessage {
  std::vector<AtomCacheRef> refs;
  ControlMessage control;
  std::vector<std::uint8_t> payload;
  std::size_t fragments = 0;  // total FragmentId of the 'E'
};

class FragmentAssembler {
 public:
  explicit FragmentAssembler(FragmentLimits limits = {}) : limits_(limits) {}

  // Registers the 'E' of a sequence of ids.fragment_id > 1 fragments. Errors: SequenceZero,
  // FragmentIdZero (id 0 passed here), DuplicateSequence, TooManySequences, TooLarge.
  Result<std::monostate, ConnectionError> begin(FragmentIds ids, PendingMessage message);
  // Appends an 'F' body; returns the whole message when ids.fragment_id == 1 (and forgets it).
  Result<std::optional<PendingMessage>, ConnectionError> append(
      FragmentIds ids, std::span<const std::uint8_t> body);

  std::size_t in_flight() const { return pending_.size(); }

 private:
  struct Entry {
    PendingMessage message;
    std::uint64_t next_fragment_id;
  };
  FragmentLimits limits_;
  std::unordered_map<std::uint64_t, Entry> pending_;
};

// Emission. `section` is an atom cache section as written by write_atom_cache_section; `body` is
// the control term followed by the payload term (no 131s), `control_size` the control's length.
// A body of at most fragment_size bytes becomes one 131 'D' packet; a longer one becomes an 'E'
// carrying the first max(fragment_size, control_size) bytes of the body and 'F's of fragment_size
// bytes, with FragmentIds counting down to 1 (as OTP 25 does with fragment_size = 65536).
// Precondition: sequence_id != 0 and fragment_size > 0. Packets are returned unframed.
std::vector<std::vector<std::uint8_t>> encode_fragmented(std::span<const std::uint8_t> section,
                                                         std::span<const std::uint8_t> body,
                                                         std::size_t control_size,
                                                         std::uint64_t sequence_id,
                                                         std::size_t fragment_size);

inline constexpr std::size_t kOtpFragmentSize = 65536;  // ERTS_DIST_FRAGMENT_SIZE

}  // namespace distspec::proto
