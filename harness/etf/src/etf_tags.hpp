// External Term Format tags (../shared/spec/term-format.md §2).
#pragma once

#include <cstddef>
#include <cstdint>

namespace distspec::etf::tag {

inline constexpr std::uint8_t kVersion = 131;
inline constexpr std::uint8_t kNewFloat = 70;
inline constexpr std::uint8_t kBitBinary = 77;
inline constexpr std::uint8_t kCompressed = 80;
inline constexpr std::uint8_t kAtomCacheRef = 82;
inline constexpr std::uint8_t kNewPid = 88;
inline constexpr std::uint8_t kNewPort = 89;
inline constexpr std::uint8_t kNewerReference = 90;
inline constexpr std::uint8_t kSmallInteger = 97;
inline constexpr std::uint8_t kInteger = 98;
inline constexpr std::uint8_t kFloat = 99;
inline constexpr std::uint8_t kAtom = 100;
inline constexpr std::uint8_t kReference = 101;
inline constexpr std::uint8_t kPort = 102;
inline constexpr std::uint8_t kPid = 103;
inline constexpr std::uint8_t kSmallTuple = 104;
inline constexpr std::uint8_t kLargeTuple = 105;
inline constexpr std::uint8_t kNil = 106;
inline constexpr std::uint8_t kString = 107;
inline constexpr std::uint8_t kList = 108;
inline constexpr std::uint8_t kBinary = 109;
inline constexpr std::uint8_t kSmallBig = 110;
inline constexpr std::uint8_t kLargeBig = 111;
inline constexpr std::uint8_t kNewFun = 112;
inline constexpr std::uint8_t kExport = 113;
inline constexpr std::uint8_t kNewReference = 114;
inline constexpr std::uint8_t kSmallAtom = 115;
inline constexpr std::uint8_t kMap = 116;
inline constexpr std::uint8_t kAtomUtf8 = 118;
inline constexpr std::uint8_t kSmallAtomUtf8 = 119;
inline constexpr std::uint8_t kV4Port = 120;

// Decoder limits of OTP 25 on 64-bit, with their source.
inline constexpr std::size_t kMaxAtomCharacters = 255;          // atom.h MAX_ATOM_CHARACTERS
inline constexpr std::size_t kMaxBigBytes = ((1u << 19) - 1) * 8;  // erl_term.h BIG_ARITY_MAX
inline constexpr std::uint32_t kMaxFunFree = 255;               // MAX_ARG
inline constexpr std::int64_t kMaxSmall = (std::int64_t(1) << 59) - 1;  // 64-bit MAX_SMALL
inline constexpr std::int64_t kMinSmall = -(std::int64_t(1) << 59);
inline constexpr std::uint32_t kMaxOldRefFirstWord = (1u << 18) - 1;  // _REF_NUM_SIZE (tags 101/114)
inline constexpr std::uint32_t kMaxLocalPidId = (1u << 15) - 1;     // observed on OTP 25.2.3
inline constexpr std::uint32_t kMaxLocalPidSerial = (1u << 13) - 1;
inline constexpr std::uint64_t kMaxLocalPortId = (1u << 28) - 1;
inline constexpr std::size_t kMaxLocalRefWords = 3;

}  // namespace distspec::etf::tag
