#include "diff/allow_list.hpp"

#include <algorithm>
#include <string_view>

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
}  // namespace

std::optional<std::string_view> allowed_beam_difference(const Disagreement& d) {
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
  return std::nullopt;
}

}  // namespace distspec::fuzz
