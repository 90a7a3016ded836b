// The decoder: one iterative engine for decode() (builds Terms) and validate() (builds nothing
// but map keys, which the duplicate-key check needs). Nesting lives in a heap stack of frames.
#include "distspec/etf/decode.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>

#include "decode_internal.hpp"

namespace distspec::etf {
namespace {

using detail::Cursor;
using detail::load16;
using detail::load32;
using Code = DecodeErrorCode;

enum class FrameType : std::uint8_t { Tuple, List, Map, Fun };

struct Frame {
  FrameType type;
  bool build;               // the parent wants this frame's Term
  std::uint64_t remaining;  // items still to read
  std::uint64_t index;      // items read so far
  std::size_t offset;       // of the tag, for errors found when the frame ends
  std::vector<Term> items;  // tuple elements; list elements + tail; free vars; validate's map keys
  std::vector<std::pair<Term, Term>> pairs;  // a map being built
  std::unique_ptr<LocalFun> fun;
  // validate() still needs map keys as Terms, for the duplicate-key check.
  bool wants_child() const { return build || (type == FrameType::Map && (index & 1) == 0); }
};

Term make_big(bool negative, const std::uint8_t* digits, std::size_t n) {
  while (n > 0 && digits[n - 1] == 0) --n;
  if (n <= 8) {
    std::uint64_t m = 0;
    for (std::size_t i = n; i-- > 0;) m = m << 8 | digits[i];
    if (m <= std::uint64_t(INT64_MAX)) return Term::integer(negative ? -std::int64_t(m) : std::int64_t(m));
    if (negative && m == std::uint64_t(1) << 63) return Term::integer(INT64_MIN);
  }
  return Term::big_integer(negative, std::vector<std::uint8_t>(digits, digits + n));
}

// exactly_equal() for the common map keys without the generic comparison: atoms, binaries and
// small integers are equal only to their own kind (the decoder normalises integers, so an
// Integer never equals a BigInteger). Other kinds go to exactly_equal().
bool keys_equal(const Term& a, const Term& b) {
  auto simple = [](Term::Kind k) {
    return k == Term::Kind::Atom || k == Term::Kind::Integer || k == Term::Kind::Bitstring;
  };
  Term::Kind ka = a.kind(), kb = b.kind();
  if (!simple(ka) || !simple(kb)) return exactly_equal(a, b);
  if (ka != kb) return false;
  switch (ka) {
    case Term::Kind::Atom: return a.as_atom().name == b.as_atom().name;
    case Term::Kind::Integer: return a.as_integer() == b.as_integer();
    default: {
      const Bitstring& x = a.as_bitstring();
      const Bitstring& y = b.as_bitstring();
      if (!x.is_binary() || !y.is_binary()) return exactly_equal(a, b);
      return x.byte_size == y.byte_size &&
             (x.byte_size == 0 || std::memcmp(x.data, y.data, x.byte_size) == 0);
    }
  }
}

// Duplicate keys by exact equality (1 and 1.0 differ; 0.0 and -0.0 do not, as in OTP 25).
template <class KeyAt>
bool has_duplicate_keys(std::size_t n, KeyAt key) {
  if (n <= 16) {
    for (std::size_t i = 1; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (keys_equal(key(i), key(j))) return true;
    return false;
  }
  std::vector<const Term*> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = &key(i);
  std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return map_key_less(*a, *b); });
  for (std::size_t i = 1; i < n; ++i)
    if (exactly_equal(*keys[i - 1], *keys[i])) return true;
  return false;
}

// Observed on OTP 25: Len 0 needs Bits 0; otherwise Bits is 1..8.
bool valid_bit_count(std::size_t n, unsigned bits) { return n == 0 ? bits == 0 : bits >= 1 && bits <= 8; }

template <bool kBuild>
class Engine {
 public:
  Engine(Cursor& c, std::shared_ptr<const void> owner) : c_(c), owner_(std::move(owner)) {}
  bool run(Term& result);

