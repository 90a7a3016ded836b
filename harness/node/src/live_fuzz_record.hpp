// Writing live-fuzz records: the input bytes named by their SHA-256 and a small JSON beside them.
// Private to harness/node.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace distspec::node::livefuzz {

// A JSON object of string and number fields, in the order given.
class JsonRecord {
 public:
  JsonRecord& add(const std::string& key, const std::string& value);
  JsonRecord& add(const std::string& key, std::uint64_t value);
  // An array of objects, each given as its rendered JSON.
  JsonRecord& add_raw(const std::string& key, const std::string& json);
  std::string render() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // key -> rendered value
};

std::string json_quote(const std::string& text);
std::string sha256_hex(std::span<const std::uint8_t> bytes);

// Writes DIR/<sha256>.bin (unless present) and DIR/<sha256>.json; returns the .json path ("" when
// the folder cannot be written).
std::string save_record(const std::string& dir, std::span<const std::uint8_t> bytes,
                        const JsonRecord& record);

}  // namespace distspec::node::livefuzz
