#include "support/etf_invariants.hpp"

#include <algorithm>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/tape.hpp"
#include "support/etf_canonical.hpp"
#include "support/fuzz_check.hpp"

namespace distspec::fuzz {

void check_decode_invariants(std::span<const std::uint8_t> input) {
  auto decoded = etf::decode(input);
  auto validated = etf::validate(input);
  FUZZ_CHECK(decoded.ok() == validated.ok());
  auto exact = etf::decode_exact(input);
  FUZZ_CHECK(exact.ok() == (decoded.ok() && decoded->used == input.size()));
  // The tape (fresh, and reused after another input) gives decode()'s verdict, error and bytes
  // used, and to_term() gives its term.
  auto tape = etf::decode_tape(input);
  FUZZ_CHECK(tape.ok() == decoded.ok());
  static etf::TermTape reused;
  auto reused_used = etf::decode_tape_into(reused, input, {});
  FUZZ_CHECK(reused_used.ok() == decoded.ok());
  if (!decoded.ok()) {
    FUZZ_CHECK(tape.error().code == decoded.error().code && tape.error().offset == decoded.error().offset);
    FUZZ_CHECK(reused_used.error().code == decoded.error().code &&
               reused_used.error().offset == decoded.error().offset);
    return;
  }
  FUZZ_CHECK(decoded->used <= input.size() && validated.value() == decoded->used);
  FUZZ_CHECK(tape->used() == decoded->used && reused_used.value() == decoded->used);
  FUZZ_CHECK(tape->root().to_term() == decoded->term && reused.root().to_term() == decoded->term);

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
