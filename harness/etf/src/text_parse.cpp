// parse(): Erlang term syntax to a Term (the grammar's structure; its tokens are in
// text_parse_tokens.cpp, the parser's state in text_parser.hpp).
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "text_parser.hpp"

namespace distspec::etf {
namespace text_detail {
namespace {

// #{a => 1, a => 2} is #{a => 2}: as BEAM builds a map literal, a repeated key keeps its first
// spelling and place (this matters for 0.0 and -0.0, one key in OTP 25) and its last value.
std::vector<std::pair<Term, Term>> without_repeated_keys(
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

}  // namespace

Term Parser::parse_document() {
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

// The character at the cursor and its length in bytes.
char32_t Parser::current(std::size_t& length) const {
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

void Parser::skip_space() {
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

Term Parser::term() {
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

Term Parser::list() {
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

Term Parser::tuple() {
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

Term Parser::map() {
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

// ---- pids, ports, references, funs
Term Parser::pid_form() {
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

Term Parser::port_form() {
  Port p;
  p.node = Atom{atom_name()};
  expect(".", "after the node name");
  p.id = unsigned_field(UINT64_MAX, "the port id");
  expect(".", "after the port id");
  p.creation = std::uint32_t(unsigned_field(UINT32_MAX, "the creation"));
  expect(">", "to close #Port<");
  return Term::port(std::move(p));
}

Term Parser::reference_form() {
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

Term Parser::fun_form() {
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

Term Parser::export_fun() {
  ExportFun f;
  f.module = Atom{atom_name()};
  expect(":", "after the module of fun M:F/A");
  f.function = Atom{atom_name()};
  expect("/", "after the function of fun M:F/A");
  f.arity = std::uint32_t(unsigned_field(UINT32_MAX, "the arity"));
  return Term::export_fun(std::move(f));
}

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

}  // namespace text_detail

namespace {

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
              (encoding == TextEncoding::Auto && text_detail::is_valid_utf8(text));
  try {
    return text_detail::Parser(text, utf8).parse_document();
  } catch (const text_detail::Failure& f) {
    std::size_t offset = std::min(f.offset, text.size());
    return ParseError{f.message, offset, line_of(text, offset), column_of(text, offset, utf8)};
  }
}

}  // namespace distspec::etf