 private:
  bool push(FrameType type, std::uint64_t count, std::size_t at, bool want) {
    if (count > c_.left()) return c_.fail(Code::TooLarge, at);  // every item takes >= 1 byte
    if (stack_.size() >= c_.options->max_depth) return c_.fail(Code::TooDeep, at);
    Frame& f = stack_.emplace_back(Frame{type, want, count, 0, at, {}, {}, {}});
    if (type != FrameType::Map) {
      if (want) f.items.reserve(count);
    } else if (want) {
      f.pairs.reserve(count / 2);
    } else {
      f.items.reserve(count / 2);
    }
    return true;
  }
  bool finish(Frame& f, Term& out);
  Term binary(const std::uint8_t* p, std::size_t n) {
    // validate() builds only map keys, dropped before it returns: views suffice there.
    if (kBuild && !c_.options->binary_views) return Term::binary_copy({p, n});
    Term t = Term::binary_view({p, n});
    if (owner_) {
      Bitstring b = t.as_bitstring();
      b.owner = owner_;
      return Term::bitstring(std::move(b));
    }
    return t;
  }
  bool bitstring(std::size_t at, std::size_t n, unsigned bits, Term& out);
  bool new_fun(std::size_t at, bool want, Term& out, bool& pushed);
  bool export_fun(std::size_t at, bool want, Term& out);

