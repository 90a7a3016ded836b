// format(): a term as OTP 25 io_lib:write/1 (~w) writes it; see text.hpp for the promises.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "distspec/etf/text.hpp"
#include "text_chars.hpp"

namespace distspec::etf {
namespace text_detail {

bool is_reserved_word(std::u32string_view name) {
  static constexpr std::u32string_view kWords[] = {
      U"after", U"begin", U"case",  U"try", U"cond", U"catch", U"andalso", U"orelse", U"end",
      U"fun",   U"if",    U"let",   U"of",  U"receive", U"when", U"bnot", U"not", U"div",
      U"rem",   U"band",  U"and",   U"bor", U"bxor", U"bsl",  U"bsr",  U"or",  U"xor"};
  return std::find(std::begin(kWords), std::end(kWords), name) != std::end(kWords);
}

}  // namespace text_detail

namespace {

using namespace text_detail;

std::u32string code_points(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  for (std::size_t pos = 0; pos < utf8.size();) {
    char32_t cp;
    std::size_t len = decode_utf8(utf8, pos, cp);
    if (len == 0) cp = static_cast<std::uint8_t>(utf8[pos]), len = 1;  // not UTF-8: as Latin-1
    out += cp;
    pos += len;
  }
  return out;
}

// io_lib:write_string_as_latin1/2 for one character (quote is ' for atoms).
void append_quoted_char(std::string& out, char32_t c, char quote) {
  if (c == char32_t(quote) || c == '\\') {
    out += '\\';
    out += char(c);
  } else if (c >= ' ' && c <= '~') {
    out += char(c);
  } else if (c >= 0xA0 && c <= 0xFF) {
    out += char(c);  // raw Latin-1 byte
  } else if (c > 0xFF) {
    char hex[16];
    auto end = std::to_chars(hex, hex + sizeof hex, std::uint32_t(c), 16).ptr;
    out += "\\x{";
    for (char* p = hex; p != end; ++p) out += char(std::toupper(static_cast<unsigned char>(*p)));
    out += '}';
  } else {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case 27: out += "\\e"; break;
      case 127: out += "\\d"; break;
      default:  // other control characters below 160: three octal digits
        out += '\\';
        out += char('0' + (c >> 6));
        out += char('0' + ((c >> 3) & 7));
        out += char('0' + (c & 7));
    }
  }
}

void append_quoted_atom(std::string& out, const std::u32string& chars) {
  out += '\'';
  for (char32_t c : chars) append_quoted_char(out, c, '\'');
  out += '\'';
}

// io_lib:write_atom_as_latin1/1: quoted only when it must be.
void append_atom(std::string& out, const Atom& atom) {
  std::u32string chars = code_points(atom.name);
  bool bare = !chars.empty() && is_atom_start_char(chars[0]) &&
              std::all_of(chars.begin() + 1, chars.end(), is_atom_name_char) &&
              !is_reserved_word(chars);
  if (bare) {
    for (char32_t c : chars) out += char(c);  // all <= 255 here
  } else {
    append_quoted_atom(out, chars);
  }
}

void append_always_quoted_atom(std::string& out, const Atom& atom) {
  append_quoted_atom(out, code_points(atom.name));
}

template <class Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void append_big_integer(std::string& out, const BigInteger& big) {
  // Little-endian 32-bit limbs, divided by 10^9 repeatedly.
  std::vector<std::uint32_t> limbs((big.magnitude.size() + 3) / 4, 0);
  for (std::size_t i = 0; i < big.magnitude.size(); ++i)
    limbs[i / 4] |= std::uint32_t(big.magnitude[i]) << (8 * (i % 4));
  std::vector<std::uint32_t> chunks;  // base 10^9, least significant first
  while (!limbs.empty()) {
    std::uint64_t rem = 0;
    for (std::size_t i = limbs.size(); i-- > 0;) {
      std::uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = std::uint32_t(cur / 1'000'000'000);
      rem = cur % 1'000'000'000;
    }
    chunks.push_back(std::uint32_t(rem));
    while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
  }
  if (big.negative) out += '-';
  append_int(out, chunks.back());
  for (std::size_t i = chunks.size() - 1; i-- > 0;) {
    char buf[16];
    auto end = std::to_chars(buf, buf + sizeof buf, chunks[i]).ptr;
    out.append(9 - std::size_t(end - buf), '0');
    out.append(buf, end);
  }
}

// float_to_list(F, [short]) of OTP 25: the shortest round-trip digits (Ryu, as std::to_chars
// gives them), laid out in fixed or scientific notation by the rule of erts' ryu/to_chars.h.
void append_float(std::string& out, double v) {
  char buf[64];
  char* end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr;
  std::string_view sci(buf, std::size_t(end - buf));  // e.g. "-1.25e-05", "1e+20", "0e+00"
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  std::size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos))
    if (c != '.') digits += c;
  int sci_exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  int n = int(digits.size());
  int exponent = sci_exponent - (n - 1);  // value = digits * 10^exponent
  std::uint64_t mantissa = std::strtoull(digits.c_str(), nullptr, 10);

