// The term-text parser's tokens: atoms, strings and their escapes, integers (any base, any size)
// and floats, and the plain integer fields of #Pid<...> and friends.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "text_parser.hpp"

namespace distspec::etf::text_detail {
namespace {

// Erlang integer text (digits in `base`, no sign, no separators) to a Term.
Term integer_from_digits(std::string_view digits, unsigned base, bool negative) {
  // Little-endian 32-bit limbs; digits are taken in chunks so each step is one multiply-add pass.
  unsigned chunk_digits = 1;
  std::uint64_t chunk_scale = base;
  while (chunk_scale * base <= 0xFFFFFFFFull) chunk_scale *= base, ++chunk_digits;
  std::vector<std::uint32_t> limbs;
  auto digit_value = [](char c) -> unsigned {
    if (c >= '0' && c <= '9') return unsigned(c - '0');
    if (c >= 'a' && c <= 'z') return unsigned(c - 'a' + 10);
    return unsigned(c - 'A' + 10);
  };
  for (std::size_t pos = 0; pos < digits.size();) {
    std::size_t take = std::min<std::size_t>(chunk_digits, digits.size() - pos);
    std::uint64_t scale = 1, chunk = 0;
    for (std::size_t i = 0; i < take; ++i) {
      chunk = chunk * base + digit_value(digits[pos + i]);
      scale *= base;
    }
    pos += take;
    std::uint64_t carry = chunk;
    for (auto& limb : limbs) {
      std::uint64_t cur = std::uint64_t(limb) * scale + carry;
      limb = std::uint32_t(cur);
      carry = cur >> 32;
    }
    if (carry) limbs.push_back(std::uint32_t(carry));
  }
  std::vector<std::uint8_t> magnitude;
  magnitude.reserve(limbs.size() * 4);
  for (std::uint32_t limb : limbs)
    for (int i = 0; i < 4; ++i) magnitude.push_back(std::uint8_t(limb >> (8 * i)));
  return Term::big_integer(negative, std::move(magnitude));
}

}  // namespace

// ---- atoms
std::string Parser::bare_atom_name() {
  std::string name;
  std::size_t start = pos_;
  std::size_t count = 0;
  for (;;) {
    if (at_end()) break;
    std::size_t length;
    char32_t c = current(length);
    if (count == 0 ? !is_atom_start_char(c) : !is_atom_name_char(c)) break;
    append_utf8(name, c);
    pos_ += length;
    ++count;
  }
  if (count == 0) fail("expected an atom");
  if (count > kMaxAtomCharacters) fail_at(start, "atom longer than 255 characters");
  return name;
}

Term Parser::bare_atom_term() {
  std::size_t start = pos_;
  std::string name = bare_atom_name();
  if (name == "fun") return export_fun();
  std::u32string chars;
  for (char c : name) chars += char32_t(static_cast<unsigned char>(c));
  if (is_reserved_word(chars))
    fail_at(start, "'" + name + "' is a reserved word: write it quoted to mean the atom");
  return Term::atom(name);
}

std::vector<char32_t> Parser::quoted_characters(char quote) {
  std::size_t start = pos_;
  ++pos_;  // the opening quote
  std::vector<char32_t> out;
  for (;;) {
    if (at_end())
      fail_at(start, quote == '"' ? "unterminated string" : "unterminated quoted atom");
    char32_t c = next_char();
    if (c == char32_t(quote)) return out;
    out.push_back(c == '\\' ? escape() : c);
  }
}

// After a backslash: Erlang's escape sequences.
char32_t Parser::escape() {
  std::size_t start = pos_ - 1;
  if (at_end()) fail("unterminated escape sequence");
  char c = peek();
  if (c >= '0' && c <= '7') {
    char32_t v = 0;
    for (int i = 0; i < 3 && peek() >= '0' && peek() <= '7'; ++i)
      v = v * 8 + char32_t(text_[pos_++] - '0');
    return v;
  }
  if (c == 'x') {
    ++pos_;
    std::uint64_t v = 0;
    if (peek() == '{') {
      ++pos_;
      std::size_t digits = 0;
      while (std::isxdigit(static_cast<unsigned char>(peek()))) {
        v = v * 16 + hex_value(text_[pos_++]);
        if (v > kMaxCodePoint) fail_at(start, "\\x{...} beyond U+10FFFF");
        ++digits;
      }
      if (digits == 0 || peek() != '}') fail_at(start, "expected \\x{HEX}");
      ++pos_;
    } else {
      for (int i = 0; i < 2; ++i) {
        if (!std::isxdigit(static_cast<unsigned char>(peek()))) fail_at(start, "expected \\xHH");
        v = v * 16 + hex_value(text_[pos_++]);
      }
    }
    if (v >= 0xD800 && v <= 0xDFFF) fail_at(start, "\\x{...} names a surrogate");
    return char32_t(v);
  }
  if (c == '^') {
    ++pos_;
    return next_char() & 31;
  }
  char32_t e = next_char();
  switch (e) {
    case 'b': return 8;
    case 'd': return 127;
    case 'e': return 27;
    case 'f': return 12;
    case 'n': return 10;
    case 'r': return 13;
    case 's': return 32;
    case 't': return 9;
    case 'v': return 11;
    default: return e;  // \\ \' \" and any other character stand for themselves
  }
}

// ---- numbers
// Digits of `base` with single underscores between them (1_000); returns them without '_'.
std::string Parser::digits_in_base(unsigned base) {
  std::string out;
  auto valid = [&](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    unsigned v = std::isdigit(u) ? unsigned(c - '0')
                 : std::isalpha(u) ? unsigned(std::tolower(u) - 'a' + 10) : 99;
    return v < base;
  };
  while (!at_end()) {
    if (valid(peek())) {
      out += peek();
      ++pos_;
    } else if (peek() == '_' && !out.empty() && valid(peek(1))) {
      ++pos_;
    } else {
      break;
    }
  }
  return out;
}

Term Parser::number() {
  std::size_t start = pos_;
  bool negative = false;
  if (peek() == '-' || peek() == '+') {
    negative = peek() == '-';
    ++pos_;
    skip_space();
  }
  if (peek() == '$') {
    ++pos_;
    if (at_end()) fail("expected a character after $");
    char32_t c = next_char();
    if (c == '\\') c = escape();
    return Term::integer(negative ? -std::int64_t(c) : std::int64_t(c));
  }
  if (!is_digit(peek())) fail_at(start, "expected a number");
  std::string digits = digits_in_base(10);
  if (peek() == '#') {
    unsigned base = digits.size() <= 2 ? unsigned(std::stoul(digits)) : 0;
    if (base < 2 || base > 36) fail_at(start, "the base of an integer must be 2..36");
    ++pos_;
    std::string based = digits_in_base(base);
    if (based.empty()) fail("expected digits in base " + std::to_string(base));
    return integer_from_digits(based, base, negative);
  }
  if (peek() == '.' && is_digit(peek(1))) {
    ++pos_;
    std::string text = digits + "." + digits_in_base(10);
    if (peek() == 'e' || peek() == 'E') {
      std::size_t save = pos_;
      ++pos_;
      std::string exponent = "e";
      if (peek() == '-' || peek() == '+') exponent += text_[pos_++];
      std::string exp_digits = digits_in_base(10);
      if (exp_digits.empty()) pos_ = save;  // "1.0e" is 1.0 followed by an atom e
      else text += exponent + exp_digits;
    }
    return Term::float_(float_value(text, negative, start));
  }
  return integer_from_digits(digits, 10, negative);
}

double Parser::float_value(const std::string& text, bool negative, std::size_t start) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) {
    // Underflow reads as 0.0 (as erl_scan does); overflow is an error.
    auto e = text.find_first_of("eE");
    if (e == std::string::npos || text[e + 1] != '-') fail_at(start, "float out of range");
    v = 0.0;
  } else if (ec != std::errc() || end != text.data() + text.size()) {
    fail_at(start, "malformed float");
  }
  return negative ? -v : v;
}

// A plain decimal integer (no sign, no base), for the fields of #Pid<...> and friends.
std::uint64_t Parser::unsigned_field(std::uint64_t max, std::string_view what) {
  skip_space();
  std::size_t start = pos_;
  if (!is_digit(peek())) fail("expected " + std::string(what));
  std::uint64_t v = 0;
  while (is_digit(peek())) {
    unsigned d = unsigned(text_[pos_++] - '0');
    if (v > (max - d) / 10) fail_at(start, std::string(what) + " out of range");
    v = v * 10 + d;
  }
  return v;
}

}  // namespace distspec::etf::text_detail
