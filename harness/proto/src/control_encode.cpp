// Control tuples written straight from the typed messages (the sender's path): the bytes
// etf::encode_body(to_term(message)) writes, without building the tuple.
#include <tuple>
#include <type_traits>
#include <utility>

#include "distspec/etf/encode.hpp"
#include "distspec/proto/atom_cache.hpp"
#include "distspec/proto/control.hpp"

namespace distspec::proto {

namespace {

namespace tag {
constexpr std::uint8_t kSmallInteger = 97, kSmallTuple = 104, kNewPid = 88, kNewerReference = 90,
                       kAtomCacheRef = 82, kSmallAtomUtf8 = 119, kAtomUtf8 = 118;
}

void put16(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(std::uint8_t(v >> 8));
  out.push_back(std::uint8_t(v));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  put16(out, v >> 16);
  put16(out, v);
}

// Fields whose types are written here; the others make the whole message go through to_term().
template <class F>
constexpr bool kDirectField = std::is_same_v<F, etf::Pid> || std::is_same_v<F, etf::Reference> ||
                              std::is_same_v<F, etf::Atom> || std::is_same_v<F, etf::Term> ||
                              std::is_same_v<F, ProcessId>;

template <class Fields>
struct AllDirect;
template <class... F>
struct AllDirect<std::tuple<F...>> {
  static constexpr bool value = (kDirectField<std::decay_t<F>> && ...);
};
template <class M>
constexpr bool direct() {
  return AllDirect<decltype(std::declval<const M&>().fields())>::value;
}

class FieldWriter {
 public:
  FieldWriter(std::vector<std::uint8_t>& out, const etf::EncodeOptions& options)
      : out_(out), options_(options) {}

  void write(const etf::Atom& a) {
    if (options_.atom_cache_index) {
      if (auto index = options_.atom_cache_index(a)) {
        out_.push_back(tag::kAtomCacheRef);
        out_.push_back(*index);
        return;
      }
    }
    if (!options_.utf8_atoms) return etf::encode_body(out_, etf::Term::atom(a.name), options_);
    if (a.name.size() < 256) {
      out_.push_back(tag::kSmallAtomUtf8);
      out_.push_back(std::uint8_t(a.name.size()));
    } else {
      out_.push_back(tag::kAtomUtf8);
      put16(out_, std::uint32_t(a.name.size()));
    }
    out_.insert(out_.end(), a.name.begin(), a.name.end());
  }
  void write(const etf::Pid& pid) {
    out_.push_back(tag::kNewPid);
    write(pid.node);
    put32(out_, pid.id);
    put32(out_, pid.serial);
    put32(out_, pid.creation);
  }
  void write(const etf::Reference& ref) {
    out_.push_back(tag::kNewerReference);
    put16(out_, std::uint32_t(ref.ids.size()));
    write(ref.node);
    put32(out_, ref.creation);
    for (auto id : ref.ids) put32(out_, id);
  }
  void write(const etf::Term& term) { etf::encode_body(out_, term, options_); }
  void write(const ProcessId& id) { std::visit([this](const auto& v) { write(v); }, id); }

 private:
  std::vector<std::uint8_t>& out_;
  const etf::EncodeOptions& options_;
};

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
          out.push_back(tag::kSmallTuple);
          out.push_back(std::uint8_t(arity));
          out.push_back(tag::kSmallInteger);
          out.push_back(std::uint8_t(M::op));
          FieldWriter writer(out, options);
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
