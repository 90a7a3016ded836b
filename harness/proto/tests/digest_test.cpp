// The MD5 handshake digest (spec/handshake.md §4) and the Cookie type that never prints itself.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "distspec/proto/cookie.hpp"
#include "distspec/proto/digest.hpp"

namespace distspec::proto {
namespace {

std::string hex(const Digest& digest) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : digest) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

TEST(Digest, SpecVectors) {
  // Verified with erlang:md5/1 (spec/handshake.md §4).
  EXPECT_EQ(hex(compute_digest(1711735914, Cookie("secret"))), "accef4e5f7a56f40796be115e9abdb84");
  EXPECT_EQ(hex(compute_digest(0, Cookie("secret"))), "175ec77a7f63082590987d0d8b051aff");
  EXPECT_EQ(hex(compute_digest(4294967295u, Cookie("secret"))), "5dfd181e69aa587cc812eb333e6536b6");
  EXPECT_EQ(hex(compute_digest(123456, Cookie("COOKIE"))), "bfb758007cac20bdc008d092a150446f");
}

TEST(Digest, MatchesOnlyTheRightCookieAndChallenge) {
  const Cookie cookie("secret");
  const Digest good = compute_digest(42, cookie);
  EXPECT_TRUE(digest_matches(good, 42, cookie));
  EXPECT_FALSE(digest_matches(good, 43, cookie));
  EXPECT_FALSE(digest_matches(good, 42, Cookie("secreT")));
  for (std::size_t i = 0; i < good.size(); ++i) {  // any single flipped bit is refused
    Digest bad = good;
    bad[i] ^= 0x01;
    EXPECT_FALSE(digest_matches(bad, 42, cookie)) << "byte " << i;
  }
  EXPECT_FALSE(digest_matches(std::span(good).first(15), 42, cookie));
}

TEST(Cookie, NeverPrintsItsValue) {
  const Cookie cookie("top_secret_value");
  EXPECT_EQ(to_string(cookie), "<cookie redacted>");
  const std::string printed = ::testing::PrintToString(cookie);
  EXPECT_EQ(printed.find("top_secret"), std::string::npos) << printed;
  EXPECT_EQ(printed, "<cookie redacted>");
}

TEST(Cookie, ComparesAndCopies) {
  Cookie a("abc");
  Cookie b = a;
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == Cookie("abd"));
  EXPECT_FALSE(a == Cookie("abcd"));
  Cookie c = std::move(b);
  EXPECT_TRUE(c == a);
  EXPECT_TRUE(b.empty());  // a moved-from cookie holds nothing
  EXPECT_EQ(std::string(c.bytes().begin(), c.bytes().end()), "abc");
}

}  // namespace
}  // namespace distspec::proto
