#include "diff/allow_list.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "support/etf_canonical.hpp"

namespace distspec::fuzz {
namespace {
bool contains(std::span<const std::uint8_t> input, std::string_view needle) {
  return std::search(input.begin(), input.end(), needle.begin(), needle.end(),
                     [](std::uint8_t a, char b) { return a == std::uint8_t(b); }) != input.end();
}

bool has_atom_with_nul(const etf::Term& t, int depth) {
  if (depth > 200) return false;
  auto atom_has_nul = [](const etf::Atom& a) { return a.name.find('\0') != std::string::npos; };
  if (auto* a = t.get_if<etf::Atom>()) return atom_has_nul(*a);
  if (auto* tuple = t.get_if<etf::Tuple>())
    return std::any_of(tuple->elements.begin(), tuple->elements.end(), [&](auto& e) { return has_atom_with_nul(e, depth + 1); });
  if (auto* list = t.get_if<etf::List>())
    return has_atom_with_nul(*list->tail, depth + 1) ||
           std::any_of(list->elements.begin(), list->elements.end(), [&](auto& e) { return has_atom_with_nul(e, depth + 1); });
  if (auto* map = t.get_if<etf::Map>())
    return std::any_of(map->pairs.begin(), map->pairs.end(), [&](auto& p) {
      return has_atom_with_nul(p.first, depth + 1) || has_atom_with_nul(p.second, depth + 1);
    });
  if (t.kind() == etf::Term::Kind::Pid) return atom_has_nul(t.as_pid().node);
  if (t.kind() == etf::Term::Kind::Port) return atom_has_nul(t.as_port().node);
  if (t.kind() == etf::Term::Kind::Reference) return atom_has_nul(t.as_reference().node);
  if (t.kind() == etf::Term::Kind::ExportFun)
    return atom_has_nul(t.as_export_fun().module) || atom_has_nul(t.as_export_fun().function);
  if (t.kind() == etf::Term::Kind::LocalFun) {
    const auto& f = t.as_local_fun();
    return atom_has_nul(f.module) ||
           std::any_of(f.free_vars.begin(), f.free_vars.end(), [&](auto& e) { return has_atom_with_nul(e, depth + 1); });
  }
  return false;
}

std::uint32_t be32(std::span<const std::uint8_t> in, std::size_t at) {
  return (std::uint32_t(in[at]) << 24) | (std::uint32_t(in[at + 1]) << 16) | (std::uint32_t(in[at + 2]) << 8) | in[at + 3];
}

// Calls visit(tag, position) for every term erl_interface reads in an input our decoder accepted
// (131 first, not COMPRESSED), in ei's order, with our decoder's lengths. Not inside a
// NEW_FUN_EXT's free variables: ei_decode_fun copies those as raw bytes. Stops when visit returns
// true (and then returns true).
template <class Visit>
bool any_ei_term(std::span<const std::uint8_t> in, Visit visit) {
  std::vector<std::uint64_t> left{1};  // terms still to read per open compound
  std::size_t pos = 1;
  while (!left.empty()) {
    if (left.back() == 0) {
      left.pop_back();
      continue;
    }
    --left.back();
    if (pos >= in.size()) return false;
    const std::uint8_t tag = in[pos];
    if (visit(tag, pos)) return true;
    const std::size_t rest = in.size() - pos;
    if (tag == 104 && rest >= 2) {  // SMALL_TUPLE_EXT
      left.push_back(in[pos + 1]);
      pos += 2;
    } else if ((tag == 105 || tag == 108 || tag == 116) && rest >= 5) {  // LARGE_TUPLE, LIST, MAP
      const std::uint64_t n = be32(in, pos + 1);
      left.push_back(tag == 105 ? n : tag == 108 ? n + 1 : 2 * n);  // a list's tail is one more term
      pos += 5;
    } else {
      auto term = etf::decode_body(in.subspan(pos));
      if (!term) return false;
      pos += term->used;
    }
  }
  return false;
}

// A NEW_FUN_EXT ei reads whose Size field is not the length of the fields that follow it.
bool has_new_fun_with_wrong_size(std::span<const std::uint8_t> in) {
  return any_ei_term(in, [&](std::uint8_t tag, std::size_t at) {
    if (tag != 112 || in.size() - at < 5) return false;
    auto fun = etf::decode_body(in.subspan(at));
    return fun && be32(in, at + 1) != fun->used - 1;
  });
}

// A FLOAT_EXT ei reads whose text has ',' (the decimal point BEAM also accepts).
bool has_float_text_with_comma(std::span<const std::uint8_t> in) {
  return any_ei_term(in, [&](std::uint8_t tag, std::size_t at) {
    return tag == 99 && in.size() - at >= 32 && std::find(in.begin() + at + 1, in.begin() + at + 32, ',') != in.begin() + at + 32;
  });
}

// A PORT_EXT or NEW_PORT_EXT ei reads whose 32-bit ID has its top bit set.
bool has_32bit_port_id_with_top_bit(std::span<const std::uint8_t> in) {
  return any_ei_term(in, [&](std::uint8_t tag, std::size_t at) {
    if (tag != 102 && tag != 89) return false;
    auto node = etf::decode_body(in.subspan(at + 1));
    const std::size_t id_at = at + 1 + (node ? node->used : 0);
    return node && in.size() - id_at >= 4 && (in[id_at] & 0x80) != 0;
  });
}
}  // namespace

std::optional<std::string_view> allowed_beam_difference(const Disagreement& d) {
  if (d.kind == DiffKind::OracleCrash) return std::nullopt;  // the BEAM process died: always a finding
  // Patterns are looked for in what a top-level COMPRESSED term inflates to.
  const auto inflated = inflate_envelope(d.input);
  const std::span<const std::uint8_t> body = inflated ? std::span<const std::uint8_t>(*inflated) : d.input;
  using Code = etf::DecodeErrorCode;
  const auto code = d.our_error ? std::optional(d.our_error->code) : std::nullopt;
  const std::size_t at = d.our_error ? d.our_error->offset : 0;
  if (d.oracle_accepted && code == Code::UnknownTag && at < d.input.size() &&
      (d.input[at] == 73 || d.input[at] == 75))
    return "internal atom-index tags 73/75: BEAM accepts them as indexes into its own atom table "
           "(term-format.md §2); their value depends on the node";
  if (d.oracle_accepted && code == Code::TooDeep)
    return "nesting beyond DecodeOptions::max_depth: BEAM has no depth limit";
  const bool zero_word_reference =
      contains(body, std::string_view("Z\0\0", 3)) || contains(body, std::string_view("r\0\0", 3));
  if (d.oracle_accepted && (code == Code::BadReference || d.kind == DiffKind::Used) && zero_word_reference)
    return "reference with 0 words: OTP 25.2.3 accepts it and reads 4 bytes past its data "
           "(pitfalls §29)";
  if (!d.oracle_accepted && !d.our_error && contains(body, "nonode@nohost"))
    return "pid/port/reference naming the oracle's own node (nonode@nohost): BEAM applies "
           "local-node range checks (term-format.md §3.4) that need the local node's identity";
  return std::nullopt;
}

std::optional<std::string_view> allowed_ei_difference(const Disagreement& d) {
  if (d.input.size() >= 2 && d.input[1] == 80)
    return "COMPRESSED terms: ei has no zlib support (ei_decode_* reject tag 80)";
  if (d.kind == DiffKind::Term && d.our_term && has_atom_with_nul(*d.our_term, 0))
    return "ei atoms are NUL-terminated C strings: an atom holding a NUL byte comes back cut";
  // Any kind (and a crash of ei): after a wrong Size, ei reads the rest of the input from the
  // wrong place, or past its end.
  if (has_new_fun_with_wrong_size(d.input))
    return "NEW_FUN_EXT whose Size field is not its length: ei_decode_fun takes the free variables "
           "to be Size minus the fields read (copied raw, decode_fun.c), binary_to_term and we ignore "
           "Size and read NumFree terms (term-format.md §3.10)";
  if (d.kind == DiffKind::Term && has_32bit_port_id_with_top_bit(d.input))
    return "PORT_EXT/NEW_PORT_EXT with an ID of 2^31 or more: ei_decode_port reads it with get32be, "
           "whose int result is sign-extended into the 64-bit erlang_port id (putget.h), and writes "
           "it back as a V4_PORT_EXT of a different id";
  if (d.kind == DiffKind::Term && has_float_text_with_comma(d.input))
    return "FLOAT_EXT text with ',' as the decimal point: BEAM's sys_chars_to_double accepts it (and "
           "we do), ei_decode_double's sscanf(\"%lf\") stops at the ',' and keeps the integer part";
  return std::nullopt;
}

}  // namespace distspec::fuzz
