// The public decoding entry points: decode() is the tape (tape_build.cpp) made into a Term;
// validate() is the skipper (validate.cpp). Also COMPRESSED's inflation and the error names.
#include "distspec/etf/decode.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>

#include "decode_internal.hpp"
#include "distspec/etf/tape.hpp"

namespace distspec::etf {
namespace {
using detail::Cursor;
using detail::load32;
using Code = DecodeErrorCode;
}  // namespace

Result<detail::Inflated, DecodeError> detail::inflate_payload(std::span<const std::uint8_t> in, std::size_t at) {
  if (in.size() < 4) return DecodeError{Code::Truncated, at + 1 + in.size()};
  std::uint64_t claimed = load32(in.data());
  std::span<const std::uint8_t> stream = in.subspan(4);
  // deflate cannot expand more than 1032:1, so a larger claim cannot be met: refuse it before
  // allocating (OTP fails on the size mismatch after inflating).
  if (claimed == 0 || claimed > stream.size() * 1032 + 64) return DecodeError{Code::Compression, at};
  // The buffer grows with what zlib actually produces (a lying size or a broken stream costs no
  // more than the output it really gives), up to the claim plus one byte to detect a longer output.
  const std::size_t limit = std::size_t(claimed) + 1;
  auto out = std::make_shared<std::vector<std::uint8_t>>(
      std::min<std::size_t>(limit, stream.size() * 4 + 4096));
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return DecodeError{Code::Compression, at};
  z.next_in = const_cast<Bytef*>(stream.data());
  z.avail_in = uInt(std::min<std::size_t>(stream.size(), UINT32_MAX));
  z.next_out = out->data();
  z.avail_out = uInt(out->size());
  int rc;
  for (;;) {
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK || z.avail_out > 0 || out->size() == limit) break;
    const std::size_t done = out->size();
    out->resize(std::min(limit, 2 * done));
    z.next_out = out->data() + done;
    z.avail_out = uInt(out->size() - done);
  }
  std::size_t produced = z.total_out, consumed = z.total_in;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != claimed) return DecodeError{Code::Compression, at};
  out->resize(claimed);
  return detail::Inflated{std::move(out), consumed};
}


namespace {
const DecodeOptions& default_options() {
  static const DecodeOptions options;
  return options;
}
}  // namespace

Result<Decoded, DecodeError> decode(std::span<const std::uint8_t> bytes) {
  return decode(bytes, default_options());
}
Result<Term, DecodeError> decode_exact(std::span<const std::uint8_t> bytes) {
  return decode_exact(bytes, default_options());
}
Result<Decoded, DecodeError> decode_body(std::span<const std::uint8_t> bytes) {
  return decode_body(bytes, default_options());
}
Result<std::size_t, DecodeError> validate(std::span<const std::uint8_t> bytes) {
  return validate(bytes, default_options());
}
Result<TermTape, DecodeError> decode_tape(std::span<const std::uint8_t> bytes) {
  return decode_tape(bytes, default_options());
}

std::string_view to_string(DecodeErrorCode code) {
  switch (code) {
    case Code::Truncated: return "truncated";
    case Code::BadVersion: return "bad version byte (expected 131)";
    case Code::UnknownTag: return "unknown tag";
    case Code::BadAtom: return "bad atom";
    case Code::BadFloat: return "bad float";
    case Code::BadBitstring: return "bad bitstring bit count";
    case Code::BadCreation: return "bad creation";
    case Code::BadReference: return "bad reference";
    case Code::BadNodeName: return "bad node or number in pid/port";
    case Code::BadFun: return "bad fun";
    case Code::DuplicateMapKey: return "duplicate map key";
    case Code::BigTooLarge: return "bignum too large";
    case Code::Compression: return "bad compressed data";
    case Code::UnsafeAtom: return "unsafe: would create an atom or refer to an unknown export";
    case Code::TooDeep: return "nested too deep";
    case Code::TooLarge: return "count larger than the input can hold";
    case Code::TrailingBytes: return "trailing bytes after the term";
  }
  return "unknown error";
}

Result<Decoded, DecodeError> decode(std::span<const std::uint8_t> bytes,
                                    const DecodeOptions& options) {
  TermTape tape;
  auto used = decode_tape_into(tape, bytes, options);
  if (!used) return used.error();
  return Decoded{tape.root().to_term(options.binary_views), used.value()};
}

Result<Term, DecodeError> decode_exact(std::span<const std::uint8_t> bytes,
                                       const DecodeOptions& options) {
  auto decoded = decode(bytes, options);
  if (!decoded) return decoded.error();
  if (decoded->used != bytes.size()) return DecodeError{Code::TrailingBytes, decoded->used};
  return std::move(decoded->term);
}

Result<Decoded, DecodeError> decode_body(std::span<const std::uint8_t> bytes,
                                         const DecodeOptions& options) {
  TermTape tape;
  auto used = decode_tape_body_into(tape, bytes, options);
  if (!used) return used.error();
  return Decoded{tape.root().to_term(options.binary_views), used.value()};
}

Result<std::size_t, DecodeError> validate(std::span<const std::uint8_t> bytes,
                                          const DecodeOptions& options) {
  if (bytes.size() >= 2 && bytes[0] == tag::kVersion && bytes[1] != tag::kCompressed) {
    Cursor c{bytes.data(), bytes.size(), 1, 0, &options};  // the common case, without a Term
    if (!detail::skip_term(c)) return c.error;
    return c.pos;
  }
  // COMPRESSED, or not even a version byte: the tape decides (and inflates).
  TermTape tape;
  return decode_tape_into(tape, bytes, options);
}

}  // namespace distspec::etf
