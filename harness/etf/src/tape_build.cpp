// The decoder proper: one pass over the input that fills a tape (tape_internal.hpp has the layout).
// decode() materializes a Term from the tape; validate() uses the tape builder only for what its
// skipper hands over. Nesting lives in a heap stack of open compounds, never on the C++ stack.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>

#include "decode_internal.hpp"
#include "tape_internal.hpp"

namespace distspec::etf {
namespace {

using detail::AtomText;
using detail::Cursor;
using detail::load16;
using detail::load32;
using Code = DecodeErrorCode;
using tape::kind;
using K = Term::Kind;

// exactly_equal() for the Terms of map keys the tape cannot compare in place.
bool has_duplicate_terms(std::vector<Term>& keys) {
  const std::size_t n = keys.size();
  if (n <= 16) {
    for (std::size_t i = 1; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (exactly_equal(keys[i], keys[j])) return true;
    return false;
  }
  std::sort(keys.begin(), keys.end(), [](const Term& a, const Term& b) { return map_key_less(a, b); });
  for (std::size_t i = 1; i < n; ++i)
    if (exactly_equal(keys[i - 1], keys[i])) return true;
  return false;
}

// Observed on OTP 25: Len 0 needs Bits 0; otherwise Bits is 1..8.
bool valid_bit_count(std::size_t n, unsigned bits) { return n == 0 ? bits == 0 : bits >= 1 && bits <= 8; }

// A compound still being read.
struct Open {
  std::uint32_t index;      // of the compound's entry
  std::uint64_t remaining;  // terms still to read (for the innermost: TapeBuilder::run's `left`)
  std::size_t at;           // offset of its tag, for errors found when it closes
};

// The stack of open compounds: one contiguous array, the first levels inline (most terms are
// shallow), then on the heap, doubling (a term 1000 deep copies the stack a few times, not 1000).
class OpenStack {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  Open& back() { return base_[size_ - 1]; }
  Open& push() {
    if (size_ == capacity_) [[unlikely]] grow();
    return base_[size_++];
  }
  void pop() { --size_; }
  OpenStack() = default;
  OpenStack(const OpenStack&) = delete;  // base_ may point into this object
  OpenStack& operator=(const OpenStack&) = delete;

 private:
  static constexpr std::size_t kInline = 32;
  [[gnu::noinline]] void grow() {
    const std::size_t want = 4 * capacity_;
    auto bigger = std::make_unique_for_overwrite<Open[]>(want);
    std::memcpy(static_cast<void*>(bigger.get()), base_, size_ * sizeof(Open));
    heap_ = std::move(bigger);
    base_ = heap_.get();
    capacity_ = want;
  }
  Open inline_[kInline];
  std::unique_ptr<Open[]> heap_;
  Open* base_ = inline_;
  std::size_t size_ = 0, capacity_ = kInline;
};

class TapeBuilder {
 public:
  TapeBuilder(Cursor& c, TermTape& tape)
      : c_(c), tape_(tape), side_(TapeAccess::side(tape)), start_(c.pos) {
    out_ = TapeAccess::entries(tape).get();
    next_ = out_ + TapeAccess::size(tape);
    end_ = out_ + TapeAccess::capacity(tape);
  }
  ~TapeBuilder() { TapeAccess::size(tape_) = used(); }
  bool run();

 private:
  std::uint32_t add(std::uint8_t k, std::uint8_t flags, std::uint32_t count, std::uint64_t payload) {
    if (next_ == end_) [[unlikely]] grow();
    *next_ = TapeEntry{k, flags, count, payload};
    return std::uint32_t(next_++ - out_);
  }
  [[gnu::noinline]] void grow();
  void add_atom(const AtomText& a) {
    switch (a.encoding) {
      case AtomText::Encoding::Utf8: add(kind(K::Atom), 0, std::uint32_t(a.size), tape::pointer(a.bytes)); break;
      case AtomText::Encoding::Cached:
        add(kind(K::Atom), 0, std::uint32_t(a.cached->name.size()), tape::pointer(a.cached->name.data()));
        break;
      case AtomText::Encoding::Latin1: {
        std::size_t offset = side_.size();
        detail::append_latin1_as_utf8(a.bytes, a.size, side_);
        add(kind(K::Atom), tape::kInSide, std::uint32_t(side_.size() - offset), offset);
        break;
      }
    }
  }
  bool atom() {
    AtomText a;
    if (!detail::read_atom_text(c_, a)) return false;
    add_atom(a);
    return true;
  }
  // Opens a compound already added, after checking its count against the input left and the
  // depth. The remaining count of the innermost one lives in run()'s `left`, not on the stack.
  // `depth` is run()'s copy of stack_.size(), kept in a register.
  bool open(std::uint32_t index, std::uint64_t remaining, std::size_t at, std::uint64_t& left,
            std::size_t& depth) {
    if (remaining > c_.left()) return c_.fail(Code::TooLarge, at);  // every term takes >= 1 byte
    if (depth >= c_.options->max_depth) return c_.fail(Code::TooDeep, at);
    if (depth != 0) stack_.back().remaining = left;
    ++depth;
    // Fields stored one by one: copying a whole Open from a temporary stalled on store forwarding.
    Open& o = stack_.push();
    o.index = index;
    o.at = at;
    left = remaining;
    return true;
  }
  // The rare tags, out of run()'s hot loop (c_.pos just after the tag): 0 on error, 1 for a
  // complete term, 2 for a local fun with free variables (fun_index_, fun_free_) to open.
  [[gnu::noinline]] int rare(std::uint8_t t, std::size_t at);
  bool close(const Open& o) {
    out_[o.index].payload = used();
    return out_[o.index].kind != kind(K::Map) || check_map_keys(o);
  }
  [[gnu::noinline]] bool check_map_keys(const Open& o);
  bool duplicate_keys(std::uint32_t map);
  bool key_form(const TapeEntry& key, detail::KeyForm& f) const;  // false: not a simple key
  bool keys_rise(std::uint32_t map, std::uint32_t pairs) const;
  void big(bool negative, const std::uint8_t* digits, std::size_t n);
  bool bitstring(std::size_t at, std::size_t n, unsigned bits);
  bool export_fun(std::size_t at);
  bool new_fun(std::size_t at, std::uint32_t& index, std::uint32_t& num_free);

  Cursor& c_;
  TermTape& tape_;
  std::vector<std::uint8_t>& side_;
  std::size_t start_;  // where the term starts in c_
  // The tape's entries: out_ to next_ used, room up to end_. Pointers, not counts: a store of an
  // entry's 64-bit payload may alias any 64-bit integer member, which would then be reloaded.
  TapeEntry* out_;
  TapeEntry* next_;
  TapeEntry* end_;
  std::size_t used() const { return std::size_t(next_ - out_); }
  OpenStack stack_;
  std::vector<detail::KeyForm> forms_;  // the keys of the map being closed
  std::uint32_t fun_index_ = 0, fun_free_ = 0;
};

void TapeBuilder::grow() {
  // Every entry takes at least one input byte, so the input bounds the tape. The first block is
  // small (a huge binary needs one entry); later ones extrapolate the entries per byte read so far
  // (c_.pos is synced at every compound's close), so that a tape grows once or twice.
  const std::size_t limit = c_.size - start_ + 1;
  // BEAM's terms take 0.1-0.3 entries per byte (a binary far less): half the input's bytes is
  // room for nearly every term in one block (not touched beyond what is used; at most 1 MiB).
  std::size_t want = std::min<std::size_t>(limit / 2 + 16, std::size_t(1) << 16);
  const std::size_t n = used(), cap = std::size_t(end_ - out_);
  if (cap > 0) {
    const std::size_t read = c_.pos > start_ ? c_.pos - start_ : 1;
    want = std::max(2 * cap, std::size_t(double(n) / double(read) * double(limit) * 1.1));
  }
  want = std::min(want, std::max(limit, n + 1));
  auto bigger = std::make_unique_for_overwrite<TapeEntry[]>(want);
  if (n > 0) std::memcpy(bigger.get(), out_, n * sizeof(TapeEntry));
  TapeAccess::entries(tape_) = std::move(bigger);
  out_ = TapeAccess::entries(tape_).get();
  TapeAccess::capacity(tape_) = want;
  next_ = out_ + n;
  end_ = out_ + want;
}

void TapeBuilder::big(bool negative, const std::uint8_t* digits, std::size_t n) {
  while (n > 0 && digits[n - 1] == 0) --n;
  if (n <= 8) {
    std::uint64_t m = 0;
    for (std::size_t i = n; i-- > 0;) m = m << 8 | digits[i];
    if (m <= std::uint64_t(INT64_MAX)) {
      add(kind(K::Integer), 0, 0, std::uint64_t(negative ? -std::int64_t(m) : std::int64_t(m)));
      return;
    }
    if (negative && m == std::uint64_t(1) << 63) {
      add(kind(K::Integer), 0, 0, m);  // INT64_MIN
      return;
    }
  }
  add(kind(K::BigInteger), negative ? 1 : 0, std::uint32_t(n), tape::pointer(digits));
}

bool TapeBuilder::bitstring(std::size_t at, std::size_t n, unsigned bits) {
  if (!valid_bit_count(n, bits)) return c_.fail(Code::BadBitstring, at);
  const std::uint8_t* p = c_.data + c_.pos;
  if (bits == 8 || n == 0) {
    add(kind(K::Bitstring), 8, std::uint32_t(n), tape::pointer(p));
    return true;
  }
  // OTP ignores the unused low bits of the last byte; we hold them as zero (copying if needed).
  auto mask = std::uint8_t(0xFF << (8 - bits));
  if ((p[n - 1] & ~mask) == 0) {
    add(kind(K::Bitstring), std::uint8_t(bits), std::uint32_t(n), tape::pointer(p));
    return true;
  }
  std::size_t offset = side_.size();
  side_.insert(side_.end(), p, p + n);
  side_.back() &= mask;
  add(kind(K::Bitstring), std::uint8_t(bits | tape::kInSide), std::uint32_t(n), offset);
  return true;
}

bool TapeBuilder::export_fun(std::size_t at) {
  std::uint32_t index = add(kind(K::ExportFun), 0, 0, 0);
  if (!atom() || !atom()) return false;
  std::int64_t arity = 0;
  if (!detail::read_small(c_, arity, Code::BadFun)) return false;
  if (arity < 0 || arity > INT32_MAX) return c_.fail(Code::BadFun, at);
  out_[index].payload = std::uint64_t(arity);
  if (c_.options->safe && c_.options->export_exists) {
    ExportFun f;
    TermRef ref = TapeAccess::ref(tape_, index);
    f.module.name = ref.export_fun().module;
    f.function.name = ref.export_fun().function;
    f.arity = std::uint32_t(arity);
    if (!c_.options->export_exists(f)) return c_.fail(Code::UnsafeAtom, at);
  }
  return true;
}

bool TapeBuilder::new_fun(std::size_t at, std::uint32_t& index, std::uint32_t& num_free) {
  // Size:4 (ignored, as OTP does), Arity:1, Uniq:16, Index:4, NumFree:4.
  if (!c_.need(29)) return false;
  const std::uint8_t* p = c_.data + c_.pos;
  c_.pos += 29;
  num_free = load32(p + 25);
  if (num_free > tag::kMaxFunFree) return c_.fail(Code::BadFun, at);
  index = add(kind(K::LocalFun), 0, num_free, 0);
  add(tape::kFunFixed, 0, 0, tape::pointer(p));
  if (!atom()) return false;
  for (int i = 0; i < 2; ++i) {  // old index, old uniq
    std::int64_t v = 0;
    if (!detail::read_small(c_, v, Code::BadFun)) return false;
    add(kind(K::Integer), 0, 0, std::uint64_t(v));
  }
  std::size_t pid_at = c_.pos;
  if (!c_.need(1)) return false;
  std::uint8_t pid_tag = c_.data[c_.pos++];
  if (pid_tag != tag::kNewPid && pid_tag != tag::kPid) return c_.fail(Code::BadFun, pid_at);
  AtomText node;
  const std::uint8_t* fixed;
  if (!detail::read_pid(c_, pid_tag, pid_at, node, fixed)) return false;
  add(kind(K::Pid), pid_tag, 0, tape::pointer(fixed));
  add_atom(node);
  if (num_free == 0) out_[index].payload = used();
  return true;  // run() opens it when it has free variables
}

[[gnu::always_inline]] inline bool TapeBuilder::key_form(const TapeEntry& key, detail::KeyForm& f) const {
  const K key_kind = K(key.kind);
  // Tests ordered by how common the key is (an if-chain predicts better here than a jump table).
  if (key_kind == K::Atom || (key_kind == K::Bitstring && (key.flags & tape::kBitsMask) == 8)) {
    const std::uint8_t* p = tape::data_of(side_, key);
    // Keys in the input (not the side buffer or the atom cache) may be read 8 bytes at a time
    // up to its end.
    const std::uint8_t* end = c_.data + c_.size;
    const bool in_input = !(key.flags & tape::kInSide) && p >= c_.data && p < end;
    f = detail::bytes_key_form(key_kind == K::Atom ? 'a' : 'b', p, key.count, in_input ? end : nullptr);
  } else if (key_kind == K::Integer) {
    f = detail::KeyForm{'i', key.payload, nullptr, 0};
  } else if (key_kind == K::Float) {
    f = detail::KeyForm{'f', detail::float_key_bits(std::bit_cast<double>(key.payload)), nullptr, 0};
  } else if (key_kind == K::Nil) {
    f = detail::KeyForm{'n', 0, nullptr, 0};
  } else {
    return false;
  }
  return true;
}

bool TapeBuilder::keys_rise(std::uint32_t map, std::uint32_t pairs) const {
  // BEAM writes every map of up to 32 keys in key order, and most maps have keys of one kind:
  // keys that strictly rise are distinct, checked against the previous one as they are walked.
  // Atoms and binaries compare by their first 8 bytes (big-endian, zero-padded) in one word,
  // then, if equal, by the rest. Any other case is left to the general path.
  const TapeEntry* e = out_;
  const auto input = reinterpret_cast<std::uintptr_t>(c_.data);
  // A key at `at` may be read 8 bytes at a time when at - input <= last_word (unsigned: a key
  // outside the input wraps around to a large value).
  const std::uintptr_t last_word = c_.size >= 8 ? c_.size - 8 : 0;
  const bool input_has_word = c_.size >= 8;
  const std::uint8_t first_kind = e[map + 1].kind;
  std::uint64_t previous = 0;
  const std::uint8_t* previous_bytes = nullptr;
  std::uint32_t previous_size = 0;
  std::uint32_t k = map + 1;
  for (std::uint32_t i = 0; i < pairs; ++i) {
    const TapeEntry& key = e[k];
    if (key.kind != first_kind) return false;
    if (key.kind == kind(K::Integer)) {
      if (i > 0 && std::int64_t(key.payload) <= std::int64_t(previous)) return false;
      previous = key.payload;
    } else if ((key.kind == kind(K::Atom) && key.flags == 0) ||
               (key.kind == kind(K::Bitstring) && key.flags == 8)) {  // (neither in the side buffer)
      const auto* p = reinterpret_cast<const std::uint8_t*>(static_cast<std::uintptr_t>(key.payload));
      const std::uint32_t n = key.count;
      const auto at = reinterpret_cast<std::uintptr_t>(p);
      std::uint64_t head = 0;
      if (n >= 8 || (input_has_word && at - input <= last_word)) {
        std::memcpy(&head, p, 8);
        head = __builtin_bswap64(head) & (n >= 8 ? ~std::uint64_t(0) : ~(~std::uint64_t(0) >> (8 * n)));
      } else {
        for (std::uint32_t b = 0; b < n; ++b) head |= std::uint64_t(p[b]) << (56 - 8 * b);
      }
      if (i > 0 && head <= previous) {
        if (head < previous) return false;
        const std::uint32_t common = std::min(n, previous_size);
        const int r = common <= 8 ? 0 : std::memcmp(previous_bytes + 8, p + 8, common - 8);
        if (r > 0 || (r == 0 && previous_size >= n)) return false;
      }
      previous = head;
      previous_bytes = p;
      previous_size = n;
    } else {
      return false;
    }
    k = tape::next_index(e, k + 1);  // past the value
  }
  return true;
}

bool TapeBuilder::duplicate_keys(std::uint32_t map) {
  const TapeEntry* e = out_;
  const std::uint32_t pairs = e[map].count;
  if (keys_rise(map, pairs)) return false;
  // Not rising, or keys of several kinds: every key's form, then has_duplicate_forms().
  std::uint32_t k = map + 1;
  detail::KeyForm f{};
  forms_.clear();
  bool simple = true;
  for (std::uint32_t i = 0; i < pairs; ++i) {
    if (!(simple = key_form(e[k], f))) break;
    forms_.push_back(f);
    k = tape::next_index(e, k + 1);
  }
  if (simple) return detail::has_duplicate_forms(forms_.data(), forms_.data() + forms_.size());
  // Rare: compound or bignum keys. Compare built Terms (views: they die before the tape).
  std::vector<Term> keys;
  keys.reserve(pairs);
  k = map + 1;
  for (std::uint32_t i = 0; i < pairs; ++i) {
    keys.push_back(TapeAccess::ref(tape_, k).to_term(true));
    k = tape::next_index(e, tape::next_index(e, k));
  }
  return has_duplicate_terms(keys);
}

bool TapeBuilder::check_map_keys(const Open& o) {
  return !duplicate_keys(o.index) || c_.fail(Code::DuplicateMapKey, o.at);
}

int TapeBuilder::rare(std::uint8_t t, std::size_t at) {
  const std::uint8_t* d = c_.data;
  switch (t) {
    case tag::kSmallBig: case tag::kLargeBig: {
      std::size_t n;
      if (t == tag::kSmallBig) {
        if (!c_.need(1)) return 0;
        n = d[c_.pos++];
      } else {
        if (!c_.need(4)) return 0;
        n = load32(d + c_.pos);
        c_.pos += 4;
        if (n > tag::kMaxBigBytes) return c_.fail(Code::BigTooLarge, at);
      }
      if (!c_.need(1 + n)) return 0;
      big(d[c_.pos] != 0, d + c_.pos + 1, n);
      c_.pos += 1 + n;
      return 1;
    }
    case tag::kFloat: {
      if (!c_.need(31)) return 0;
      double v = 0;
      if (!detail::parse_float_text(d + c_.pos, v)) return c_.fail(Code::BadFloat, at);
      add(kind(K::Float), 0, 0, std::bit_cast<std::uint64_t>(v));
      c_.pos += 31;
      return 1;
    }
    case tag::kAtom: case tag::kSmallAtom: case tag::kAtomUtf8: case tag::kSmallAtomUtf8:
    case tag::kAtomCacheRef:
      c_.pos = at;
      return atom();
    case tag::kNewPid: case tag::kPid: case tag::kNewPort: case tag::kPort: case tag::kV4Port: {
      AtomText node;
      const std::uint8_t* fixed;
      bool is_pid = t == tag::kNewPid || t == tag::kPid;
      if (!(is_pid ? detail::read_pid(c_, t, at, node, fixed) : detail::read_port(c_, t, at, node, fixed)))
        return 0;
      add(kind(is_pid ? K::Pid : K::Port), t, 0, tape::pointer(fixed));
      add_atom(node);
      return 1;
    }
    case tag::kNewerReference: case tag::kNewReference: case tag::kReference: {
      AtomText node;
      const std::uint8_t* fixed;
      std::size_t words;
      if (!detail::read_reference(c_, t, at, node, words, fixed)) return 0;
      add(kind(K::Reference), t, std::uint32_t(words), tape::pointer(fixed));
      add_atom(node);
      return 1;
    }
    case tag::kBitBinary: {
      if (!c_.need(5)) return 0;
      std::size_t n = load32(d + c_.pos);
      unsigned bits = d[c_.pos + 4];
      if (!c_.need(5 + n)) return 0;
      c_.pos += 5;
      if (!bitstring(at, n, bits)) return 0;
      c_.pos += n;
      return 1;
    }
    case tag::kExport: return export_fun(at);
    case tag::kNewFun:
      if (!new_fun(at, fun_index_, fun_free_)) return 0;
      return fun_free_ == 0 ? 1 : 2;
    default:
      // Includes 73/75 (OTP 25 reads a runtime atom-table index; see README differences).
      return c_.fail(Code::UnknownTag, at);
  }
}

bool TapeBuilder::run() {
  // The position is a local: stores to the tape could alias a Cursor field, and the helpers that
  // take the Cursor get it synced around the call. Only the common tags are handled here, so that
  // the hot state stays in registers; rare() reads the others.
  const std::uint8_t* d = c_.data;
  const std::size_t size = c_.size;
  std::size_t pos = c_.pos;
  std::uint64_t left = 0;  // terms still to read in the innermost open compound
  std::size_t depth = 0;   // open compounds (stack_.size())
  const bool safe = c_.options->safe;
  auto need = [&](std::size_t n) { return n <= size - pos || c_.fail(Code::Truncated, size); };
  // Runs: while the next sibling (left > 1: not the last one) has the same tag, it is read by the
  // case's own loop, which checks only what differs per element (one mispredicted jump per run,
  // not per element). Each element read in a run is counted in `left` there.
  auto same_next = [&](std::uint8_t t, std::size_t bytes) {
    return left > 1 && size - pos >= bytes && d[pos] == t;
  };
  for (;;) {
    const std::size_t at = pos;
    if (!need(1)) return false;
    const std::uint8_t t = d[pos++];
    switch (t) {
      case tag::kSmallInteger:
        if (!need(1)) return false;
        add(kind(K::Integer), 0, 0, d[pos]);
        pos += 1;
        while (same_next(t, 2)) {
          add(kind(K::Integer), 0, 0, d[pos + 1]);
          pos += 2;
          --left;
        }
        break;
      case tag::kInteger:
        if (!need(4)) return false;
        add(kind(K::Integer), 0, 0, std::uint64_t(std::int64_t(std::int32_t(load32(d + pos)))));
        pos += 4;
        while (same_next(t, 5)) {
          add(kind(K::Integer), 0, 0, std::uint64_t(std::int64_t(std::int32_t(load32(d + pos + 1)))));
          pos += 5;
          --left;
        }
        break;
      case tag::kNewFloat: {
        if (!need(8)) return false;
        std::uint64_t bits = detail::load64(d + pos);
        if (!std::isfinite(std::bit_cast<double>(bits))) return c_.fail(Code::BadFloat, at);
        add(kind(K::Float), 0, 0, bits);
        pos += 8;
        while (same_next(t, 9)) {
          bits = detail::load64(d + pos + 1);
          if (!std::isfinite(std::bit_cast<double>(bits))) return c_.fail(Code::BadFloat, pos);
          add(kind(K::Float), 0, 0, bits);
          pos += 9;
          --left;
        }
        break;
      }
      case tag::kAtom: case tag::kSmallAtom: case tag::kAtomUtf8: case tag::kSmallAtomUtf8: {
        // The common case inline: ASCII text, no [safe]. read_atom_text decides everything else.
        const std::size_t width = (t == tag::kAtom || t == tag::kAtomUtf8) ? 2 : 1;
        if (!safe && size - pos >= width) {
          const std::size_t len = width == 2 ? load16(d + pos) : d[pos];
          if (len <= tag::kMaxAtomCharacters && len <= size - pos - width &&
              detail::ascii_only(d + pos + width, len, size - pos - width)) {
            add(kind(K::Atom), 0, std::uint32_t(len), tape::pointer(d + pos + width));
            pos += width + len;
            break;
          }
        }
        c_.pos = at;
        if (!atom()) return false;
        pos = c_.pos;
        break;
      }
      case tag::kSmallTuple: case tag::kLargeTuple: {
        std::size_t width = t == tag::kSmallTuple ? 1 : 4;
        if (!need(width)) return false;
        std::uint32_t n = width == 1 ? d[pos] : load32(d + pos);
        pos += width;
        std::uint32_t index = add(kind(K::Tuple), 0, n, used() + 1);
        if (n > 0) {
          c_.pos = pos;
          if (!open(index, n, at, left, depth)) return false;
          continue;
        }
        break;
      }
      case tag::kNil:
        add(kind(K::Nil), 0, 0, 0);
        break;
      case tag::kString: {
        if (!need(2)) return false;
        std::size_t n = load16(d + pos);
        if (!need(2 + n)) return false;
        if (n > 0) add(tape::kByteList, 0, std::uint32_t(n), tape::pointer(d + pos + 2));
        else add(kind(K::Nil), 0, 0, 0);
        pos += 2 + n;
        break;
      }
      case tag::kList: {
        if (!need(4)) return false;
        std::uint64_t n = load32(d + pos);
        pos += 4;
        if (n == 0) continue;  // OTP: a LIST_EXT of length 0 is just its tail
        c_.pos = pos;
        if (!open(add(kind(K::List), 0, std::uint32_t(n), 0), n + 1, at, left, depth)) return false;
        continue;
      }
      case tag::kBinary: {
        if (!need(4)) return false;
        std::size_t n = load32(d + pos);
        if (!need(4 + n)) return false;
        add(kind(K::Bitstring), 8, std::uint32_t(n), tape::pointer(d + pos + 4));
        pos += 4 + n;
        while (same_next(t, 5)) {
          n = load32(d + pos + 1);
          if (n > size - pos - 5) break;  // truncated: the main loop reports it
          add(kind(K::Bitstring), 8, std::uint32_t(n), tape::pointer(d + pos + 5));
          pos += 5 + n;
          --left;
        }
        break;
      }
      case tag::kMap: {
        if (!need(4)) return false;
        std::uint64_t n = load32(d + pos);
        pos += 4;
        if (n >= (std::uint64_t(1) << 31)) return c_.fail(Code::TooLarge, at);
        std::uint32_t index = add(kind(K::Map), 0, std::uint32_t(n), used() + 1);
        if (n > 0) {
          c_.pos = pos;
          if (!open(index, 2 * n, at, left, depth)) return false;
          continue;
        }
        break;
      }
      default: {
        c_.pos = pos;
        const int done = rare(t, at);
        pos = c_.pos;
        if (done == 0) return false;
        if (done == 2) {
          if (!open(fun_index_, fun_free_, at, left, depth)) return false;
          continue;
        }
        break;
      }
    }
    // A complete term: count it in its parent, closing every compound it completes.
    for (;;) {
      if (depth == 0) {
        c_.pos = pos;
        return true;
      }
      if (--left != 0) break;
      c_.pos = pos;
      if (!close(stack_.back())) return false;
      stack_.pop();
      if (--depth != 0) left = stack_.back().remaining;
    }
  }
}

void reset(TermTape& tape) {
  TapeAccess::size(tape) = 0;
  TapeAccess::side(tape).clear();
  TapeAccess::inflated(tape).reset();
  TapeAccess::used(tape) = 0;
}

bool build(Cursor& c, TermTape& tape) { return TapeBuilder(c, tape).run(); }

}  // namespace

bool detail::check_with_tape(Cursor& c) {
  TermTape scratch;
  return build(c, scratch);
}

Result<std::size_t, DecodeError> decode_tape_into(TermTape& tape, std::span<const std::uint8_t> bytes,
                                                  const DecodeOptions& options) {
  reset(tape);
  if (bytes.empty()) return DecodeError{Code::Truncated, 0};
  if (bytes[0] != tag::kVersion) return DecodeError{Code::BadVersion, 0};
  if (bytes.size() >= 2 && bytes[1] == tag::kCompressed) {
    auto inflated = detail::inflate_payload(bytes.subspan(2), 1);
    if (!inflated) return inflated.error();
    auto& data = inflated->data;
    if ((*data)[0] == tag::kVersion) return DecodeError{Code::Compression, 6};
    // Offsets inside compressed data are 6 (the header) plus the offset in the inflated bytes.
    Cursor c{data->data(), data->size(), 0, 6, &options};
    TapeAccess::inflated(tape) = data;
    if (!build(c, tape)) return c.error;
    // As OTP: [used] covers the header and the zlib stream; inflated bytes after the term and
    // input bytes after the stream are ignored.
    return TapeAccess::used(tape) = 6 + inflated->stream_bytes;
  }
  Cursor c{bytes.data(), bytes.size(), 1, 0, &options};
  if (!build(c, tape)) return c.error;
  return TapeAccess::used(tape) = c.pos;
}

Result<std::size_t, DecodeError> decode_tape_body_into(TermTape& tape, std::span<const std::uint8_t> bytes,
                                                       const DecodeOptions& options) {
  reset(tape);
  Cursor c{bytes.data(), bytes.size(), 0, 0, &options};
  if (!build(c, tape)) return c.error;
  return TapeAccess::used(tape) = c.pos;
}

Result<TermTape, DecodeError> decode_tape(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  TermTape tape;
  auto used = decode_tape_into(tape, bytes, options);
  if (!used) return used.error();
  return tape;
}

}  // namespace distspec::etf
