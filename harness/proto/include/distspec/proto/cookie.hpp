// A distribution cookie: the shared secret behind the handshake digest.
//
// The value can be used (bytes()) but never printed: there is no operator<<, to_string() and
// GoogleTest's PrintTo() render "<cookie redacted>", and the bytes are wiped on destruction.
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace distspec::proto {

class Cookie {
 public:
  Cookie() = default;
  // The cookie atom's text as bytes (erl and iex use the atom's Latin-1 text).
  explicit Cookie(std::string_view secret);
  Cookie(const Cookie& other);
  Cookie(Cookie&& other) noexcept;
  Cookie& operator=(const Cookie& other);
  Cookie& operator=(Cookie&& other) noexcept;
  ~Cookie();

  std::span<const std::uint8_t> bytes() const;
  bool empty() const { return secret_.empty(); }
  std::size_t size() const { return secret_.size(); }

  // Constant-time comparison (CRYPTO_memcmp over the common length).
  friend bool operator==(const Cookie& a, const Cookie& b);

  // Never the value.
  friend std::string to_string(const Cookie&) { return "<cookie redacted>"; }
  // GoogleTest looks this up instead of dumping the object's bytes.
  friend void PrintTo(const Cookie&, std::ostream* out) { *out << "<cookie redacted>"; }

 private:
  void wipe();
  std::string secret_;
};

}  // namespace distspec::proto
