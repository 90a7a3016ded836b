#include "live_fuzz_record.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace distspec::node::livefuzz {

namespace fs = std::filesystem;

std::string json_quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(char(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);  // bytes as Latin-1 code points
      out += escaped;
    } else {
      out.push_back(char(c));
    }
  }
  return out + "\"";
}

JsonRecord& JsonRecord::add(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, json_quote(value));
  return *this;
}

JsonRecord& JsonRecord::add(const std::string& key, std::uint64_t value) {
  fields_.emplace_back(key, std::to_string(value));
  return *this;
}

JsonRecord& JsonRecord::add_raw(const std::string& key, const std::string& json) {
  fields_.emplace_back(key, json);
  return *this;
}

std::string JsonRecord::render() const {
  std::string out = "{";
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (i) out += ", ";
    out += json_quote(fields_[i].first) + ": " + fields_[i].second;
  }
  return out + "}";
}

std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 15]);
  }
  return out;
}

std::string save_record(const std::string& dir, std::span<const std::uint8_t> bytes,
                        const JsonRecord& record) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const auto base = fs::path(dir) / sha256_hex(bytes);
  auto bin = base;
  bin += ".bin";
  if (!fs::exists(bin, ec)) {
    std::ofstream out(bin, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  auto json = base;
  json += ".json";
  std::ofstream out(json);
  out << record.render() << "\n";
  return out ? json.string() : std::string();
}

}  // namespace distspec::node::livefuzz