  int lower = -(n + 2), upper = sci_exponent >= 10 ? 2 : 1;
  if (n == 1) lower = -4, upper = 2;
  bool fixed = lower <= exponent && exponent <= upper &&
               !((mantissa >= (1ull << 53) && exponent == 0) ||
                 (mantissa > (1ull << 52) / 5 && exponent == 1) ||
                 (mantissa > (1ull << 51) / 25 && exponent == 2));
  if (negative) out += '-';
  if (fixed) {
    int whole = n + exponent;
    if (exponent >= 0) {
      out += digits;
      out.append(std::size_t(exponent), '0');
      out += ".0";
    } else if (whole > 0) {
      out.append(digits, 0, std::size_t(whole));
      out += '.';
      out.append(digits, std::size_t(whole));
    } else {
      out += "0.";
      out.append(std::size_t(-whole), '0');
      out += digits;
    }
  } else {
    out += digits[0];
    out += '.';
    out += n == 1 ? std::string("0") : digits.substr(1);
    out += 'e';
    append_int(out, sci_exponent);
  }
}

void append_bitstring(std::string& out, const Bitstring& b) {
  out += "<<";
  std::size_t whole = b.is_binary() ? b.byte_size : b.byte_size - 1;
  for (std::size_t i = 0; i < whole; ++i) {
    if (i) out += ',';
    append_int(out, unsigned(b.data[i]));
  }
  if (!b.is_binary()) {
    if (whole) out += ',';
    unsigned bits = b.bits_in_last_byte;
    append_int(out, unsigned(b.data[whole]) >> (8 - bits));
    out += ':';
    append_int(out, bits);
  }
  out += ">>";
}

void append_uniq(std::string& out, const std::array<std::uint8_t, 16>& uniq) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "16#";
  for (std::uint8_t b : uniq) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
}

// The explicit work stack that replaces recursion: a task prints a term, writes a literal, or
// continues a list after its elements (the tail may itself be a list, as LIST_EXT allows).
struct Task {
  enum class Kind : std::uint8_t { Term, Literal, ListTail } kind;
  const Term* term = nullptr;
  const char* literal = nullptr;
};

class Printer {
 public:
  std::string run(const Term& root) {
    stack_.push_back({Task::Kind::Term, &root});
    while (!stack_.empty()) {
      Task task = stack_.back();
      stack_.pop_back();
      switch (task.kind) {
        case Task::Kind::Literal: out_ += task.literal; break;
        case Task::Kind::Term: print(*task.term); break;
        case Task::Kind::ListTail: print_tail(*task.term); break;
      }
    }
    return std::move(out_);
  }

 private:
  void literal(const char* text) { stack_.push_back({Task::Kind::Literal, nullptr, text}); }
  void term(const Term& t) { stack_.push_back({Task::Kind::Term, &t}); }

  // Pushes the elements so that they print first to last, separated by commas.
  void elements(const std::vector<Term>& items) {
    for (std::size_t i = items.size(); i-- > 0;) {
      term(items[i]);
      if (i) literal(",");
    }
  }

  void list_body(const List& list) {
    stack_.push_back({Task::Kind::ListTail, list.tail.get()});
    elements(list.elements);
  }

