// etf_text: any text into the term parser. Invariant: parse -> format -> parse is a fixed point
// (the second parse, of format()'s Latin-1 text, succeeds, gives an =:= term, and prints the same text).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "distspec/etf/text.hpp"
#include "support/fuzz_check.hpp"

using namespace distspec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto first = etf::parse({reinterpret_cast<const char*>(data), size});
  if (!first.ok()) return 0;
  const std::string printed = etf::format(first.value());
  // format() writes Latin-1 (as erl does to a -noshell stdout), so its output is read back as such.
  auto second = etf::parse(printed, etf::TextEncoding::Latin1);
  if (!second.ok()) std::fprintf(stderr, "reparse failed: %s at %zu in: %s\n",
                                 second.error().message.c_str(), second.error().offset, printed.c_str());
  FUZZ_CHECK(second.ok());
  FUZZ_CHECK(second.value() == first.value());
  FUZZ_CHECK(etf::format(second.value()) == printed);
  return 0;
}
