// Reading a tape: TermRef's accessors, list and child iteration, and to_term().
#include "distspec/etf/tape.hpp"

#include <bit>
#include <cstring>

#include "decode_internal.hpp"
#include "tape_internal.hpp"

namespace distspec::etf {
namespace {

using K = Term::Kind;

}  // namespace

std::uint32_t ReferenceView::word(std::size_t i) const { return detail::load32(words + 4 * i); }

std::size_t TermTape::capacity_bytes() const {
  return capacity_ * sizeof(TapeEntry) + side_.capacity() +
         (inflated_ ? inflated_->capacity() : 0);
}

bool TermRef::is_byte_list() const { return byte_ == -1 && entry().kind == tape::kByteList; }

bool TermRef::big_negative() const { return entry().flags & 1; }
std::span<const std::uint8_t> TermRef::big_magnitude() const {
  return {tape::data_of(tape_->side_, entry()), entry().count};
}
double TermRef::float_value() const { return std::bit_cast<double>(entry().payload); }
std::span<const std::uint8_t> TermRef::bytes() const {
  return {tape::data_of(tape_->side_, entry()), entry().count};
}
std::uint8_t TermRef::bits_in_last_byte() const { return entry().flags & tape::kBitsMask; }
std::span<const std::uint8_t> TermRef::byte_list() const {
  return {tape::data_of(tape_->side_, entry()), entry().count};
}

PidView TermRef::pid() const {
  const TapeEntry& e = entry();
  auto n = detail::pid_numbers(e.flags, tape::data_of(tape_->side_, e));
  return {TermRef(tape_, index_ + 1).atom_name(), n.id, n.serial, n.creation};
}
PortView TermRef::port() const {
  const TapeEntry& e = entry();
  auto n = detail::port_numbers(e.flags, tape::data_of(tape_->side_, e));
  return {TermRef(tape_, index_ + 1).atom_name(), n.id, n.creation};
}
ReferenceView TermRef::reference() const {
  const TapeEntry& e = entry();
  const std::uint8_t* p = tape::data_of(tape_->side_, e);
  return {TermRef(tape_, index_ + 1).atom_name(), detail::reference_creation(e.flags, p), e.count,
          detail::reference_words(e.flags, p)};
}
ExportFunView TermRef::export_fun() const {
  return {TermRef(tape_, index_ + 1).atom_name(), TermRef(tape_, index_ + 2).atom_name(),
          std::uint32_t(entry().payload)};
}

namespace {
const std::uint8_t* fun_fixed(const TermTape& t, std::uint32_t index) {
  return reinterpret_cast<const std::uint8_t*>(
      std::uintptr_t(t.entries()[index + 1].payload));
}
}  // namespace
std::uint8_t TermRef::fun_arity() const { return fun_fixed(*tape_, index_)[4]; }
std::span<const std::uint8_t, 16> TermRef::fun_uniq() const {
  return std::span<const std::uint8_t, 16>(fun_fixed(*tape_, index_) + 5, 16);
}
std::uint32_t TermRef::fun_index() const { return detail::load32(fun_fixed(*tape_, index_) + 21); }
std::string_view TermRef::fun_module() const { return TermRef(tape_, index_ + 2).atom_name(); }
std::int64_t TermRef::fun_old_index() const { return TermRef(tape_, index_ + 3).integer(); }
std::int64_t TermRef::fun_old_uniq() const { return TermRef(tape_, index_ + 4).integer(); }
TermRef TermRef::fun_pid() const { return TermRef(tape_, index_ + 5); }
std::size_t TermRef::free_var_count() const { return entry().count; }


std::size_t TermRef::map_size() const { return entry().count; }
TermRef::Range TermRef::children() const {
  const TapeEntry& e = entry();
  switch (K(e.kind)) {
    case K::Tuple: return {TermRef(tape_, index_ + 1), e.count};
    case K::Map: return {TermRef(tape_, index_ + 1), std::size_t(e.count) * 2};
    case K::LocalFun: return {TermRef(tape_, index_ + tape::kFunHeaderEntries), e.count};
    default: return {*this, 0};
  }
}
TermRef::Iterator TermRef::Range::begin() const { return Iterator(first, count); }
TermRef::Iterator TermRef::Range::end() const { return Iterator(first, 0); }

TermRef::ListRange TermRef::list_elements() const { return {*this}; }
TermRef::ListIterator TermRef::ListRange::begin() const { return ListIterator(list); }
TermRef::ListIterator TermRef::ListRange::end() const { return ListIterator(); }
TermRef TermRef::list_tail() const {
  ListIterator it(*this);
  while (it != ListIterator()) ++it;
  return it.tail();
}

TermRef::ListIterator::ListIterator(TermRef list) { enter(list); }

void TermRef::ListIterator::enter(TermRef segment) {
  segment_ = segment;
  pos_ = 0;
  left_ = 0;
  if (segment.byte_ != -1) return;
  const TapeEntry& e = segment.entry();
  if (e.kind == tape::kind(K::List)) {
    left_ = e.count;
    at_ = TermRef(segment.tape_, segment.index_ + 1);
  } else if (e.kind == tape::kByteList) {
    left_ = e.count;
  }
}

TermRef TermRef::ListIterator::operator*() const {
  if (segment_.entry().kind == tape::kByteList)
    return TermRef(segment_.tape_, segment_.index_, segment_.byte_list()[pos_]);
  return at_;
}

TermRef::ListIterator& TermRef::ListIterator::operator++() {
  const bool bytes = segment_.entry().kind == tape::kByteList;
  ++pos_;
  if (!bytes) at_ = at_.next();
  if (--left_ == 0) enter(bytes ? TermRef(segment_.tape_, segment_.index_, tape::kNilByte) : at_);
  return *this;
}

TermRef TermRef::ListIterator::tail() const { return segment_; }

// ---- to_term ----

namespace {

struct Building {
  Building(K k, std::uint64_t n) : kind(k), remaining(n) {}
  K kind;
  std::uint64_t remaining;
  std::uint64_t index = 0;
  std::vector<Term> items;  // tuple elements; list elements + tail; free variables
  std::vector<std::pair<Term, Term>> pairs;
  std::unique_ptr<LocalFun> fun;
};

Term finish(Building& b) {
  switch (b.kind) {
    case K::Tuple: return Term::tuple(std::move(b.items));
    case K::List: {
      Term tail = std::move(b.items.back());
      b.items.pop_back();
      return Term::list(std::move(b.items), std::move(tail));
    }
    case K::Map: return Term::map(std::move(b.pairs));
    default:
      b.fun->free_vars = std::move(b.items);
      return Term::local_fun(std::move(*b.fun));
  }
}

Term bitstring_term(const TermTape& tape, const TapeEntry& e, const std::vector<std::uint8_t>& side,
                    bool views) {
  const std::uint8_t* data = tape::data_of(side, e);
  const std::uint8_t bits = e.flags & tape::kBitsMask;
  Bitstring b;
  if (views && !(e.flags & tape::kInSide)) {
    b.data = data;
    (void)tape;
  } else if (e.count > 0) {
    auto storage = std::make_shared_for_overwrite<std::uint8_t[]>(e.count);
    std::memcpy(storage.get(), data, e.count);
    b.data = storage.get();
    b.owner = std::move(storage);
  }
  b.byte_size = e.count;
  b.bits_in_last_byte = bits;
  return Term::bitstring(std::move(b));
}

}  // namespace

Term TermRef::to_term(bool binary_views) const {
  if (byte_ >= 0) return Term::integer(byte_);
  if (byte_ == tape::kNilByte) return Term();
  const TapeEntry* e = tape_->entries_.get();
  const auto& side = tape_->side_;
  const std::shared_ptr<const void> owner = tape_->inflated_;
  std::vector<Building> stack;
  std::uint32_t i = index_;
  for (;;) {
    const TapeEntry& x = e[i];
    Term leaf;
    auto atom_at = [&](std::uint32_t at) { return Atom{std::string(TermRef(tape_, at).atom_name())}; };
    switch (x.kind) {
      case tape::kind(K::Integer): leaf = Term::integer(std::int64_t(x.payload)); ++i; break;
      case tape::kind(K::BigInteger): {
        const std::uint8_t* p = tape::data_of(side, x);
        leaf = Term::big_integer(x.flags & 1, std::vector<std::uint8_t>(p, p + x.count));
        ++i;
        break;
      }
      case tape::kind(K::Float): leaf = Term::float_(std::bit_cast<double>(x.payload)); ++i; break;
      case tape::kind(K::Atom): leaf = Term::atom(atom_at(i)); ++i; break;
      case tape::kind(K::Nil): ++i; break;
      case tape::kByteList:
        leaf = Term::string({reinterpret_cast<const char*>(tape::data_of(side, x)), x.count});
        ++i;
        break;
      case tape::kind(K::Bitstring): {
        leaf = bitstring_term(*tape_, x, side, binary_views);
        if (binary_views && !(x.flags & tape::kInSide) && owner) {
          Bitstring b = leaf.as_bitstring();
          b.owner = owner;
          leaf = Term::bitstring(std::move(b));
        }
        ++i;
        break;
      }
      case tape::kind(K::Pid): {
        PidView v = TermRef(tape_, i).pid();
        leaf = Term::pid(Pid{Atom{std::string(v.node)}, v.id, v.serial, v.creation});
        i += 2;
        break;
      }
      case tape::kind(K::Port): {
        PortView v = TermRef(tape_, i).port();
        leaf = Term::port(Port{Atom{std::string(v.node)}, v.id, v.creation});
        i += 2;
        break;
      }
      case tape::kind(K::Reference): {
        ReferenceView v = TermRef(tape_, i).reference();
        Reference r{Atom{std::string(v.node)}, v.creation, {}};
        for (std::size_t w = 0; w < v.word_count; ++w) r.ids.push_back(v.word(w));
        leaf = Term::reference(std::move(r));
        i += 2;
        break;
      }
      case tape::kind(K::ExportFun):
        leaf = Term::export_fun(ExportFun{atom_at(i + 1), atom_at(i + 2), std::uint32_t(x.payload)});
        i += 3;
        break;
      case tape::kind(K::LocalFun): {
        TermRef ref(tape_, i);
        auto fun = std::make_unique<LocalFun>();
        fun->arity = ref.fun_arity();
        std::memcpy(fun->uniq.data(), ref.fun_uniq().data(), 16);
        fun->index = ref.fun_index();
        fun->module = atom_at(i + 2);
        fun->old_index = ref.fun_old_index();
        fun->old_uniq = ref.fun_old_uniq();
        fun->pid = std::make_shared<const Term>(ref.fun_pid().to_term());
        i += tape::kFunHeaderEntries;
        if (x.count == 0) {
          leaf = Term::local_fun(std::move(*fun));
          break;
        }
        Building& b = stack.emplace_back(K::LocalFun, x.count);
        b.items.reserve(x.count);
        b.fun = std::move(fun);
        continue;
      }
      case tape::kind(K::Tuple):
        ++i;
        if (x.count == 0) {
          leaf = Term::tuple({});
          break;
        }
        stack.emplace_back(K::Tuple, x.count).items.reserve(x.count);
        continue;
      case tape::kind(K::List):
        ++i;
        stack.emplace_back(K::List, std::uint64_t(x.count) + 1).items.reserve(x.count + 1);
        continue;
      case tape::kind(K::Map):
        ++i;
        if (x.count == 0) {
          leaf = Term::map({});
          break;
        }
        stack.emplace_back(K::Map, std::uint64_t(x.count) * 2).pairs.reserve(x.count);
        continue;
      default:  // kFunFixed is only read through its LocalFun
        ++i;
        continue;
    }
    for (;;) {
      if (stack.empty()) return leaf;
      Building& b = stack.back();
      if (b.kind == K::Map) {
        if ((b.index & 1) == 0) b.pairs.emplace_back(std::move(leaf), Term());
        else b.pairs.back().second = std::move(leaf);
      } else {
        b.items.push_back(std::move(leaf));
      }
      ++b.index;
      if (--b.remaining != 0) break;
      leaf = finish(b);
      stack.pop_back();
    }
  }
}

}  // namespace distspec::etf
