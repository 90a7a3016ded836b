// Control tuples written straight from the typed messages (the sender's path): the bytes
// etf::encode_body(to_term(message)) writes, without building the tuple.
#include <tuple>
#include <type_traits>
#include <utility>

#include "distspec/etf/encode.hpp"
#include "distspec/proto/atom_cache.hpp"
#include "distspec/proto/control.hpp"
#include "field_writer.hpp"

namespace distspec::proto {

namespace {

using detail::FieldWriter;
namespace tag = detail::tag;

template <class M>
constexpr bool direct() {
  return detail::typed_fields_only<M>();
}

struct AtomCollector {
  std::vector<const etf::Atom*>& out;
  void add(const etf::Atom& a) { out.push_back(&a); }
  void add(const etf::Pid& pid) { out.push_back(&pid.node); }
  void add(const etf::Reference& ref) { out.push_back(&ref.node); }
  void add(const etf::Term& term) { collect_atoms(term, out); }
  void add(const ProcessId& id) { std::visit([this](const auto& v) { add(v); }, id); }
};

}  // namespace

bool encodes_directly(const ControlMessage& message) {
  return std::visit([](const auto& m) { return direct<std::decay_t<decltype(m)>>(); }, message);
}

void encode_control_body(std::vector<std::uint8_t>& out, const ControlMessage& message,
                         const etf::EncodeOptions& options) {
  std::visit(
      [&](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (direct<M>()) {
          constexpr std::size_t arity = 1 + std::tuple_size_v<decltype(m.fields())>;
          FieldWriter writer(out, options);
          writer.bytes({tag::kSmallTuple, std::uint8_t(arity), tag::kSmallInteger, std::uint8_t(M::op)});
          std::apply([&](const auto&... f) { (writer.write(f), ...); }, m.fields());
        }
      },
      message);
}

void collect_control_atoms(const ControlMessage& message, std::vector<const etf::Atom*>& out) {
  std::visit(
      [&](const auto& m) {
        if constexpr (direct<std::decay_t<decltype(m)>>()) {
          AtomCollector collector{out};
          std::apply([&](const auto&... f) { (collector.add(f), ...); }, m.fields());
        }
      },
      message);
}

}  // namespace distspec::proto
