// Writing live-fuzz records: the input bytes named by their content hash and a JSON record beside
// them. Private to harness/node.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

namespace distspec::node::livefuzz {

// Writes DIR/<sha256>.bin (unless present) and DIR/<sha256>.json; returns the .json path ("" when
// the folder cannot be written).
std::string save_record(const std::string& dir, std::span<const std::uint8_t> bytes,
                        const nlohmann::json& record);

}  // namespace distspec::node::livefuzz
