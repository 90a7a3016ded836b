// The handshake digest: MD5(cookie bytes ++ unsigned decimal challenge), computed with OpenSSL's
// libcrypto (EVP) and compared in constant time (spec/handshake.md §4).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "distspec/proto/cookie.hpp"

namespace distspec::proto {

using Digest = std::array<std::uint8_t, 16>;

// erlang:md5([atom_to_list(Cookie) | integer_to_list(Challenge)]); the challenge is printed as
// an unsigned 32-bit decimal ("%u").
Digest compute_digest(std::uint32_t challenge, const Cookie& cookie);

// True when `received` equals the digest of (challenge, cookie); CRYPTO_memcmp, so the time
// taken does not depend on where the bytes differ.
bool digest_matches(std::span<const std::uint8_t> received, std::uint32_t challenge,
                    const Cookie& cookie);

}  // namespace distspec::proto
