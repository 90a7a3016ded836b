#include "distspec/node/corpus.hpp"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>

#include "distspec/etf/encode.hpp"

namespace distspec::node {

namespace fs = std::filesystem;

std::string content_hash_name(std::span<const std::uint8_t> bytes) {
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

CorpusRecorder::CorpusRecorder(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(fs::path(dir_) / "handshake", ec);
  fs::create_directories(fs::path(dir_) / "term", ec);
}

void CorpusRecorder::write(const std::string& kind, std::span<const std::uint8_t> bytes) {
  auto path = fs::path(dir_) / kind / content_hash_name(bytes);
  std::lock_guard lock(mutex_);
  std::error_code ec;
  if (fs::exists(path, ec)) return;
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  ++written_;
}

void CorpusRecorder::record_handshake_message(std::span<const std::uint8_t> framed) {
  write("handshake", framed);
}

void CorpusRecorder::record_handshake_stream(std::span<const std::uint8_t> bytes,
                                             std::string& pending) {
  pending.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  while (pending.size() >= 2) {
    std::size_t len = (std::uint8_t(pending[0]) << 8) | std::uint8_t(pending[1]);
    if (pending.size() < 2 + len) break;
    record_handshake_message({reinterpret_cast<const std::uint8_t*>(pending.data()), 2 + len});
    pending.erase(0, 2 + len);
  }
}

void CorpusRecorder::record_term(const etf::Term& term) { write("term", etf::encode(term)); }

}  // namespace distspec::node
