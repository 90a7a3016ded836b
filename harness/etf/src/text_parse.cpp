// parse(): Erlang term syntax to a Term; see text.hpp for what is accepted.
//
// A recursive-descent parser over characters. Errors unwind as an internal exception that parse()
// turns into a ParseError value; nothing is thrown to callers.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "distspec/etf/text.hpp"
#include "text_bits.hpp"
#include "text_chars.hpp"

namespace distspec::etf {
namespace {

using namespace text_detail;

constexpr std::size_t kMaxAtomCharacters = 255;  // as BEAM (MAX_ATOM_CHARACTERS)

struct Failure {
  std::string message;
  std::size_t offset;
};

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

class Parser {
 public:
  Parser(std::string_view text, bool utf8) : text_(text), utf8_(utf8) {}

  Term parse_document() {
    skip_space();
    if (at_end()) fail("expected a term, found the end of the text");
    Term t = term();
    skip_space();
    if (!at_end() && peek() == '.') {
      ++pos_;
      skip_space();
    }
    if (!at_end()) fail("expected the end of the text after the term");
    return t;
  }

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
  char32_t current(std::size_t& length) const {
    if (at_end()) fail("unexpected end of the text");
    if (!utf8_) {
      length = 1;
      return static_cast<std::uint8_t>(text_[pos_]);
    }
    char32_t cp;
    length = decode_utf8(text_, pos_, cp);
    if (length == 0) fail("invalid UTF-8");
    return cp;
  }
  char32_t next_char() {
    std::size_t length;
    char32_t c = current(length);
    pos_ += length;
    return c;
  }

  void skip_space() {
    while (!at_end()) {
      unsigned char c = static_cast<unsigned char>(peek());
      if (c == '%') {
        while (!at_end() && peek() != '\n') ++pos_;
      } else if (c <= ' ') {
        ++pos_;
      } else {
        return;
      }
    }
  }

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

  Term term() {
    skip_space();
    if (at_end()) fail("expected a term, found the end of the text");
    char c = peek();
    switch (c) {
      case '[': return list();
      case '{': return tuple();
      case '#': return hash_form();
      case '"': return Term::list(string_characters());
      case '\'': return Term::atom(quoted_atom());
      case '$': case '-': case '+': return number();
      case '<':
        if (peek(1) == '<') return binary();
        break;
      default:
        if (is_digit(c)) return number();
    }
    std::size_t length;
    char32_t first = current(length);
    if (is_atom_start_char(first)) return bare_atom_term();
    if ((first >= 'A' && first <= 'Z') || first == '_')
      fail("expected a term, found a variable name (atoms starting with it need quotes)");
    fail("expected a term");
  }

  Term list() {
    DepthGuard guard(*this);
    expect("[", "");
    if (accept("]")) return Term::nil();
    std::vector<Term> elements;
    elements.push_back(term());
    while (accept(",")) elements.push_back(term());
    Term tail;
    if (accept("|")) tail = term();
    expect("]", "to close the list");
    return Term::list(std::move(elements), std::move(tail));
  }

  Term tuple() {
    DepthGuard guard(*this);
    expect("{", "");
    std::vector<Term> elements;
    if (!accept("}")) {
      elements.push_back(term());
      while (accept(",")) elements.push_back(term());
      expect("}", "to close the tuple");
    }
    return Term::tuple(std::move(elements));
  }

  Term hash_form() {
    if (text_.substr(pos_, 2) == "#{") return map();
    if (accept("#Pid<")) return pid_form();
    if (accept("#Port<")) return port_form();
    if (accept("#Ref<")) return reference_form();
    if (accept("#Fun<")) return fun_form();
    fail("expected #{, #Pid<, #Port<, #Ref< or #Fun<");
  }

  Term map() {
    DepthGuard guard(*this);
    expect("#{", "");
    std::vector<std::pair<Term, Term>> pairs;
    if (!accept("}")) {
      do {
        Term key = term();
        expect("=>", "after a map key");
        pairs.emplace_back(std::move(key), term());
      } while (accept(","));
      expect("}", "to close the map");
    }
    pairs = without_repeated_keys(std::move(pairs));
    // format() prints a large map's pairs in the reverse of the order held (BEAM's ~w order for a
    // decoded map); holding them reversed here makes text -> term -> text and BEAM bytes -> text
    // -> term -> bytes both come back unchanged.
    if (pairs.size() > kSmallMapLimit) std::reverse(pairs.begin(), pairs.end());
    return Term::map(std::move(pairs));
  }

