// Distribution flags: OTP 25's values, the MANDATORY_25_DIGEST expansion, names for log lines.
#include <gtest/gtest.h>

#include "distspec/proto/dist_flags.hpp"

namespace distspec::proto {
namespace {

TEST(DistFlags, Otp25Sets) {
  EXPECT_EQ(kOtp25MandatoryFlags, 0x01070f94u);
  EXPECT_EQ(kOtp25AdvertisedFlags, 0xd07df7fbdULL);
  EXPECT_EQ(kOtp25HiddenFlags, 0xd07df7fbcULL);
  // Bit 26 in the code and on the wire, not the protocol document's bit 36 (pitfalls A.4).
  EXPECT_EQ(dflag::mandatory_25_digest, DistFlags{1} << 26);
  EXPECT_TRUE(kOtp25AdvertisedFlags & dflag::mandatory_25_digest);
  EXPECT_FALSE(kOtp25AdvertisedFlags & (DistFlags{1} << 36));
  EXPECT_EQ(missing_flags(kOtp25AdvertisedFlags), 0u);
  EXPECT_EQ(kOtp25AdvertisedFlags & kOtp25MandatoryFlags, kOtp25MandatoryFlags);
}

TEST(DistFlags, DigestBitStandsForTheMandatorySet) {
  EXPECT_EQ(missing_flags(dflag::mandatory_25_digest), 0u);
  EXPECT_EQ(expand_peer_flags(dflag::mandatory_25_digest),
            dflag::mandatory_25_digest | kOtp25MandatoryFlags);
  EXPECT_EQ(missing_flags(0), kOtp25MandatoryFlags);
  const DistFlags without = kOtp25MandatoryFlags & ~dflag::big_creation;
  EXPECT_EQ(missing_flags(without), dflag::big_creation);
}

TEST(DistFlags, EffectiveFlags) {
  EXPECT_EQ(effective_flags(kOtp25AdvertisedFlags, kOtp25HiddenFlags), kOtp25HiddenFlags);
  EXPECT_FALSE(effective_flags(kOtp25AdvertisedFlags, kOtp25HiddenFlags) & dflag::published);
  EXPECT_EQ(effective_flags(kOtp25AdvertisedFlags, dflag::mandatory_25_digest) &
                kOtp25MandatoryFlags,
            kOtp25MandatoryFlags);
}

TEST(DistFlags, NamesAsOtpLogsThem) {
  EXPECT_EQ(format_flag_list(dflag::big_creation), "[\"BIG_CREATION\"]");
  EXPECT_EQ(format_flag_list(dflag::utf8_atoms | dflag::new_fun_tags),
            "[\"NEW_FUN_TAGS\",\"UTF8_ATOMS\"]");
  EXPECT_EQ(format_flag_list(0), "[]");
  const auto names = flag_names(kOtp25AdvertisedFlags);
  EXPECT_EQ(names.size(), 26u);
  EXPECT_EQ(names.front(), "PUBLISHED");
  EXPECT_EQ(names.back(), "ALIAS");
  EXPECT_EQ(flag_names(DistFlags{1} << 40), std::vector<std::string>{"bit 40"});
}

}  // namespace
}  // namespace distspec::proto
