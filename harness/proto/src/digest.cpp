#include "distspec/proto/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <memory>

namespace distspec::proto {

namespace {

bool md5_of(std::uint32_t challenge, const Cookie& cookie, Digest& digest) {
  char decimal[10];  // 4294967295 has 10 digits
  const char* end = std::to_chars(decimal, decimal + sizeof decimal, challenge).ptr;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned int length = 0;
  const auto secret = cookie.bytes();
  return ctx && EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) == 1 &&
         EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) == 1 &&
         EVP_DigestUpdate(ctx.get(), decimal, static_cast<std::size_t>(end - decimal)) == 1 &&
         EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) == 1 && length == digest.size();
}

}  // namespace

Digest compute_digest(std::uint32_t challenge, const Cookie& cookie) {
  Digest digest{};
  // Only an allocation failure inside libcrypto can fail here; the all-zero digest we then send
  // is simply rejected by the peer.
  md5_of(challenge, cookie, digest);
  return digest;
}

bool digest_matches(std::span<const std::uint8_t> received, std::uint32_t challenge,
                    const Cookie& cookie) {
  Digest expected{};
  if (!md5_of(challenge, cookie, expected)) return false;  // fail closed
  if (received.size() != expected.size()) return false;
  return CRYPTO_memcmp(received.data(), expected.data(), expected.size()) == 0;
}

}  // namespace distspec::proto
