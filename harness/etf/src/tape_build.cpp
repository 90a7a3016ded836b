// The decoder proper: one pass over the input that fills a tape (tape_internal.hpp has the layout).
// decode() materializes a Term from the tape; validate() uses the tape builder only for what its
// skipper hands over. Nesting lives in a heap stack of open compounds, never on the C++ stack.
// This file holds the hot loop over the common tags and the entry points; the rare tags are in
// tape_build_rare.cpp, the duplicate-key check in tape_map_keys.cpp.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>

#include "tape_builder.hpp"

namespace distspec::etf::detail {

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
  const std::size_t max_depth = c_.options->max_depth;
  const bool local_node = c_.options->local_node != nullptr;
  const AtomCacheView* const atom_cache = c_.options->atom_cache;
  auto need = [&](std::size_t n) { return n <= size - pos || c_.fail(Code::Truncated, size); };
  // Runs: while the next sibling (left > 1: not the last one) has the same tag, it is read by the
  // case's own loop, which checks only what differs per element (one mispredicted jump per run,
  // not per element). Each element read in a run is counted in `left` there.
  auto same_next = [&](std::uint8_t t, std::size_t bytes) {
    return left > 1 && size - pos >= bytes && d[pos] == t;
  };
  std::size_t at = 0;  // where the current term's tag is
  // An ASCII atom with a length field of `width` bytes (pos after the tag): added, or false.
  auto inline_atom = [&](auto width) {
    if (size - pos < width) return false;
    const std::size_t len = width == 2 ? load16(d + pos) : d[pos];
    if (len > tag::kMaxAtomCharacters || len > size - pos - width ||
        !detail::ascii_only(d + pos + width, len, size - pos - width))
      return false;
    add(kind(K::Atom), 0, std::uint32_t(len), tape::pointer(d + pos + width));
    pos += width + len;
    return true;
  };
  auto slow_atom = [&] {
    c_.pos = at;
    if (!atom()) return false;
    pos = c_.pos;
    return true;
  };
  // A tuple of n elements whose header is `width` bytes after the tag: added and opened if n > 0.
  auto tuple = [&](std::uint32_t n, std::size_t width) {
    pos += width;
    const std::uint32_t index = add(kind(K::Tuple), 0, n, used() + 1);
    return n == 0 || open(index, n, at, left, depth, size - pos, max_depth);
  };
  for (;;) {
    at = pos;
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
      // The common atoms inline: ASCII text, no [safe]. read_atom_text decides everything else.
      // One case per length width, so that the width is a constant in each.
      case tag::kSmallAtomUtf8: case tag::kSmallAtom:
        if (!safe && inline_atom(std::integral_constant<std::size_t, 1>{})) break;
        if (!slow_atom()) return false;
        break;
      case tag::kAtomUtf8: case tag::kAtom:
        if (!safe && inline_atom(std::integral_constant<std::size_t, 2>{})) break;
        if (!slow_atom()) return false;
        break;
      // After a distribution header most atoms are cache references: the cached atom at once
      // (read_atom_text reports a missing view, a short input or an unset index).
      case tag::kAtomCacheRef:
        if (atom_cache && pos < size) {
          if (const Atom* cached = atom_cache->lookup(d[pos])) {
            add(kind(K::Atom), 0, std::uint32_t(cached->name.size()), tape::pointer(cached->name.data()));
            pos += 1;
            break;
          }
        }
        if (!slow_atom()) return false;
        break;
      case tag::kSmallTuple:
        if (!need(1)) return false;
        if (!tuple(d[pos], 1)) return false;
        if (d[pos - 1] != 0) continue;
        break;
      case tag::kLargeTuple:
        if (!need(4)) return false;
        if (!tuple(load32(d + pos), 4)) return false;
        if (load32(d + pos - 4) != 0) continue;
        break;
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
        if (!open(add(kind(K::List), 0, std::uint32_t(n), 0), n + 1, at, left, depth, size - pos, max_depth))
          return false;
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
          if (!open(index, 2 * n, at, left, depth, size - pos, max_depth)) return false;
          continue;
        }
        break;
      }
      // Pids, ports and references naming the node read last (most do), when no local node is
      // configured (its limits need the numbers checked): the node atom's reading is reused
      // after one compare of its bytes, and these tags' fixed fields need no other check. Any
      // other case (another node, truncation, a bad word count) is read by rare().
      case tag::kNewPid: case tag::kNewPort: case tag::kV4Port: case tag::kNewerReference: {
        if (!local_node) {
          std::size_t p = pos, words = 0;
          if (t == tag::kNewerReference) {
            words = size - p >= 2 ? load16(d + p) : 0;
            p += 2;
          }
          std::size_t node = c_.node_size;
          // The term's first node: read (and remembered) here by read_node_atom as rare() would
          // read it, so that it and the nodes after it take this path. A reference's word count
          // is checked first, as read_reference does: errors come in rare()'s order.
          if (node == 0 && p < size && (t != tag::kNewerReference || (words >= 1 && words <= kMaxReferenceWords))) {
            c_.pos = p;
            detail::AtomText first;
            if (!detail::read_node_atom(c_, first)) return false;
            node = c_.node_size;
          }
          const std::size_t fixed = t == tag::kNewerReference ? 4 + 4 * words : (t == tag::kNewPort ? 8 : 12);
          if (node != 0 && (t != tag::kNewerReference || (words >= 1 && words <= kMaxReferenceWords)) && p <= size &&
              size - p >= node + fixed && detail::same_bytes(d + p, c_.node_bytes, node)) {
            const K k = t == tag::kNewPid ? K::Pid : (t == tag::kNewerReference ? K::Reference : K::Port);
            add(kind(k), t, std::uint32_t(words), tape::pointer(d + p + node));
            add_atom(c_.node_text);
            pos = p + node + fixed;
            break;
          }
        }
        [[fallthrough]];
      }
      default: {
        c_.pos = pos;
        const int done = rare(t, at);
        pos = c_.pos;
        if (done == 0) return false;
        if (done == 2) {
          if (!open(fun_index_, fun_free_, at, left, depth, size - pos, max_depth)) return false;
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

namespace {

void reset_tape(TermTape& tape) {
  TapeAccess::size(tape) = 0;
  TapeAccess::side(tape).clear();
  TapeAccess::inflated(tape).reset();
  TapeAccess::used(tape) = 0;
}

bool build(Cursor& c, TermTape& tape) { return TapeBuilder(c, tape).run(); }

}  // namespace

bool check_with_tape(Cursor& c) {
  TermTape scratch;
  return build(c, scratch);
}

}  // namespace distspec::etf::detail

namespace distspec::etf {

using detail::Cursor;
using Code = DecodeErrorCode;
using detail::build;
using detail::reset_tape;

Result<std::size_t, DecodeError> decode_tape_into(TermTape& tape, std::span<const std::uint8_t> bytes,
                                                  const DecodeOptions& options) {
  reset_tape(tape);
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
  reset_tape(tape);
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
