// The encoder's entry points: term_to_binary/1,2 of OTP 25, byte for byte (term-format.md §4),
// with OTP's compression rule. The encoder itself is in encoder.hpp, encode_walk.cpp and
// encode_rare.cpp.
#include "distspec/etf/encode.hpp"

#include <zlib.h>

#include "encoder.hpp"
#include "etf_tags.hpp"

namespace distspec::etf {

using detail::Encoder;
using detail::Scratch;

void encode_body(std::vector<std::uint8_t>& out, const Term& term, const EncodeOptions& options) {
  Encoder(out, options).run(term);
}

std::vector<std::uint8_t> encode(const Term& term, const EncodeOptions& options) {
  thread_local Scratch thread_scratch;
  thread_local bool in_use = false;  // an atom_cache_index callback may itself call encode()
  Scratch own_scratch;
  Scratch& scratch = in_use ? own_scratch : thread_scratch;
  struct Use {
    bool& flag;
    bool was;
    ~Use() { flag = was; }
  } use{in_use, in_use};
  in_use = true;
  std::vector<std::uint8_t> out;
  const std::size_t size = Encoder(scratch, out, options).run(term, true);
  if (out.empty()) out.assign(scratch.data.get(), scratch.data.get() + size);
  int level = options.compression_level.value_or(0);
  if (level == 0) return out;
  // As OTP: compress the body, and keep the result only if it is at most body - 5 bytes (so the
  // 6-byte COMPRESSED header never makes the output longer).
  std::size_t body = out.size() - 1;
  if (body < 5) return out;
  uLongf capacity = compressBound(uLong(body));
  std::vector<std::uint8_t> packed(6 + capacity);
  uLongf packed_size = capacity;
  if (compress2(packed.data() + 6, &packed_size, out.data() + 1, uLong(body), level) != Z_OK ||
      packed_size > body - 5)
    return out;
  packed[0] = tag::kVersion;
  packed[1] = tag::kCompressed;
  packed.resize(6 + packed_size);
  for (int k = 0; k < 4; ++k) packed[2 + k] = std::uint8_t(body >> (24 - 8 * k));
  return packed;
}

}  // namespace distspec::etf
