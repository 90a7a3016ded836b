// The text form of terms (documented in harness/etf/README.md, "Text form").
//
// format() prints a term exactly as OTP 25 `io:format("~w", [T])` writes it to a -noshell
// standard_io, byte for byte, for every term that holds no pid, port, reference or local fun.
// That output is Latin-1: characters up to 255 are one byte each, atom characters above 255 are
// written as \x{...} escapes (as ~w does). Maps of at most 32 keys print in map-key order (as BEAM
// holds them); larger maps print their pairs in the reverse of the order the Map holds, because
// BEAM's ~w walks its hash trie in the reverse of the order term_to_binary writes it: a map
// decoded from BEAM's bytes prints as BEAM prints it. Pids, ports, references and local funs
// print in forms of our own that parse() reads back:
//   #Pid<'node'.ID.SERIAL.CREATION>          #Port<'node'.ID.CREATION>
//   #Ref<'node'.CREATION.W1.W2...>  (ID words in wire order)
//   #Fun<'module'.OLD_INDEX.OLD_UNIQ.INDEX.ARITY.16#UNIQ,PID,[FREE,...]>
// and external funs as BEAM prints them: fun m:f/2.
// format() never recurses on the C++ stack, so any term the decoder builds can be printed.
//
// parse() reads Erlang term syntax: integers (-1, 16#ff, 2#101, $a, $\n, 1_000, bignums),
// floats (1.0, -0.0, 1.5e-3), atoms (bare, or quoted with Erlang's escapes), strings "..." as
// lists of code points (adjacent strings concatenate), binaries <<1,2:3,"abc",1.5/float,
// "é"/utf8, -1:16/little-signed, <<1:3>>/bits>>, lists, improper lists [a|b], tuples,
// maps #{K => V} (a repeated key keeps its last value, as Erlang does), the forms above, `%`
// comments, and one optional trailing `.`. Nesting is limited to kMaxParseDepth.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "distspec/etf/result.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::etf {

std::string format(const Term& term);

// How parse() turns bytes into characters.
enum class TextEncoding {
  Auto,    // UTF-8 if the whole text is valid UTF-8, else Latin-1 (one byte, one character)
  Utf8,    // invalid UTF-8 is a ParseError
  Latin1,  // what format() writes: parse(format(t), Latin1) == t for every t
};

// Containers nested deeper than this are a ParseError. The parser recurses: 10 000 levels of
// tuples overflowed an 8 MiB stack under ASan (found by the etf_text campaign), 1 000 stay far
// below it, and terms typed as text are never that deep.
inline constexpr std::size_t kMaxParseDepth = 1'000;
// A text's explicitly sized binary segments (<<-1:N>>, <<"ab":N>>) may ask for this many bits in
// all: 15 characters such as <<-1:69166160>> made an 8 MiB binary that took 28 s to print and
// parse again under ASan (etf_text campaign); under the 1 MiB budget that followed, 14 such
// characters (<<-1:6932320>>) still took 10-20 s on a busy machine. Literal bytes (<<1,2,...>>)
// do not count.
inline constexpr std::uint64_t kMaxSizedSegmentBits = std::uint64_t(1) << 19;  // 64 KiB

struct ParseError {
  std::string message;  // what was expected or what is wrong
  std::size_t offset;   // byte offset in the text
  std::size_t line;     // 1-based
  std::size_t column;   // 1-based, in characters
};

// Auto reads format()'s output back exactly unless a quoted atom holds Latin-1 characters whose
// bytes also form valid UTF-8 (such as 'Ã©'); pass Latin1 to read format()'s output exactly.
Result<Term, ParseError> parse(std::string_view text, TextEncoding encoding = TextEncoding::Auto);

}  // namespace distspec::etf