  // #{a => 1, a => 2} is #{a => 2}: as BEAM builds a map literal, a repeated key keeps its first
  // spelling and place (this matters for 0.0 and -0.0, one key in OTP 25) and its last value.
  static std::vector<std::pair<Term, Term>> without_repeated_keys(
      std::vector<std::pair<Term, Term>> pairs) {
    std::vector<std::size_t> order(pairs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return map_key_less(pairs[a].first, pairs[b].first);
    });
    std::vector<bool> dropped(pairs.size(), false);
    for (std::size_t run = 0; run < order.size();) {
      std::size_t end = run + 1;  // [run, end) hold equal keys, in text order (the sort is stable)
      while (end < order.size() && !map_key_less(pairs[order[run]].first, pairs[order[end]].first))
        ++end;
      if (end - run > 1) {
        pairs[order[run]].second = std::move(pairs[order[end - 1]].second);
        for (std::size_t i = run + 1; i < end; ++i) dropped[order[i]] = true;
      }
      run = end;
    }
    std::vector<std::pair<Term, Term>> kept;
    kept.reserve(pairs.size());
    for (std::size_t i = 0; i < pairs.size(); ++i)
      if (!dropped[i]) kept.push_back(std::move(pairs[i]));
    return kept;
  }

  // ---- atoms
  std::string bare_atom_name() {
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

  Term bare_atom_term() {
    std::size_t start = pos_;
    std::string name = bare_atom_name();
    if (name == "fun") return export_fun();
    std::u32string chars;
    for (char c : name) chars += char32_t(static_cast<unsigned char>(c));
    if (is_reserved_word(chars))
      fail_at(start, "'" + name + "' is a reserved word: write it quoted to mean the atom");
    return Term::atom(name);
  }

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

  std::vector<char32_t> quoted_characters(char quote) {
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
  char32_t escape() {
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

  static unsigned hex_value(char c) {
    if (c >= '0' && c <= '9') return unsigned(c - '0');
    return unsigned(std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
  }

  // ---- numbers
  // Digits of `base` with single underscores between them (1_000); returns them without '_'.
  std::string digits_in_base(unsigned base) {
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

  Term number() {
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

  static double float_value(const std::string& text, bool negative, std::size_t start) {
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
  std::uint64_t unsigned_field(std::uint64_t max, std::string_view what) {
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
  Term pid_form() {
    Pid p;
    p.node = Atom{atom_name()};
    expect(".", "after the node name");
    p.id = std::uint32_t(unsigned_field(UINT32_MAX, "the pid id"));
    expect(".", "after the pid id");
    p.serial = std::uint32_t(unsigned_field(UINT32_MAX, "the pid serial"));
    expect(".", "after the pid serial");
    p.creation = std::uint32_t(unsigned_field(UINT32_MAX, "the creation"));
    expect(">", "to close #Pid<");
    return Term::pid(std::move(p));
  }

  Term port_form() {
    Port p;
    p.node = Atom{atom_name()};
    expect(".", "after the node name");
    p.id = unsigned_field(UINT64_MAX, "the port id");
    expect(".", "after the port id");
    p.creation = std::uint32_t(unsigned_field(UINT32_MAX, "the creation"));
    expect(">", "to close #Port<");
    return Term::port(std::move(p));
  }

  Term reference_form() {
    Reference r;
    r.node = Atom{atom_name()};
    expect(".", "after the node name");
    r.creation = std::uint32_t(unsigned_field(UINT32_MAX, "the creation"));
    while (accept(".")) {
      if (r.ids.size() == kMaxReferenceWords)
        fail("a reference has at most " + std::to_string(kMaxReferenceWords) + " words");
      r.ids.push_back(std::uint32_t(unsigned_field(UINT32_MAX, "a reference word")));
    }
    expect(">", "to close #Ref<");
    return Term::reference(std::move(r));
  }

  Term fun_form() {
    DepthGuard guard(*this);
    LocalFun f;
    f.module = Atom{atom_name()};
    expect(".", "after the module name");
    f.old_index = signed_field("the old index");
    expect(".", "after the old index");
    f.old_uniq = signed_field("the old uniq");
    expect(".", "after the old uniq");
    f.index = std::uint32_t(unsigned_field(UINT32_MAX, "the index"));
    expect(".", "after the index");
    f.arity = std::uint8_t(unsigned_field(255, "the arity"));
    expect(".", "after the arity");
    expect("16#", "before the 32 hex digits of the uniq");
    for (auto& byte : f.uniq) {
      for (int half = 0; half < 2; ++half) {
        if (!std::isxdigit(static_cast<unsigned char>(peek()))) fail("expected 32 hex digits");
        byte = std::uint8_t(byte * 16 + hex_value(text_[pos_++]));
      }
    }
    expect(",", "after the uniq");
    f.pid = std::make_shared<const Term>(term());
    expect(",", "after the pid");
    skip_space();
    std::size_t list_start = pos_;
    Term free = term();
    if (free.kind() == Term::Kind::List) {
      const List& l = free.as_list();
      if (l.tail->kind() != Term::Kind::Nil) fail_at(list_start, "expected a proper list");
      f.free_vars = l.elements;
    } else if (free.kind() != Term::Kind::Nil) {
      fail_at(list_start, "expected the list of free variables");
    }
    expect(">", "to close #Fun<");
    return Term::local_fun(std::move(f));
  }

  Term export_fun() {
    ExportFun f;
    f.module = Atom{atom_name()};
    expect(":", "after the module of fun M:F/A");
    f.function = Atom{atom_name()};
    expect("/", "after the function of fun M:F/A");
    f.arity = std::uint32_t(unsigned_field(UINT32_MAX, "the arity"));
    return Term::export_fun(std::move(f));
  }

  std::string_view text_;
  bool utf8_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::uint64_t sized_bits_ = 0;  // what explicitly sized segments asked for so far
};

// <<Segment, ...>>; each segment is Value[:Size][/Types].
Term Parser::binary() {
  DepthGuard guard(*this);
  expect("<<", "");
  BitWriter out;
  if (accept(">>")) return out.take();
  do {
    skip_space();
    std::size_t start = pos_;
    std::vector<Term> values;
    bool is_string = peek() == '"';
    if (is_string) {
      values = string_characters();
    } else if (peek() == '<' && peek(1) == '<') {
      values.push_back(binary());
    } else {
      values.push_back(number());
    }
    Segment segment;
    if (accept(":")) {
      skip_space();
      segment.size = unsigned_field(UINT64_MAX, "a segment size");
    }
    // An empty string segment (<<"">>) has no value to infer a type from.
    if (accept("/")) segment.type = segment_type_words(segment);
    else if (values.empty()) {
    } else if (values.front().kind() == Term::Kind::Float) segment.type = Segment::Type::Float;
    else if (values.front().kind() == Term::Kind::Bitstring) {
      fail_at(start, "a binary inside a binary needs /binary or /bits");
    }
    // (A single segment over kMaxSegmentBits is append_segment's error, below.)
    if (auto bits = sized_segment_bits(segment); bits && *bits <= kMaxSegmentBits) {
      sized_bits_ += *bits * values.size();  // a sized string: every character gets the size
      if (sized_bits_ > kMaxSizedSegmentBits)
        fail_at(start, "segments with an explicit size add up to more than " +
                           std::to_string(kMaxSizedSegmentBits) + " bits");
    }
    for (Term& v : values) {
      segment.value = std::move(v);
      std::string error = append_segment(out, segment);
      if (!error.empty()) fail_at(start, error);
    }
  } while (accept(","));
  expect(">>", "to close the binary");
  return out.take();
}

Segment::Type Parser::segment_type_words(Segment& segment) {
  using Type = Segment::Type;
  Type type = Type::Integer;
  do {
    skip_space();
    std::size_t start = pos_;
    std::string word = bare_atom_name();
    if (word == "integer") type = Type::Integer;
    else if (word == "float") type = Type::Float;
    else if (word == "binary" || word == "bytes") type = Type::Binary;
    else if (word == "bitstring" || word == "bits") type = Type::Bitstring;
    else if (word == "utf8") type = Type::Utf8;
    else if (word == "utf16") type = Type::Utf16;
    else if (word == "utf32") type = Type::Utf32;
    else if (word == "big") segment.little = false;
    else if (word == "little" || word == "native") segment.little = true;
    else if (word == "signed" || word == "unsigned") {
    } else if (word == "unit") {
      expect(":", "after unit");
      segment.unit = unsigned_field(256, "a unit (1..256)");
    } else {
      fail_at(start, "unknown segment type '" + word + "'");
    }
  } while (accept("-"));
  return type;
}

std::size_t line_of(std::string_view text, std::size_t offset) {
  return std::size_t(std::count(text.begin(), text.begin() + std::ptrdiff_t(offset), '\n')) + 1;
}

std::size_t column_of(std::string_view text, std::size_t offset, bool utf8) {
  std::size_t newline = offset == 0 ? std::string_view::npos : text.rfind('\n', offset - 1);
  std::size_t column = 1;
  for (std::size_t i = newline == std::string_view::npos ? 0 : newline + 1; i < offset; ++i)
    if (!utf8 || (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  return column;
}

}  // namespace

Result<Term, ParseError> parse(std::string_view text, TextEncoding encoding) {
  bool utf8 = encoding == TextEncoding::Utf8 ||
              (encoding == TextEncoding::Auto && is_valid_utf8(text));
  try {
    return Parser(text, utf8).parse_document();
  } catch (const Failure& f) {
    std::size_t offset = std::min(f.offset, text.size());
    return ParseError{f.message, offset, line_of(text, offset), column_of(text, offset, utf8)};
  }
}

}  // namespace distspec::etf
