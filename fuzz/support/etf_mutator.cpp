#include "support/etf_mutator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/term.hpp"

namespace distspec::fuzz {
namespace {

using etf::Term;
using Bytes = std::vector<std::uint8_t>;
constexpr std::size_t kMaxTreeDepth = 200;  // deeper subterms are kept, never chosen as targets
constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();

// Every tag the OTP 25 decoder knows, plus neighbours it must reject.
constexpr std::array<std::uint8_t, 33> kTags = {70, 77, 80, 82, 88, 89, 90, 97, 98, 99, 100,
                                                101, 102, 103, 104, 105, 106, 107, 108, 109, 110,
                                                111, 112, 113, 114, 115, 116, 117, 118, 119, 120,
                                                121, 73};

std::vector<Term> interesting_terms() {
  std::vector<Term> t;
  for (std::int64_t v : std::initializer_list<std::int64_t>{0, 1, 127, 128, 255, 256, -1, 2147483647LL, 2147483648LL,
                         -2147483648LL, -2147483649LL, std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::int64_t>::min()})
    t.push_back(Term::integer(v));
  t.push_back(Term::big_integer(false, Bytes(9, 0xff)));
  t.push_back(Term::big_integer(true, Bytes(256, 0x01)));
  for (double d : {0.0, -0.0, 1.0, 0.1, 1e308, 5e-324}) t.push_back(Term::float_(d));
  for (const char* a : {"", "a", "true", "nonode@nohost", "\xc3\xa4", "\xce\xbb", "a\0b"})
    t.push_back(Term::atom(a));
  t.push_back(Term::atom(std::string(3, 'a')));
  t.push_back(Term::atom(std::string(255, 'z')));
  std::string lambdas;
  for (int i = 0; i < 255; ++i) lambdas += "\xce\xbb";
  t.push_back(Term::atom(lambdas));
  static const std::uint8_t bytes[] = {1, 2, 3, 0xe0};
  t.push_back(Term::binary_copy({}));
  t.push_back(Term::binary_copy(bytes));
  t.push_back(Term::bitstring(etf::Bitstring{nullptr, bytes + 3, 1, 3}));  // static storage
  t.push_back(Term::nil());
  t.push_back(Term::string("abc"));
  t.push_back(Term::tuple({}));
  t.push_back(Term::map({}));
  t.push_back(Term::pid({etf::Atom{"a@b"}, 1, 2, 3}));
  t.push_back(Term::port({etf::Atom{"a@b"}, 0x10000000, 3}));
  t.push_back(Term::reference({etf::Atom{"a@b"}, 3, {1, 2, 3}}));
  t.push_back(Term::export_fun({etf::Atom{"lists"}, etf::Atom{"map"}, 2}));
  return t;
}

std::vector<const Term*> children(const Term& t) {
  std::vector<const Term*> out;
  if (auto* tuple = t.get_if<etf::Tuple>()) {
    for (auto& e : tuple->elements) out.push_back(&e);
  } else if (auto* list = t.get_if<etf::List>()) {
    for (auto& e : list->elements) out.push_back(&e);
    out.push_back(list->tail.get());
  } else if (auto* map = t.get_if<etf::Map>()) {
    for (auto& [k, v] : map->pairs) out.push_back(&k), out.push_back(&v);
  } else if (auto* fun = t.get_if<etf::LocalFun>()) {
    for (auto& e : fun->free_vars) out.push_back(&e);
  }
  return out;
}

// Rebuilds t with children replaced (same arity as children(t)).
Term with_children(const Term& t, std::vector<Term> c) {
  if (t.get_if<etf::Tuple>()) return Term::tuple(std::move(c));
  if (t.get_if<etf::List>()) {
    Term tail = std::move(c.back());
    c.pop_back();
    return Term::list(std::move(c), std::move(tail));
  }
  if (t.get_if<etf::Map>()) {
    std::vector<std::pair<Term, Term>> pairs;
    for (std::size_t i = 0; i + 1 < c.size(); i += 2) pairs.emplace_back(std::move(c[i]), std::move(c[i + 1]));
    return Term::map(std::move(pairs));
  }
  if (auto* fun = t.get_if<etf::LocalFun>()) {
    etf::LocalFun copy = *fun;
    copy.free_vars = std::move(c);
    return Term::local_fun(std::move(copy));
  }
  return t;
}

std::size_t count_nodes(const Term& t, std::size_t depth) {
  std::size_t n = 1;
  if (depth < kMaxTreeDepth)
    for (auto* c : children(t)) n += count_nodes(*c, depth + 1);
  return n;
}

const Term* node_at(const Term& t, std::size_t& index, std::size_t depth) {
  if (index-- == 0) return &t;
  if (depth < kMaxTreeDepth)
    for (auto* c : children(t))
      if (auto* found = node_at(*c, index, depth + 1)) return found;
  return nullptr;
}

template <class F>
Term replace_at(const Term& t, std::size_t& index, std::size_t depth, F&& f) {
  if (index == npos) return t;
  if (index-- == 0) {
    index = npos;
    return f(t);
  }
  if (depth >= kMaxTreeDepth) return t;
  auto c = children(t);
  if (c.empty()) return t;
  std::vector<Term> rebuilt;
  rebuilt.reserve(c.size());
  for (auto* child : c) rebuilt.push_back(replace_at(*child, index, depth + 1, f));
  return with_children(t, std::move(rebuilt));
}

Term mutate_node(const Term& node, const Term& root, std::size_t nodes, std::mt19937_64& rng) {
  static const std::vector<Term> interesting = interesting_terms();
  switch (rng() % 6) {
    case 0: return interesting[rng() % interesting.size()];
    case 1: {  // nest
      switch (rng() % 4) {
        case 0: return Term::tuple({node});
        case 1: return Term::list({node});
        case 2: return Term::list({node}, node);
        default: return Term::map({{node, node}});
      }
    }
    case 2: {  // splice another subterm here
      std::size_t i = rng() % nodes;
      auto* other = node_at(root, i, 0);
      return other ? *other : node;
    }
    case 3: {  // reshape a container's elements
      auto c = children(node);
      if (c.empty()) break;
      std::vector<Term> elems;
      for (auto* e : c) elems.push_back(*e);
      const bool is_map = node.get_if<etf::Map>() != nullptr, is_list = node.get_if<etf::List>() != nullptr;
      const std::size_t step = is_map ? 2 : 1, movable = elems.size() - (is_list ? 1 : 0);
      if (movable < step) break;
      std::size_t i = (rng() % (movable / step)) * step;
      switch (rng() % 3) {
        case 0: {  // duplicate (copied first: inserting a vector's own range into it is undefined)
          std::vector<Term> copy(elems.begin() + i, elems.begin() + i + step);
          elems.insert(elems.begin() + i, copy.begin(), copy.end());
          break;
        }
        case 1: elems.erase(elems.begin() + i, elems.begin() + i + step); break;
        default: std::reverse(elems.begin(), elems.begin() + movable); break;
      }
      if (node.get_if<etf::Tuple>() || elems.size() >= step) return with_children(node, std::move(elems));
      break;
    }
    case 4:
      if (node.kind() == Term::Kind::Integer) {
        const std::int64_t v = node.as_integer();
        switch (rng() % 4) {
          case 0: return Term::integer(v + (v < std::numeric_limits<std::int64_t>::max()));
          case 1: return Term::integer(v - (v > std::numeric_limits<std::int64_t>::min()));
          case 2: return Term::integer(v == std::numeric_limits<std::int64_t>::min() ? 0 : -v);
          default: return Term::big_integer(v < 0, Bytes(1 + rng() % 12, std::uint8_t(rng())));
        }
      }
      break;
    default:
      if (node.kind() == Term::Kind::Atom) {  // a character above U+00FF moves the atom to UTF-8 tags
        std::string name = node.as_atom().name;
        if (rng() % 2 && !name.empty()) name.pop_back();
        else name += rng() % 2 ? "\xce\xbb" : "\xc3\xa4";
        return name.size() <= 1020 ? Term::atom(name) : node;
      }
      break;
  }
  return interesting[rng() % interesting.size()];
}

// A term's position in encoded bytes: where its tag is, where it ends, and its length/count field.
struct Site {
  std::size_t offset, end;
  std::size_t length_offset = 0;
  int length_width = 0;
};

std::uint64_t read_be(const Bytes& b, std::size_t pos, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | b[pos + i];
  return v;
}

void write_be(Bytes& b, std::size_t pos, int n, std::uint64_t v) {
  for (int i = n - 1; i >= 0; --i, v >>= 8) b[pos + i] = std::uint8_t(v);
}

// Scans one term body starting at pos; returns its end (npos if malformed), recording sites.
std::size_t scan(const Bytes& b, std::size_t pos, std::size_t depth, std::vector<Site>* sites) {
  auto have = [&](std::size_t p, std::uint64_t n) { return p <= b.size() && n <= b.size() - p; };
  if (depth > kMaxTreeDepth || !have(pos, 1)) return npos;
  const std::size_t start = pos;
  const std::uint8_t tag = b[pos++];
  Site site{start, npos};
  auto counted = [&](int width, std::uint64_t per_item) -> std::size_t {  // Len:width then items
    if (!have(pos, width)) return npos;
    site.length_offset = pos, site.length_width = width;
    const std::uint64_t n = read_be(b, pos, width);
    pos += width;
    if (per_item == 0) {  // n nested terms
      for (std::uint64_t i = 0; i < n && pos != npos; ++i) pos = scan(b, pos, depth + 1, sites);
      return pos;
    }
    return have(pos, n * per_item) ? pos + n * per_item : npos;
  };
  auto node_then = [&](std::uint64_t fixed) -> std::size_t {
    pos = scan(b, pos, depth + 1, nullptr);
    return pos != npos && have(pos, fixed) ? pos + fixed : npos;
  };
  std::size_t end = npos;
  switch (tag) {
    case 97: end = have(pos, 1) ? pos + 1 : npos; break;
    case 98: end = have(pos, 4) ? pos + 4 : npos; break;
    case 70: end = have(pos, 8) ? pos + 8 : npos; break;
    case 106: end = pos; break;
    case 100: case 118: case 107: end = counted(2, 1); break;
    case 115: case 119: end = counted(1, 1); break;
    case 109: end = counted(4, 1); break;
    case 77:
      if (have(pos, 5)) {
        site.length_offset = pos, site.length_width = 4;
        const std::uint64_t n = read_be(b, pos, 4);
        end = have(pos + 5, n) ? pos + 5 + n : npos;
      }
      break;
    case 110: if (have(pos, 2)) { site.length_offset = pos, site.length_width = 1; end = have(pos + 2, b[pos]) ? pos + 2 + b[pos] : npos; } break;
    case 111: if (have(pos, 5)) { site.length_offset = pos, site.length_width = 4; auto n = read_be(b, pos, 4); end = have(pos + 5, n) ? pos + 5 + n : npos; } break;
    case 104: end = counted(1, 0); break;
    case 105: end = counted(4, 0); break;
    case 108: end = counted(4, 0); if (end != npos) end = scan(b, end, depth + 1, sites); break;
    case 116: {
      if (!have(pos, 4)) break;
      site.length_offset = pos, site.length_width = 4;
      const std::uint64_t n = read_be(b, pos, 4);
      pos += 4;
      for (std::uint64_t i = 0; i < 2 * n && pos != npos; ++i) pos = scan(b, pos, depth + 1, sites);
      end = pos;
      break;
    }
    case 88: end = node_then(12); break;
    case 89: end = node_then(8); break;
    case 120: end = node_then(12); break;
    case 90: if (have(pos, 2)) { site.length_offset = pos, site.length_width = 2; auto n = read_be(b, pos, 2); pos += 2; end = node_then(4 + 4 * n); } break;
    case 113: pos = scan(b, pos, depth + 1, nullptr); if (pos != npos) pos = scan(b, pos, depth + 1, nullptr); if (pos != npos) end = scan(b, pos, depth + 1, nullptr); break;
    case 112: {
      if (!have(pos, 29)) break;
      site.length_offset = pos + 25, site.length_width = 4;
      const std::uint64_t free = read_be(b, pos + 25, 4);
      pos += 29;
      for (int i = 0; i < 4 && pos != npos; ++i) pos = scan(b, pos, depth + 1, nullptr);
      for (std::uint64_t i = 0; i < free && pos != npos; ++i) pos = scan(b, pos, depth + 1, sites);
      end = pos;
      break;
    }
    default: break;
  }
  if (end != npos && sites) {
    site.end = end;
    sites->push_back(site);
  }
  return end;
}

// Another encoder's way of writing the term at `s` (empty when there is none).
Bytes alternative_encoding(const Bytes& b, const Site& s, std::mt19937_64& rng) {
  const std::uint8_t tag = b[s.offset];
  const std::size_t body = s.offset + 1;
  Bytes out;
  auto append = [&](std::initializer_list<std::uint8_t> x) { out.insert(out.end(), x); };
  auto rest = [&](std::size_t from) { out.insert(out.end(), b.begin() + from, b.begin() + s.end); };
  switch (tag) {
    case 97:
      switch (rng() % 3) {
        case 0: append({98, 0, 0, 0, b[body]}); break;
        case 1: append({110, 1, 0, b[body]}); break;
        default: append({111, 0, 0, 0, 2, 0, b[body], 0}); break;  // with a leading zero byte
      }
      break;
    case 98: {
      const auto v = std::int32_t(std::uint32_t(read_be(b, body, 4)));
      std::uint64_t m = v < 0 ? std::uint64_t(-std::int64_t(v)) : std::uint64_t(v);
      append({110, 4, std::uint8_t(v < 0 ? 1 : 0)});
      for (int i = 0; i < 4; ++i, m >>= 8) out.push_back(std::uint8_t(m));
      break;
    }
    case 70: {
      double d;
      std::uint64_t bits = read_be(b, body, 8);
      std::memcpy(&d, &bits, 8);
      char text[32] = {};
      std::snprintf(text, sizeof text, "%.20e", d);
      out.push_back(99);
      out.insert(out.end(), text, text + 31);
      break;
    }
    case 100: case 118: {
      const std::uint64_t len = read_be(b, body, 2);
      const std::uint8_t tags[] = {100, 118, 115, 119};
      const std::uint8_t to = tags[rng() % (len <= 255 ? 4 : 2)];
      out.push_back(to);
      if (to == 115 || to == 119) out.push_back(std::uint8_t(len)); else append({std::uint8_t(len >> 8), std::uint8_t(len)});
      rest(body + 2);
      break;
    }
    case 115: case 119: {
      out.push_back(rng() % 2 ? 100 : 118);
      append({0, b[body]});
      rest(body + 1);
      break;
    }
    case 104: append({105, 0, 0, 0, b[body]}); rest(body + 1); break;
    case 106:
      if (rng() % 2) append({107, 0, 0}); else append({108, 0, 0, 0, 0, 106});
      break;
    case 107: {
      const std::uint64_t len = read_be(b, body, 2);
      append({108, 0, 0, std::uint8_t(len >> 8), std::uint8_t(len)});
      for (std::uint64_t i = 0; i < len; ++i) append({97, b[body + 2 + i]});
      out.push_back(106);
      break;
    }
    case 109: out.push_back(77); rest(body); out.insert(out.begin() + 5, std::uint8_t(rng() % 10)); break;
    case 88: case 89: case 90: {
      // Legacy tags keep the layout but take an 8-bit creation (must be 0..3).
      const std::size_t creation = s.end - 4 - (tag == 90 ? 4 * read_be(b, body, 2) : 0);
      out.push_back(tag == 88 ? 103 : tag == 89 ? 102 : 114);
      out.insert(out.end(), b.begin() + body, b.begin() + creation);
      out.push_back(b[creation + 3] & 3);
      rest(creation + 4);
      break;
    }
    default: break;
  }
  return out;
}

void rewrite_encoding(Bytes& b, std::mt19937_64& rng) {
  if (b.size() < 2 || b[0] != 131 || b[1] == 80) return;
  std::vector<Site> sites;
  if (scan(b, 1, 0, &sites) == npos || sites.empty()) return;
  const Site& s = sites[rng() % sites.size()];
  switch (rng() % 4) {
    case 0:  // swap the tag
      b[s.offset] = kTags[rng() % kTags.size()];
      return;
    case 1:  // grow or shrink a length or count
      if (s.length_width) {
        const std::uint64_t v = read_be(b, s.length_offset, s.length_width);
        const std::uint64_t choices[] = {v + 1, v - 1, 0, ~0ULL, 0x80000000ULL, 1ULL << 24, 0x10000, rng()};
        write_be(b, s.length_offset, s.length_width, choices[rng() % std::size(choices)]);
        return;
      }
      [[fallthrough]];
    default: {
      Bytes alt = alternative_encoding(b, s, rng);
      if (alt.empty()) return;
      b.erase(b.begin() + s.offset, b.begin() + s.end);
      b.insert(b.begin() + s.offset, alt.begin(), alt.end());
    }
  }
}

}  // namespace

std::size_t mutate_bytes(std::uint8_t* data, std::size_t size, std::size_t max_size, std::mt19937_64& rng) {
  static const std::uint8_t interesting[] = {0, 1, 3, 0x7f, 0x80, 0xff, 131, 97, 104, 106, 107, 108, 116};
  switch (rng() % 4) {
    case 0:
      if (size) data[rng() % size] ^= std::uint8_t(1u << (rng() % 8));
      return size;
    case 1:
      if (size < max_size) {
        const std::size_t at = rng() % (size + 1);
        std::memmove(data + at + 1, data + at, size - at);
        data[at] = interesting[rng() % std::size(interesting)];
        return size + 1;
      }
      return size;
    case 2:
      if (size > 1) {
        const std::size_t at = rng() % size;
        std::memmove(data + at, data + at + 1, size - at - 1);
        return size - 1;
      }
      return size;
    default:
      if (size) data[rng() % size] = interesting[rng() % std::size(interesting)];
      return size;
  }
}

std::size_t mutate_etf(std::uint8_t* data, std::size_t size, std::size_t max_size, std::uint64_t seed,
                       const ByteMutator& fallback) {
  std::mt19937_64 rng(seed);
  auto decoded = etf::decode({data, size});
  if (!decoded.ok() || rng() % 8 == 0) return fallback(data, size, max_size);

  Term term = std::move(decoded->term);
  for (int round = 0, rounds = 1 + int(rng() % 3); round < rounds; ++round) {
    const std::size_t nodes = count_nodes(term, 0);
    std::size_t target = rng() % nodes;
    const Term root = term;
    term = replace_at(root, target, 0, [&](const Term& node) { return mutate_node(node, root, nodes, rng); });
  }
  etf::EncodeOptions options;
  const int minor_versions[] = {1, 1, 1, 0, 2};
  options.minor_version = minor_versions[rng() % 5];
  options.utf8_atoms = rng() % 4 == 0;
  if (rng() % 16 == 0) options.compression_level = int(rng() % 10);
  Bytes out = etf::encode(term, options);
  if (rng() % 2) rewrite_encoding(out, rng);
  if (out.size() > max_size) return fallback(data, size, max_size);
  std::copy(out.begin(), out.end(), data);
  return out.size();
}

}  // namespace distspec::fuzz
