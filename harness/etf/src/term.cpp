#include "distspec/etf/term.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace distspec::etf {

Term Term::big_integer(bool negative, std::vector<std::uint8_t> magnitude) {
  while (!magnitude.empty() && magnitude.back() == 0) magnitude.pop_back();
  if (magnitude.empty()) return integer(0);
  if (magnitude.size() <= 8) {
    std::uint64_t m = 0;
    for (std::size_t i = magnitude.size(); i-- > 0;) m = (m << 8) | magnitude[i];
    if (!negative && m <= std::uint64_t(std::numeric_limits<std::int64_t>::max()))
      return integer(std::int64_t(m));
    if (negative && m <= std::uint64_t(std::numeric_limits<std::int64_t>::max()) + 1)
      return integer(m == (std::uint64_t(1) << 63) ? std::numeric_limits<std::int64_t>::min()
                                                   : -std::int64_t(m));
  }
  return Term(Boxed<BigInteger>(BigInteger{negative, std::move(magnitude)}));
}

Term Term::list(std::vector<Term> elements, Term tail) {
  if (elements.empty()) return tail;
  if (auto* more = std::get_if<List>(&tail.value_)) {
    // [a|[b,c|T]] is [a,b,c|T]: one representation per value.
    elements.insert(elements.end(), std::make_move_iterator(more->elements.begin()),
                    std::make_move_iterator(more->elements.end()));
    ListTail rest = std::move(more->tail);
    return Term(List{std::move(elements), std::move(rest)});
  }
  return Term(List{std::move(elements), ListTail(std::move(tail))});
}

Term Term::binary_copy(std::span<const std::uint8_t> bytes) {
  Bitstring b;
  if (!bytes.empty()) {
    auto storage = std::make_shared_for_overwrite<std::uint8_t[]>(bytes.size());
    std::memcpy(storage.get(), bytes.data(), bytes.size());
    b.data = storage.get();
    b.owner = std::move(storage);
  }
  b.byte_size = bytes.size();
  return Term(std::move(b));
}

Term Term::binary_view(std::span<const std::uint8_t> bytes) {
  Bitstring b;
  b.data = bytes.data();
  b.byte_size = bytes.size();
  return Term(std::move(b));
}

Term Term::string(std::string_view bytes) {
  std::vector<Term> elements;
  elements.reserve(bytes.size());
  for (unsigned char c : bytes) elements.push_back(integer(c));
  return list(std::move(elements));
}

namespace {

bool is_container(Term::Kind k) {
  return k == Term::Kind::Tuple || k == Term::Kind::List || k == Term::Kind::Map ||
         k == Term::Kind::LocalFun;
}

}  // namespace

void Term::destroy_nested() noexcept {
  // Children that are containers themselves are moved to a work list, so destroying a term
  // nested N deep takes N iterations instead of N stack frames.
  auto has_nested = [](const Value& v) {
    auto any = [](const std::vector<Term>& terms) {
      return std::any_of(terms.begin(), terms.end(),
                         [](const Term& t) { return is_container(t.kind()); });
    };
    if (auto* t = std::get_if<Tuple>(&v)) return any(t->elements);
    if (auto* l = std::get_if<List>(&v))
      return any(l->elements) || (!l->tail.is_nil() && is_container(l->tail->kind()));
    if (auto* m = std::get_if<Map>(&v))
      return std::any_of(m->pairs.begin(), m->pairs.end(), [](const auto& p) {
        return is_container(p.first.kind()) || is_container(p.second.kind());
      });
    if (auto* f = std::get_if<Boxed<LocalFun>>(&v)) return f->get() && any(f->get()->free_vars);
    return false;
  };
  auto move_children = [](Value& v, std::vector<Term>& work) {
    auto take = [&work](std::vector<Term>& terms) {
      for (auto& t : terms) work.push_back(std::move(t));
      terms.clear();
    };
    if (auto* t = std::get_if<Tuple>(&v)) take(t->elements);
    if (auto* l = std::get_if<List>(&v)) {
      take(l->elements);
      if (auto& tail = l->tail.storage()) {
        work.push_back(std::move(*tail));
        tail.reset();
      }
    }
    if (auto* m = std::get_if<Map>(&v)) {
      for (auto& [key, value] : m->pairs) {
        work.push_back(std::move(key));
        work.push_back(std::move(value));
      }
      m->pairs.clear();
    }
    if (auto* f = std::get_if<Boxed<LocalFun>>(&v))
      if (LocalFun* fun = f->get_mutable()) take(fun->free_vars);
  };
  if (!has_nested(value_)) return;
  std::vector<Term> work;
  move_children(value_, work);
  while (!work.empty()) {
    Term t = std::move(work.back());
    work.pop_back();
    if (has_nested(t.value_)) move_children(t.value_, work);
  }
}

void Term::copy_from(const Term& other) {
  if (!is_container(other.kind())) {
    value_ = other.value_;
    return;
  }
  thread_local int depth = 0;
  if (depth >= kRecursiveCopyDepth) return copy_nested(other);
  struct DepthGuard {
    int& depth;
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
  } guard(depth);
  value_ = other.value_;
}

void Term::copy_nested(const Term& other) {
  // Each container is copied with its children left as [], and each child queued with the place
  // its copy goes: a term nested N deep takes N iterations instead of N stack frames.
  std::vector<std::pair<const Term*, Term*>> work{{&other, this}};
  auto queue = [&work](const std::vector<Term>& from, std::vector<Term>& to) {
    to.resize(from.size());
    for (std::size_t i = 0; i < from.size(); ++i) work.emplace_back(&from[i], &to[i]);
  };
  while (!work.empty()) {
    const auto [from, to] = work.back();
    work.pop_back();
    if (const auto* tuple = std::get_if<Tuple>(&from->value_)) {
      queue(tuple->elements, to->value_.emplace<Tuple>().elements);
    } else if (const auto* list = std::get_if<List>(&from->value_)) {
      auto& copy = to->value_.emplace<List>();
      queue(list->elements, copy.elements);
      if (!list->tail.is_nil()) {
        copy.tail.storage() = std::make_unique<Term>();
        work.emplace_back(list->tail.get(), copy.tail.storage().get());
      }
    } else if (const auto* map = std::get_if<Map>(&from->value_)) {
      auto& copy = to->value_.emplace<Map>();
      copy.pairs.resize(map->pairs.size());
      for (std::size_t i = 0; i < map->pairs.size(); ++i) {
        work.emplace_back(&map->pairs[i].first, &copy.pairs[i].first);
        work.emplace_back(&map->pairs[i].second, &copy.pairs[i].second);
      }
    } else if (const auto* boxed = std::get_if<Boxed<LocalFun>>(&from->value_);
               boxed && boxed->get()) {
      const LocalFun& fun = **boxed;
      LocalFun shell{fun.arity, fun.uniq, fun.index, fun.module, fun.old_index, fun.old_uniq,
                     fun.pid, {}};
      auto& copy = to->value_.emplace<Boxed<LocalFun>>(std::move(shell));
      queue(fun.free_vars, copy.get_mutable()->free_vars);
    } else {
      to->value_ = from->value_;  // not a container: nothing nested to recurse into
    }
  }
}

}  // namespace distspec::etf
