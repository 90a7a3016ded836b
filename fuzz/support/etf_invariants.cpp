#include "support/etf_invariants.hpp"

#include <algorithm>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "support/etf_canonical.hpp"
#include "support/fuzz_check.hpp"

namespace distspec::fuzz {

void check_decode_invariants(std::span<const std::uint8_t> input) {
  auto decoded = etf::decode(input);
  auto validated = etf::validate(input);
  FUZZ_CHECK(decoded.ok() == validated.ok());
  auto exact = etf::decode_exact(input);
  FUZZ_CHECK(exact.ok() == (decoded.ok() && decoded->used == input.size()));
  if (!decoded.ok()) return;
  FUZZ_CHECK(decoded->used <= input.size() && validated.value() == decoded->used);

  etf::DecodeOptions views;
  views.binary_views = true;
  auto viewed = etf::decode(input, views);
  FUZZ_CHECK(viewed.ok() && viewed->term == decoded->term);

  const auto encoded = etf::encode(decoded->term);
  auto again = etf::decode_exact(encoded);
  FUZZ_CHECK(again.ok() && again.value() == decoded->term);

  if (input.size() >= 2 && input[1] == 80) {
    if (auto plain = inflate_envelope(input); plain && is_t2b_canonical(*plain))
      FUZZ_CHECK(std::ranges::equal(encoded, *plain));
    etf::EncodeOptions compressed;
    compressed.compression_level = 6;
    auto unzipped = etf::decode_exact(etf::encode(decoded->term, compressed));
    FUZZ_CHECK(unzipped.ok() && unzipped.value() == decoded->term);
  } else if (is_t2b_canonical(input)) {
    FUZZ_CHECK(std::ranges::equal(encoded, input));
  }
}

}  // namespace distspec::fuzz
