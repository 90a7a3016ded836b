#include "support/etf_invariants.hpp"

#include <algorithm>
#include <vector>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/tape.hpp"
#include "support/etf_canonical.hpp"
#include "support/fuzz_check.hpp"

namespace distspec::fuzz {
namespace {
const etf::DecodeOptions& default_options() {
  static const etf::DecodeOptions options;
  return options;
}
}  // namespace

void check_round_trip(std::span<const std::uint8_t> input) {
  // Kept across inputs so that a run allocates no tape per input (most inputs are rejected).
  static etf::TermTape tape;
  auto used = etf::decode_tape_into(tape, input, default_options());
  if (!used.ok()) return;
  FUZZ_CHECK(used.value() <= input.size());
  const etf::Term term = tape.root().to_term();

  const std::vector<std::uint8_t> encoded = etf::encode(term);
  auto again = etf::decode_tape_into(tape, encoded, default_options());
  FUZZ_CHECK(again.ok() && again.value() == encoded.size() && tape.root().to_term() == term);

  if (input.size() >= 2 && input[1] == 80) {
    if (auto plain = inflate_envelope(input); plain && is_t2b_canonical(*plain))
      FUZZ_CHECK(std::ranges::equal(encoded, *plain));
    etf::EncodeOptions compressed;
    compressed.compression_level = 6;
    auto unzipped = etf::decode_exact(etf::encode(term, compressed));
    FUZZ_CHECK(unzipped.ok() && unzipped.value() == term);
  } else if (!std::ranges::equal(encoded, input)) {
    // The same as "canonical implies equal", without walking inputs that re-encode identically.
    FUZZ_CHECK(!is_t2b_canonical(input));
  }
}

void check_model_agreement(std::span<const std::uint8_t> input) {
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
  auto reused_used = etf::decode_tape_into(reused, input, default_options());
  FUZZ_CHECK(reused_used.ok() == decoded.ok());
  if (!decoded.ok()) {
    FUZZ_CHECK(tape.error().code == decoded.error().code && tape.error().offset == decoded.error().offset);
    FUZZ_CHECK(reused_used.error().code == decoded.error().code &&
               reused_used.error().offset == decoded.error().offset);
    return;
  }
  FUZZ_CHECK(decoded->used <= input.size() && validated.value() == decoded->used);
  FUZZ_CHECK(!exact.ok() || exact.value() == decoded->term);
  FUZZ_CHECK(tape->used() == decoded->used && reused_used.value() == decoded->used);
  FUZZ_CHECK(tape->root().to_term() == decoded->term && reused.root().to_term() == decoded->term);

  etf::DecodeOptions views;
  views.binary_views = true;
  auto viewed = etf::decode(input, views);
  FUZZ_CHECK(viewed.ok() && viewed->term == decoded->term);
}

void check_decode_invariants(std::span<const std::uint8_t> input) {
  check_round_trip(input);
  check_model_agreement(input);
}

}  // namespace distspec::fuzz
