// The usual control tuples read straight from their bytes (ControlSlots::decode_usual): a
// SMALL_TUPLE_EXT of {SMALL_INTEGER op, fields...} whose atoms are cached references or
// SMALL_ATOM_UTF8_EXT in ASCII, pids NEW_PID_EXT, references NEWER_REFERENCE_EXT and Term fields
// atoms: what OTP 25 sends for the usual operations. Anything else (another encoding, a bad or
// truncated element, another operation's fields) is left to the tape path, which gives every
// verdict and error; what this path accepts, the tape path accepts as the same message and
// length (test Control.UsualTuplesDecodeAsTheTapeDoes; the fuzz target dist_frame runs a receiver
// with and one without this path and requires the same events and errors).
#include <array>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "distspec/etf/tape_values.hpp"
#include "distspec/proto/control.hpp"
#include "field_writer.hpp"

namespace distspec::proto {

namespace {

using etf::Term;
namespace tag = detail::tag;

struct ByteCursor {
  const std::uint8_t* p;
  const std::uint8_t* end;
  const etf::AtomCacheView* cache;
  std::size_t left() const { return std::size_t(end - p); }
  std::uint32_t be32() {
    const std::uint32_t v = std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
    p += 4;
    return v;
  }
};

bool read_usual_atom(ByteCursor& c, std::string_view& text) {
  if (c.left() < 2) return false;
  if (c.p[0] == tag::kAtomCacheRef) {
    const etf::Atom* cached = c.cache ? c.cache->lookup(c.p[1]) : nullptr;
    if (!cached) return false;
    text = cached->name;
    c.p += 2;
    return true;
  }
  const std::size_t n = c.p[1];
  if (c.p[0] != tag::kSmallAtomUtf8 || c.left() - 2 < n) return false;
  const std::uint8_t* chars = c.p + 2;
  for (std::size_t i = 0; i < n; ++i)
    if (chars[i] & 0x80) return false;  // UTF-8 beyond ASCII: the tape path counts characters
  text = std::string_view(reinterpret_cast<const char*>(chars), n);
  c.p += 2 + n;
  return true;
}

bool usual_field(ByteCursor& c, etf::Atom& out) {
  std::string_view text;
  if (!read_usual_atom(c, text)) return false;
  etf::assign_text(out.name, text);
  return true;
}
bool usual_field(ByteCursor& c, etf::Pid& out) {
  if (c.left() < 1 || c.p[0] != tag::kNewPid) return false;
  ++c.p;
  if (!usual_field(c, out.node) || c.left() < 12) return false;
  out.id = c.be32();
  out.serial = c.be32();
  out.creation = c.be32();
  return true;
}
bool usual_field(ByteCursor& c, etf::Reference& out) {
  if (c.left() < 3 || c.p[0] != tag::kNewerReference) return false;
  const std::size_t words = std::size_t(c.p[1]) << 8 | c.p[2];
  if (words < 1 || words > etf::kMaxReferenceWords) return false;
  c.p += 3;
  if (!usual_field(c, out.node) || c.left() < 4 + 4 * words) return false;
  out.creation = c.be32();
  out.ids.clear();
  for (std::size_t i = 0; i < words; ++i) out.ids.push_back(c.be32());
  return true;
}
bool usual_field(ByteCursor& c, Term& out) {  // atoms only: the Unused '' of sends, atom reasons
  std::string_view text;
  if (!read_usual_atom(c, text)) return false;
  out = Term::atom(text);
  return true;
}
bool usual_field(ByteCursor& c, ProcessId& out) {
  if (c.left() >= 1 && c.p[0] == tag::kNewPid) return usual_field(c, kept_alternative<etf::Pid>(out));
  return usual_field(c, kept_alternative<etf::Atom>(out));
}

template <class M>
constexpr bool usual_message() {
  // NODE_LINK is refused unless asked: the tape path decides.
  return detail::typed_fields_only<M>() && M::op != ControlOp::NodeLink;
}

template <class M>
bool usual_message_into(ControlMessage& slot, ByteCursor& c, std::size_t arity) {
  if (arity != 1 + std::tuple_size_v<decltype(std::declval<M&>().fields())>) return false;
  M& m = kept_alternative<M>(slot);
  return std::apply([&](auto&... f) { return (usual_field(c, f) && ...); }, m.fields());
}
using UsualDecoder = bool (*)(ControlMessage&, ByteCursor&, std::size_t arity);
template <std::size_t... I>
constexpr std::array<UsualDecoder, kControlOpCount> make_usual_decoders(std::index_sequence<I...>) {
  std::array<UsualDecoder, kControlOpCount> d{};
  auto add = [&d]<class M>(M*) {
    if constexpr (usual_message<M>()) d[std::size_t(M::op)] = usual_message_into<M>;
  };
  (add(static_cast<std::variant_alternative_t<I, ControlMessage>*>(nullptr)), ...);
  return d;
}
constexpr auto kUsualDecoders =
    make_usual_decoders(std::make_index_sequence<std::variant_size_v<ControlMessage>>());

}  // namespace

std::optional<std::pair<ControlMessage*, std::size_t>> ControlSlots::decode_usual(
    std::span<const std::uint8_t> body, const etf::AtomCacheView* cache) {
  if (body.size() < 4 || body[0] != tag::kSmallTuple || body[2] != tag::kSmallInteger)
    return std::nullopt;
  const std::uint8_t op = body[3];
  const UsualDecoder decoder = op < kUsualDecoders.size() ? kUsualDecoders[op] : nullptr;
  if (!decoder) return std::nullopt;
  ControlMessage& slot = slots_[op];
  ByteCursor c{body.data() + 4, body.data() + body.size(), cache};
  if (!decoder(slot, c, body[1])) return std::nullopt;
  return std::pair{&slot, std::size_t(c.p - body.data())};
}

}  // namespace distspec::proto
