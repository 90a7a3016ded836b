#include "distspec/etf/term.hpp"

#include <cstring>
#include <limits>

namespace distspec::etf {

Term Term::big_integer(bool negative, std::vector<std::uint8_t> magnitude) {
  while (!magnitude.empty() && magnitude.back() == 0) magnitude.pop_back();
  if (magnitude.empty()) return integer(0);
  if (magnitude.size() <= 8) {
    std::uint64_t m = 0;
    for (std::size_t i = magnitude.size(); i-- > 0;) m = (m << 8) | magnitude[i];
    if (!negative && m <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
      return integer(std::int64_t(m));
    if (negative && m <= std::uint64_t(std::numeric_limits<std::int64_t>::max()) + 1)
      return integer(m == (std::uint64_t(1) << 63) ? std::numeric_limits<std::int64_t>::min()
                                                   : -std::int64_t(m));
  }
  return Term(BigInteger{negative, std::move(magnitude)});
}

Term Term::list(std::vector<Term> elements, Term tail) {
  if (elements.empty()) return tail;
  return Term(List{std::move(elements), std::make_shared<const Term>(std::move(tail))});
}

Term Term::binary_copy(std::span<const std::uint8_t> bytes) {
  auto storage = std::make_shared<std::vector<std::uint8_t>>(bytes.begin(), bytes.end());
  Bitstring b;
  b.data = storage->data();
  b.byte_size = storage->size();
  b.owner = std::move(storage);
  return Term(std::move(b));
}

Term Term::binary_view(std::span<const std::uint8_t> bytes) {
  Bitstring b;
  b.data = bytes.data();
  b.byte_size = bytes.size();
  return Term(std::move(b));
}

Term Term::string(std::string_view bytes) {
  std::vector<Term> elements;
  elements.reserve(bytes.size());
  for (unsigned char c : bytes) elements.push_back(integer(c));
  return list(std::move(elements));
}

}  // namespace distspec::etf
