#include "distspec/proto/cookie.hpp"

#include <openssl/crypto.h>

namespace distspec::proto {

Cookie::Cookie(std::string_view secret) : secret_(secret) {}
Cookie::Cookie(const Cookie& other) : secret_(other.secret_) {}
Cookie::Cookie(Cookie&& other) noexcept : secret_(std::move(other.secret_)) { other.wipe(); }

Cookie& Cookie::operator=(const Cookie& other) {
  if (this != &other) {
    wipe();
    secret_ = other.secret_;
  }
  return *this;
}

Cookie& Cookie::operator=(Cookie&& other) noexcept {
  if (this != &other) {
    wipe();
    secret_ = std::move(other.secret_);
    other.wipe();
  }
  return *this;
}

Cookie::~Cookie() { wipe(); }

void Cookie::wipe() {
  // A moved-from short string may keep its bytes in the inline buffer: cleanse what is there.
  if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
  secret_.clear();
}

std::span<const std::uint8_t> Cookie::bytes() const {
  return {reinterpret_cast<const std::uint8_t*>(secret_.data()), secret_.size()};
}

bool operator==(const Cookie& a, const Cookie& b) {
  // The length is not secret enough to hide; the content comparison is constant-time.
  if (a.secret_.size() != b.secret_.size()) return false;
  return CRYPTO_memcmp(a.secret_.data(), b.secret_.data(), a.secret_.size()) == 0;
}

}  // namespace distspec::proto