  Cursor& c_;
  std::shared_ptr<const void> owner_;  // keeps inflated data alive for binary views
  std::vector<Frame> stack_;
};

template <bool kBuild>
bool Engine<kBuild>::finish(Frame& f, Term& out) {
  if (f.type == FrameType::Map) {
    bool duplicate =
        f.build ? has_duplicate_keys(f.pairs.size(), [&](std::size_t i) -> const Term& { return f.pairs[i].first; })
                : has_duplicate_keys(f.items.size(), [&](std::size_t i) -> const Term& { return f.items[i]; });
    if (duplicate) return c_.fail(Code::DuplicateMapKey, f.offset);
  }
  if (!f.build) return true;
  switch (f.type) {
    case FrameType::Tuple: out = Term::tuple(std::move(f.items)); break;
    case FrameType::List: {
      Term tail = std::move(f.items.back());
      f.items.pop_back();
      out = Term::list(std::move(f.items), std::move(tail));
      break;
    }
    case FrameType::Map: out = Term::map(std::move(f.pairs)); break;
    case FrameType::Fun:
      f.fun->free_vars = std::move(f.items);
      out = Term::local_fun(std::move(*f.fun));
      break;
  }
  return true;
}

template <bool kBuild>
bool Engine<kBuild>::bitstring(std::size_t at, std::size_t n, unsigned bits, Term& out) {
  if (!valid_bit_count(n, bits)) return c_.fail(Code::BadBitstring, at);
  const std::uint8_t* p = c_.data + c_.pos;
  if (bits == 8 || n == 0) {
    out = binary(p, n);
    return true;
  }
  // OTP ignores the unused low bits of the last byte; we hold them as zero (copying if needed).
  auto mask = std::uint8_t(0xFF << (8 - bits));
  Bitstring b;
  if ((p[n - 1] & ~mask) == 0) {
    b = binary(p, n).as_bitstring();
  } else {
    auto storage = std::make_shared_for_overwrite<std::uint8_t[]>(n);
    std::memcpy(storage.get(), p, n);
    storage[n - 1] &= mask;
    b.data = storage.get();
    b.byte_size = n;
    b.owner = std::move(storage);
  }
  b.bits_in_last_byte = std::uint8_t(bits);
  out = Term::bitstring(std::move(b));
  return true;
}

template <bool kBuild>
bool Engine<kBuild>::export_fun(std::size_t at, bool want, Term& out) {
  ExportFun f;
  bool names = want || c_.options->safe;
  if (!detail::read_atom(c_, names ? &f.module : nullptr)) return false;
  if (!detail::read_atom(c_, names ? &f.function : nullptr)) return false;
  std::int64_t arity = 0;
  if (!detail::read_small(c_, arity, Code::BadFun)) return false;
  if (arity < 0 || arity > INT32_MAX) return c_.fail(Code::BadFun, at);
  f.arity = std::uint32_t(arity);
  if (c_.options->safe && c_.options->export_exists && !c_.options->export_exists(f))
    return c_.fail(Code::UnsafeAtom, at);
  if (want) out = Term::export_fun(std::move(f));
  return true;
}

template <bool kBuild>
bool Engine<kBuild>::new_fun(std::size_t at, bool want, Term& out, bool& pushed) {
  // Size:4 (ignored, as OTP does), Arity:1, Uniq:16, Index:4, NumFree:4.
  if (!c_.need(29)) return false;
  const std::uint8_t* p = c_.data + c_.pos;
  c_.pos += 29;
  auto fun = std::make_unique<LocalFun>();
  fun->arity = p[4];
  std::memcpy(fun->uniq.data(), p + 5, 16);
  fun->index = load32(p + 21);
  std::uint32_t num_free = load32(p + 25);
  if (num_free > tag::kMaxFunFree) return c_.fail(Code::BadFun, at);
  if (!detail::read_atom(c_, want ? &fun->module : nullptr)) return false;
  if (!detail::read_small(c_, fun->old_index, Code::BadFun)) return false;
  if (!detail::read_small(c_, fun->old_uniq, Code::BadFun)) return false;
  std::size_t pid_at = c_.pos;
  if (!c_.need(1)) return false;
  std::uint8_t pid_tag = c_.data[c_.pos++];
  if (pid_tag != tag::kNewPid && pid_tag != tag::kPid) return c_.fail(Code::BadFun, pid_at);
  Pid pid;
  if (!detail::read_pid(c_, pid_tag, pid_at, want ? &pid : nullptr)) return false;
  if (want) fun->pid = std::make_shared<const Term>(Term::pid(std::move(pid)));
  pushed = num_free > 0;
  if (pushed) {
    if (!push(FrameType::Fun, num_free, at, want)) return false;
    stack_.back().fun = std::move(fun);
  } else if (want) {
    out = Term::local_fun(std::move(*fun));
  }
  return true;
}

template <bool kBuild>
bool Engine<kBuild>::run(Term& result) {
  const std::uint8_t* d = c_.data;
  for (;;) {
    const bool want = kBuild || (!stack_.empty() && stack_.back().wants_child());
    const std::size_t at = c_.pos;
    if (!c_.need(1)) return false;
    const std::uint8_t t = d[c_.pos++];
    Term leaf;
    switch (t) {
      case tag::kSmallInteger:
        if (!c_.need(1)) return false;
        if (want) leaf = Term::integer(d[c_.pos]);
        c_.pos += 1;
        break;
      case tag::kInteger:
        if (!c_.need(4)) return false;
        if (want) leaf = Term::integer(std::int32_t(load32(d + c_.pos)));
        c_.pos += 4;
        break;
      case tag::kSmallBig: case tag::kLargeBig: {
        std::size_t n;
        if (t == tag::kSmallBig) {
          if (!c_.need(1)) return false;
          n = d[c_.pos++];
        } else {
          if (!c_.need(4)) return false;
          n = load32(d + c_.pos);
          c_.pos += 4;
          if (n > tag::kMaxBigBytes) return c_.fail(Code::BigTooLarge, at);
        }
        if (!c_.need(1 + n)) return false;
        if (want) leaf = make_big(d[c_.pos] != 0, d + c_.pos + 1, n);
        c_.pos += 1 + n;
        break;
      }
      case tag::kNewFloat: {
        if (!c_.need(8)) return false;
        double v = std::bit_cast<double>(detail::load64(d + c_.pos));
        if (!std::isfinite(v)) return c_.fail(Code::BadFloat, at);
        if (want) leaf = Term::float_(v);
        c_.pos += 8;
        break;
      }
      case tag::kFloat: {
        if (!c_.need(31)) return false;
        double v = 0;
        if (!detail::parse_float_text(d + c_.pos, v)) return c_.fail(Code::BadFloat, at);
        if (want) leaf = Term::float_(v);
        c_.pos += 31;
        break;
      }
      case tag::kAtom: case tag::kSmallAtom: case tag::kAtomUtf8: case tag::kSmallAtomUtf8:
      case tag::kAtomCacheRef: {
        c_.pos = at;
        if (want) {
          Atom a;
          if (!detail::read_atom(c_, &a)) return false;
          leaf = Term::atom(std::move(a));
        } else if (!detail::read_atom(c_, nullptr)) {
          return false;
        }
        break;
      }
      case tag::kNewPid: case tag::kPid: {
        Pid p;
        if (!detail::read_pid(c_, t, at, want ? &p : nullptr)) return false;
        if (want) leaf = Term::pid(std::move(p));
        break;
      }
      case tag::kNewPort: case tag::kPort: case tag::kV4Port: {
        Port p;
        if (!detail::read_port(c_, t, at, want ? &p : nullptr)) return false;
        if (want) leaf = Term::port(std::move(p));
        break;
      }
      case tag::kNewerReference: case tag::kNewReference: case tag::kReference: {
        Reference r;
        if (!detail::read_reference(c_, t, at, want ? &r : nullptr)) return false;
        if (want) leaf = Term::reference(std::move(r));
        break;
      }
      case tag::kSmallTuple: case tag::kLargeTuple: {
        std::size_t width = t == tag::kSmallTuple ? 1 : 4;
        if (!c_.need(width)) return false;
        std::uint32_t n = width == 1 ? d[c_.pos] : load32(d + c_.pos);
        c_.pos += width;
        if (n > 0) {
          if (!push(FrameType::Tuple, n, at, want)) return false;
          continue;
        }
        if (want) leaf = Term::tuple({});
        break;
      }
      case tag::kNil:
        break;  // leaf is already []
      case tag::kString: {
        if (!c_.need(2)) return false;
        std::size_t n = load16(d + c_.pos);
        if (!c_.need(2 + n)) return false;
        if (want && n > 0) {
          std::vector<Term> chars;
          chars.reserve(n);
          for (std::size_t i = 0; i < n; ++i) chars.push_back(Term::integer(d[c_.pos + 2 + i]));
          leaf = Term::list(std::move(chars));
        }
        c_.pos += 2 + n;
        break;
      }
      case tag::kList: {
        if (!c_.need(4)) return false;
        std::uint64_t n = load32(d + c_.pos);
        c_.pos += 4;
        if (n == 0) continue;  // OTP: a LIST_EXT of length 0 is just its tail
        if (!push(FrameType::List, n + 1, at, want)) return false;
        continue;
      }
      case tag::kBinary: {
        if (!c_.need(4)) return false;
        std::size_t n = load32(d + c_.pos);
        if (!c_.need(4 + n)) return false;
        if (want) leaf = binary(d + c_.pos + 4, n);
        c_.pos += 4 + n;
        break;
      }
      case tag::kBitBinary: {
        if (!c_.need(5)) return false;
        std::size_t n = load32(d + c_.pos);
        unsigned bits = d[c_.pos + 4];
        if (!c_.need(5 + n)) return false;
        c_.pos += 5;
        if (want) {
          if (!bitstring(at, n, bits, leaf)) return false;
        } else if (!valid_bit_count(n, bits)) {
          return c_.fail(Code::BadBitstring, at);
        }
        c_.pos += n;
        break;
      }
      case tag::kMap: {
        if (!c_.need(4)) return false;
        std::uint64_t n = load32(d + c_.pos);
        c_.pos += 4;
        if (n >= (std::uint64_t(1) << 31)) return c_.fail(Code::TooLarge, at);
        if (n > 0) {
          if (!push(FrameType::Map, 2 * n, at, want)) return false;
          continue;
        }
        if (want) leaf = Term::map({});
        break;
      }
      case tag::kExport:
        if (!export_fun(at, want, leaf)) return false;
        break;
      case tag::kNewFun: {
        bool pushed = false;
        if (!new_fun(at, want, leaf, pushed)) return false;
        if (pushed) continue;
        break;
      }
      default:
        // Includes 73/75 (OTP 25 reads a runtime atom-table index; see README differences).
        return c_.fail(Code::UnknownTag, at);
    }
    // A complete term: hand it to its parent, closing every frame it completes.
    for (;;) {
      if (stack_.empty()) {
        if (kBuild) result = std::move(leaf);
        return true;
      }
      Frame& f = stack_.back();
      if (f.type == FrameType::Map && f.build) {
        if ((f.index & 1) == 0) f.pairs.emplace_back(std::move(leaf), Term());
        else f.pairs.back().second = std::move(leaf);
      } else if (kBuild || f.wants_child()) {
        f.items.push_back(std::move(leaf));
      }
      ++f.index;
      if (--f.remaining != 0) break;
      if (!finish(f, leaf)) return false;
      stack_.pop_back();
    }
  }
}

// decode() runs the engine; validate() runs the faster skipper (validate.cpp), which itself falls
// back to the engine where it cannot answer alone.
template <bool kBuild>
bool run_engine(Cursor& c, std::shared_ptr<const void> owner, Term& term) {
  if constexpr (kBuild) {
    return Engine<true>(c, std::move(owner)).run(term);
  } else {
    return detail::skip_term(c);
  }
}

struct Inflated {
  std::shared_ptr<std::vector<std::uint8_t>> data;
  std::size_t stream_bytes;  // input bytes the zlib stream took
};

// Inflates a COMPRESSED payload: UncompressedSize:32 then a zlib stream that must inflate to
// exactly that size. `at` is the offset of the 80 tag.
Result<Inflated, DecodeError> inflate_payload(std::span<const std::uint8_t> in, std::size_t at) {
  if (in.size() < 4) return DecodeError{Code::Truncated, at + 1 + in.size()};
  std::uint64_t claimed = load32(in.data());
  std::span<const std::uint8_t> stream = in.subspan(4);
  // deflate cannot expand more than 1032:1, so a larger claim cannot be met: refuse it before
  // allocating (OTP fails on the size mismatch after inflating).
  if (claimed == 0 || claimed > stream.size() * 1032 + 64) return DecodeError{Code::Compression, at};
  auto out = std::make_shared<std::vector<std::uint8_t>>(claimed);
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return DecodeError{Code::Compression, at};
  z.next_in = const_cast<Bytef*>(stream.data());
  z.avail_in = uInt(std::min<std::size_t>(stream.size(), UINT32_MAX));
  z.next_out = out->data();
  z.avail_out = uInt(claimed);
  int rc = inflate(&z, Z_FINISH);
  std::size_t produced = z.total_out, consumed = z.total_in;
  inflateEnd(&z);
  if (rc != Z_STREAM_END || produced != claimed) return DecodeError{Code::Compression, at};
  return Inflated{std::move(out), consumed};
}

template <bool kBuild>
Result<Decoded, DecodeError> decode_with_version(std::span<const std::uint8_t> bytes,
                                                 const DecodeOptions& options) {
  if (bytes.empty()) return DecodeError{Code::Truncated, 0};
  if (bytes[0] != tag::kVersion) return DecodeError{Code::BadVersion, 0};
  Term term;
  if (bytes.size() >= 2 && bytes[1] == tag::kCompressed) {
    auto inflated = inflate_payload(bytes.subspan(2), 1);
    if (!inflated) return inflated.error();
    auto& data = inflated->data;
    if ((*data)[0] == tag::kVersion) return DecodeError{Code::Compression, 6};
    // Offsets inside compressed data are 6 (the header) plus the offset in the inflated bytes.
    Cursor c{data->data(), data->size(), 0, 6, &options};
    if (!run_engine<kBuild>(c, data, term)) return c.error;
    // As OTP: [used] covers the header and the zlib stream; inflated bytes after the term and
    // input bytes after the stream are ignored.
    return Decoded{std::move(term), 6 + inflated->stream_bytes};
  }
  Cursor c{bytes.data(), bytes.size(), 1, 0, &options};
  if (!run_engine<kBuild>(c, nullptr, term)) return c.error;
  return Decoded{std::move(term), c.pos};
}

}  // namespace

