// Known, documented differences between our decoder and an oracle (issue 5: named, not skipped).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "distspec/etf/decode.hpp"

namespace distspec::fuzz {

enum class DiffKind { AcceptReject, Used, Term, OracleCrash };

struct Disagreement {
  DiffKind kind;
  std::span<const std::uint8_t> input;
  const etf::DecodeError* our_error;  // null when we accepted
  const etf::Term* our_term;          // null when we rejected
  bool oracle_accepted;  // false when the oracle crashed
};

// The reason this disagreement is expected, or nullopt when it is a finding.
std::optional<std::string_view> allowed_beam_difference(const Disagreement& d);
// The same for erl_interface's ei (it only ever sees inputs we accepted).
std::optional<std::string_view> allowed_ei_difference(const Disagreement& d);

}  // namespace distspec::fuzz
