// The tape builder's check that a map holds no two exactly equal keys, run when the map closes.
#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "tape_builder.hpp"

namespace distspec::etf::detail {

namespace {
// exactly_equal() for the Terms of map keys the tape cannot compare in place.
bool has_duplicate_terms(std::vector<Term>& keys) {
  const std::size_t n = keys.size();
  if (n <= 16) {
    for (std::size_t i = 1; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (exactly_equal(keys[i], keys[j])) return true;
    return false;
  }
  std::sort(keys.begin(), keys.end(), [](const Term& a, const Term& b) { return map_key_less(a, b); });
  for (std::size_t i = 1; i < n; ++i)
    if (exactly_equal(keys[i - 1], keys[i])) return true;
  return false;
}
}  // namespace

[[gnu::always_inline]] inline bool TapeBuilder::key_form(const TapeEntry& key, detail::KeyForm& f) const {
  const K key_kind = K(key.kind);
  // Tests ordered by how common the key is (an if-chain predicts better here than a jump table).
  if (key_kind == K::Atom || (key_kind == K::Bitstring && (key.flags & tape::kBitsMask) == 8)) {
    const std::uint8_t* p = tape::data_of(side_, key);
    // Keys in the input (not the side buffer or the atom cache) may be read 8 bytes at a time
    // up to its end.
    const std::uint8_t* end = c_.data + c_.size;
    const bool in_input = !(key.flags & tape::kInSide) && p >= c_.data && p < end;
    f = detail::bytes_key_form(key_kind == K::Atom ? 'a' : 'b', p, key.count, in_input ? end : nullptr);
  } else if (key_kind == K::Integer) {
    f = detail::KeyForm{'i', key.payload, nullptr, 0};
  } else if (key_kind == K::Float) {
    f = detail::KeyForm{'f', detail::float_key_bits(std::bit_cast<double>(key.payload)), nullptr, 0};
  } else if (key_kind == K::Nil) {
    f = detail::KeyForm{'n', 0, nullptr, 0};
  } else {
    return false;
  }
  return true;
}

bool TapeBuilder::keys_rise(std::uint32_t map, std::uint32_t pairs) const {
  // BEAM writes every map of up to 32 keys in key order, and most maps have keys of one kind:
  // keys that strictly rise are distinct, checked against the previous one as they are walked.
  // Atoms and binaries compare by their first 8 bytes (big-endian, zero-padded) in one word,
  // then, if equal, by the rest. Any other case is left to the general path.
  const TapeEntry* e = out_;
  const auto input = reinterpret_cast<std::uintptr_t>(c_.data);
  // A key at `at` may be read 8 bytes at a time when at - input <= last_word (unsigned: a key
  // outside the input wraps around to a large value).
  const std::uintptr_t last_word = c_.size >= 8 ? c_.size - 8 : 0;
  const bool input_has_word = c_.size >= 8;
  const std::uint8_t first_kind = e[map + 1].kind;
  std::uint64_t previous = 0;
  const std::uint8_t* previous_bytes = nullptr;
  std::uint32_t previous_size = 0;
  std::uint32_t k = map + 1;
  for (std::uint32_t i = 0; i < pairs; ++i) {
    const TapeEntry& key = e[k];
    if (key.kind != first_kind) return false;
    if (key.kind == kind(K::Integer)) {
      if (i > 0 && std::int64_t(key.payload) <= std::int64_t(previous)) return false;
      previous = key.payload;
    } else if ((key.kind == kind(K::Atom) && key.flags == 0) ||
               (key.kind == kind(K::Bitstring) && key.flags == 8)) {  // (neither in the side buffer)
      const auto* p = reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(key.payload));
      const std::uint32_t n = key.count;
      const auto at = reinterpret_cast<std::uintptr_t>(p);
      std::uint64_t head = 0;
      if (n >= 8 || (input_has_word && at - input <= last_word)) {
        std::memcpy(&head, p, 8);
        head = __builtin_bswap64(head) & (n >= 8 ? ~std::uint64_t(0) : ~(~std::uint64_t(0) >> (8 * n)));
      } else {
        for (std::uint32_t b = 0; b < n; ++b) head |= std::uint64_t(p[b]) << (56 - 8 * b);
      }
      if (i > 0 && head <= previous) {
        if (head < previous) return false;
        const std::uint32_t common = std::min(n, previous_size);
        const int r = common <= 8 ? 0 : std::memcmp(previous_bytes + 8, p + 8, common - 8);
        if (r > 0 || (r == 0 && previous_size >= n)) return false;
      }
      previous = head;
      previous_bytes = p;
      previous_size = n;
    } else {
      return false;
    }
    k = tape::next_index(e, k + 1);  // past the value
  }
  return true;
}

bool TapeBuilder::duplicate_keys(std::uint32_t map) {
  const TapeEntry* e = out_;
  const std::uint32_t pairs = e[map].count;
  if (keys_rise(map, pairs)) return false;
  // Not rising, or keys of several kinds: every key's form, then has_duplicate_forms().
  std::uint32_t k = map + 1;
  detail::KeyForm f{};
  forms_.clear();
  bool simple = true;
  for (std::uint32_t i = 0; i < pairs; ++i) {
    if (!(simple = key_form(e[k], f))) break;
    forms_.push_back(f);
    k = tape::next_index(e, k + 1);
  }
  if (simple) return detail::has_duplicate_forms(forms_.data(), forms_.data() + forms_.size());
  // Rare: compound or bignum keys. Compare built Terms (views: they die before the tape).
  std::vector<Term> keys;
  keys.reserve(pairs);
  k = map + 1;
  for (std::uint32_t i = 0; i < pairs; ++i) {
    keys.push_back(TapeAccess::ref(tape_, k).to_term(true));
    k = tape::next_index(e, tape::next_index(e, k));
  }
  return has_duplicate_terms(keys);
}

bool TapeBuilder::check_map_keys(const Open& o) {
  return !duplicate_keys(o.index) || c_.fail(Code::DuplicateMapKey, o.at);
}

}  // namespace distspec::etf::detail
