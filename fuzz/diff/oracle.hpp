// What the other decoder of a differential campaign said about one input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace distspec::fuzz {

struct OracleVerdict {
  enum class Status { Accepted, Rejected, Crashed } status = Status::Rejected;
  std::size_t used = 0;                 // bytes consumed, including the 131
  std::vector<std::uint8_t> reencoded;  // the oracle's own encoding of what it decoded (with 131)
  std::string text;                     // how the oracle prints it (BEAM: ~w), may be empty
};

class DecoderOracle {
 public:
  virtual ~DecoderOracle() = default;
  virtual std::string_view name() const = 0;
  virtual OracleVerdict judge(std::span<const std::uint8_t> input) = 0;
};

}  // namespace distspec::fuzz
