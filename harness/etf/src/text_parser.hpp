// The term-text parser's state and grammar, shared by its two files: text_parse.cpp (the document,
// containers, maps, binaries, pids/ports/refs/funs, and parse()) and text_parse_tokens.cpp (atoms,
// strings and escapes, numbers). Not public; see text.hpp for what is accepted.
//
// A recursive-descent parser over characters. Errors unwind as an internal exception (Failure)
// that parse() turns into a ParseError value; nothing is thrown to callers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "distspec/etf/text.hpp"
#include "text_bits.hpp"
#include "text_chars.hpp"

namespace distspec::etf::text_detail {

inline constexpr std::size_t kMaxAtomCharacters = 255;  // as BEAM (MAX_ATOM_CHARACTERS)

struct Failure {
  std::string message;
  std::size_t offset;
};

class Parser {
 public:
  Parser(std::string_view text, bool utf8) : text_(text), utf8_(utf8) {}

  Term parse_document();

 private:
  // ---- characters
  bool at_end() const { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  [[noreturn]] void fail(std::string message) const { fail_at(pos_, std::move(message)); }
  [[noreturn]] static void fail_at(std::size_t offset, std::string message) {
    throw Failure{std::move(message), offset};
  }

  // The character at the cursor and its length in bytes.
  char32_t current(std::size_t& length) const;
  char32_t next_char() {
    std::size_t length;
    char32_t c = current(length);
    pos_ += length;
    return c;
  }

  void skip_space();

  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  void expect(std::string_view token, std::string_view context) {
    if (!accept(token))
      fail("expected '" + std::string(token) + "' " + std::string(context));
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // ---- terms
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxParseDepth)
        parser.fail("nesting deeper than " + std::to_string(kMaxParseDepth));
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  Term term();

  Term list();

  Term tuple();

  Term hash_form() {
    if (text_.substr(pos_, 2) == "#{") return map();
    if (accept("#Pid<")) return pid_form();
    if (accept("#Port<")) return port_form();
    if (accept("#Ref<")) return reference_form();
    if (accept("#Fun<")) return fun_form();
    fail("expected #{, #Pid<, #Port<, #Ref< or #Fun<");
  }

  Term map();


  // ---- atoms
  std::string bare_atom_name();

  Term bare_atom_term();

  std::string atom_name() {
    skip_space();
    return peek() == '\'' ? quoted_atom() : bare_atom_name();
  }

  std::string quoted_atom() {
    std::size_t start = pos_;
    std::vector<char32_t> chars = quoted_characters('\'');
    if (chars.size() > kMaxAtomCharacters) fail_at(start, "atom longer than 255 characters");
    std::string name;
    for (char32_t c : chars) append_utf8(name, c);
    return name;
  }

  // "..." with adjacent strings concatenated, as code points.
  std::vector<Term> string_characters() {
    std::vector<Term> out;
    do {
      for (char32_t c : quoted_characters('"')) out.push_back(Term::integer(c));
      skip_space();
    } while (peek() == '"');
    return out;
  }

  std::vector<char32_t> quoted_characters(char quote);

  // After a backslash: Erlang's escape sequences.
  char32_t escape();

  static unsigned hex_value(char c) {
    if (c >= '0' && c <= '9') return unsigned(c - '0');
    return unsigned(std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
  }

  // ---- numbers
  // Digits of `base` with single underscores between them (1_000); returns them without '_'.
  std::string digits_in_base(unsigned base);

  Term number();

  static double float_value(const std::string& text, bool negative, std::size_t start);

  // A plain decimal integer (no sign, no base), for the fields of #Pid<...> and friends.
  std::uint64_t unsigned_field(std::uint64_t max, std::string_view what);
  std::int64_t signed_field(std::string_view what) {
    skip_space();
    bool negative = accept("-");
    std::uint64_t max = std::uint64_t(INT64_MAX) + (negative ? 1 : 0);
    std::uint64_t v = unsigned_field(max, what);
    return negative ? std::int64_t(0 - v) : std::int64_t(v);
  }

  // ---- binaries
  Term binary();
  Segment::Type segment_type_words(Segment& segment);

  // ---- pids, ports, references, funs
  Term pid_form();

  Term port_form();

  Term reference_form();

  Term fun_form();

  Term export_fun();

  std::string_view text_;
  bool utf8_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::uint64_t sized_bits_ = 0;  // what explicitly sized segments asked for so far
};

}  // namespace distspec::etf::text_detail