bool detail::check_with_engine(Cursor& c) {
  Term unused;
  return Engine<false>(c, nullptr).run(unused);
}

namespace {
const DecodeOptions& default_options() {
  static const DecodeOptions options;
  return options;
}
}  // namespace

Result<Decoded, DecodeError> decode(std::span<const std::uint8_t> bytes) {
  return decode(bytes, default_options());
}
Result<Term, DecodeError> decode_exact(std::span<const std::uint8_t> bytes) {
  return decode_exact(bytes, default_options());
}
Result<Decoded, DecodeError> decode_body(std::span<const std::uint8_t> bytes) {
  return decode_body(bytes, default_options());
}
Result<std::size_t, DecodeError> validate(std::span<const std::uint8_t> bytes) {
  return validate(bytes, default_options());
}

std::string_view to_string(DecodeErrorCode code) {
  switch (code) {
    case Code::Truncated: return "truncated";
    case Code::BadVersion: return "bad version byte (expected 131)";
    case Code::UnknownTag: return "unknown tag";
    case Code::BadAtom: return "bad atom";
    case Code::BadFloat: return "bad float";
    case Code::BadBitstring: return "bad bitstring bit count";
    case Code::BadCreation: return "bad creation";
    case Code::BadReference: return "bad reference";
    case Code::BadNodeName: return "bad node or number in pid/port";
    case Code::BadFun: return "bad fun";
    case Code::DuplicateMapKey: return "duplicate map key";
    case Code::BigTooLarge: return "bignum too large";
    case Code::Compression: return "bad compressed data";
    case Code::UnsafeAtom: return "unsafe: would create an atom or refer to an unknown export";
    case Code::TooDeep: return "nested too deep";
    case Code::TooLarge: return "count larger than the input can hold";
    case Code::TrailingBytes: return "trailing bytes after the term";
  }
  return "unknown error";
}

