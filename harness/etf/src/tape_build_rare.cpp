// The tape builder's rare tags, out of the hot loop: bignums, FLOAT_EXT, atoms off the inline
// fast path, pids, ports, references, bit binaries, export and local funs.
#include <bit>
#include <cmath>
#include <cstring>

#include "tape_builder.hpp"

namespace distspec::etf::detail {

namespace {
// Observed on OTP 25: Len 0 needs Bits 0; otherwise Bits is 1..8.
bool valid_bit_count(std::size_t n, unsigned bits) { return n == 0 ? bits == 0 : bits >= 1 && bits <= 8; }
}  // namespace

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

}  // namespace distspec::etf::detail