  void print_tail(const Term& tail) {
    if (tail.kind() == Term::Kind::Nil) return;
    if (const List* more = tail.get_if<List>()) {
      out_ += ',';
      list_body(*more);
      return;
    }
    out_ += '|';
    term(tail);
  }

  void print_map(const Map& map) {
    std::vector<const std::pair<Term, Term>*> pairs;
    pairs.reserve(map.pairs.size());
    for (const auto& p : map.pairs) pairs.push_back(&p);
    if (pairs.size() <= kSmallMapLimit) {
      std::stable_sort(pairs.begin(), pairs.end(),
                       [](auto* a, auto* b) { return map_key_less(a->first, b->first); });
    } else {
      std::reverse(pairs.begin(), pairs.end());
    }
    out_ += "#{";
    literal("}");
    for (std::size_t i = pairs.size(); i-- > 0;) {
      term(pairs[i]->second);
      literal(" => ");
      term(pairs[i]->first);
      if (i) literal(",");
    }
  }

  void print(const Term& t) {
    switch (t.kind()) {
      case Term::Kind::Integer: append_int(out_, t.as_integer()); break;
      case Term::Kind::BigInteger: append_big_integer(out_, t.as_big_integer()); break;
      case Term::Kind::Float: append_float(out_, t.as_float()); break;
      case Term::Kind::Atom: append_atom(out_, t.as_atom()); break;
      case Term::Kind::Nil: out_ += "[]"; break;
      case Term::Kind::Bitstring: append_bitstring(out_, t.as_bitstring()); break;
      case Term::Kind::List:
        out_ += '[';
        literal("]");
        list_body(t.as_list());
        break;
      case Term::Kind::Tuple:
        out_ += '{';
        literal("}");
        elements(t.as_tuple().elements);
        break;
      case Term::Kind::Map: print_map(t.as_map()); break;
      case Term::Kind::Pid: {
        const Pid& p = t.as_pid();
        out_ += "#Pid<";
        append_always_quoted_atom(out_, p.node);
        for (std::uint32_t n : {p.id, p.serial, p.creation}) out_ += '.', append_int(out_, n);
        out_ += '>';
        break;
      }
      case Term::Kind::Port: {
        const Port& p = t.as_port();
        out_ += "#Port<";
        append_always_quoted_atom(out_, p.node);
        out_ += '.', append_int(out_, p.id);
        out_ += '.', append_int(out_, p.creation);
        out_ += '>';
        break;
      }
      case Term::Kind::Reference: {
        const Reference& r = t.as_reference();
        out_ += "#Ref<";
        append_always_quoted_atom(out_, r.node);
        out_ += '.', append_int(out_, r.creation);
        for (std::uint32_t w : r.ids) out_ += '.', append_int(out_, w);
        out_ += '>';
        break;
      }
      case Term::Kind::ExportFun: {
        const ExportFun& f = t.as_export_fun();
        out_ += "fun ";
        append_atom(out_, f.module);
        out_ += ':';
        append_atom(out_, f.function);
        out_ += '/';
        append_int(out_, f.arity);
        break;
      }
      case Term::Kind::LocalFun: {
        const LocalFun& f = t.as_local_fun();
        out_ += "#Fun<";
        append_always_quoted_atom(out_, f.module);
        out_ += '.', append_int(out_, f.old_index);
        out_ += '.', append_int(out_, f.old_uniq);
        out_ += '.', append_int(out_, f.index);
        out_ += '.', append_int(out_, unsigned(f.arity));
        out_ += '.', append_uniq(out_, f.uniq);
        out_ += ',';
        literal(">");
        if (f.free_vars.empty()) {
          literal("[]");
        } else {
          literal("]");
          elements(f.free_vars);
          literal("[");
        }
        literal(",");
        if (f.pid) term(*f.pid);
        else literal("[]");  // a LocalFun built without a pid; the decoder always sets one
        break;
      }
    }
  }

  std::string out_;
  std::vector<Task> stack_;
};

}  // namespace

std::string format(const Term& term) { return Printer().run(term); }

}  // namespace distspec::etf