Result<Decoded, DecodeError> decode(std::span<const std::uint8_t> bytes,
                                    const DecodeOptions& options) {
  return decode_with_version<true>(bytes, options);
}

Result<Term, DecodeError> decode_exact(std::span<const std::uint8_t> bytes,
                                       const DecodeOptions& options) {
  auto decoded = decode(bytes, options);
  if (!decoded) return decoded.error();
  if (decoded->used != bytes.size()) return DecodeError{Code::TrailingBytes, decoded->used};
  return std::move(decoded->term);
}

Result<Decoded, DecodeError> decode_body(std::span<const std::uint8_t> bytes,
                                         const DecodeOptions& options) {
  Cursor c{bytes.data(), bytes.size(), 0, 0, &options};
  Term term;
  Engine<true> engine(c, nullptr);
  if (!engine.run(term)) return c.error;
  return Decoded{std::move(term), c.pos};
}

Result<std::size_t, DecodeError> validate(std::span<const std::uint8_t> bytes,
                                          const DecodeOptions& options) {
  if (bytes.size() >= 2 && bytes[0] == tag::kVersion && bytes[1] != tag::kCompressed) {
    Cursor c{bytes.data(), bytes.size(), 1, 0, &options};  // the common case, without a Term
    if (!detail::skip_term(c)) return c.error;
    return c.pos;
  }
  auto checked = decode_with_version<false>(bytes, options);
  if (!checked) return checked.error();
  return checked->used;
}

}  // namespace distspec::etf
