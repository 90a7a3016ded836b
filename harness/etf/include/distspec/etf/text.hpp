// The text form of terms.
//
// format() prints a term exactly as `io:format("~w", [T])` does on OTP 25 (byte for byte) for
// every term that holds no pid, port, reference or fun. Those print in a documented form of our
// own (see harness/etf/README.md) that parse() reads back.
// parse() reads Erlang term syntax (integers in any base, floats, atoms quoted or not, strings,
// binaries <<...>>, lists, improper lists, tuples, maps #{}, and the forms above).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "distspec/etf/result.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::etf {

std::string format(const Term& term);

struct ParseError {
  std::string message;  // what was expected
  std::size_t offset;   // byte offset in the text
  std::size_t line;     // 1-based
  std::size_t column;   // 1-based
};

Result<Term, ParseError> parse(std::string_view text);

}  // namespace distspec::etf
