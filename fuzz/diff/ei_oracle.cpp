#include "diff/ei_oracle.hpp"

#define USE_EI_UNDOCUMENTED
#include <ei.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace distspec::fuzz {
namespace bp = boost::process;
namespace {

constexpr int kMaxDepth = 10'000;  // the walk below recurses

// Decodes one term at buf[*index] with ei and appends ei's encoding of it to x; -1 if ei fails.
int copy_term(const char* buf, int* index, ei_x_buff* x, int depth) {
  int type = 0, size = 0;
  if (depth > kMaxDepth || ei_get_type(buf, index, &type, &size) < 0) return -1;
  switch (type) {
    case ERL_SMALL_INTEGER_EXT:
    case ERL_INTEGER_EXT:
    case ERL_SMALL_BIG_EXT:
    case ERL_LARGE_BIG_EXT: {
      long long v;
      unsigned long long u;
      if (int at = *index; ei_decode_longlong(buf, &at, &v) == 0) return *index = at, ei_x_encode_longlong(x, v);
      if (int at = *index; ei_decode_ulonglong(buf, &at, &u) == 0) return *index = at, ei_x_encode_ulonglong(x, u);
      erlang_big* big = ei_alloc_big(size);
      int rc = big ? ei_decode_big(buf, index, big) : -1;
      if (rc == 0) rc = ei_x_encode_big(x, big);
      if (big) ei_free_big(big);
      return rc;
    }
    case ERL_FLOAT_EXT:
    case NEW_FLOAT_EXT: {
      double d;
      return ei_decode_double(buf, index, &d) < 0 ? -1 : ei_x_encode_double(x, d);
    }
    case ERL_ATOM_EXT:
    case ERL_SMALL_ATOM_EXT:
    case ERL_ATOM_UTF8_EXT:
    case ERL_SMALL_ATOM_UTF8_EXT: {
      char atom[MAXATOMLEN_UTF8];
      erlang_char_encoding was, result;
      if (ei_decode_atom_as(buf, index, atom, sizeof atom, ERLANG_UTF8, &was, &result) < 0) return -1;
      return ei_x_encode_atom_len_as(x, atom, int(std::strlen(atom)), ERLANG_UTF8, ERLANG_UTF8);
    }
    case ERL_SMALL_TUPLE_EXT:
    case ERL_LARGE_TUPLE_EXT: {
      int arity;
      if (ei_decode_tuple_header(buf, index, &arity) < 0 || ei_x_encode_tuple_header(x, arity) < 0) return -1;
      for (int i = 0; i < arity; ++i)
        if (copy_term(buf, index, x, depth + 1) < 0) return -1;
      return 0;
    }
    case ERL_NIL_EXT: {
      int arity;
      return ei_decode_list_header(buf, index, &arity) < 0 ? -1 : ei_x_encode_empty_list(x);
    }
    case ERL_STRING_EXT: {
      std::vector<char> s(size + 1);
      return ei_decode_string(buf, index, s.data()) < 0 ? -1 : ei_x_encode_string_len(x, s.data(), size);
    }
    case ERL_LIST_EXT: {
      int arity;
      if (ei_decode_list_header(buf, index, &arity) < 0) return -1;
      // LIST_EXT of length 0 is just its tail; ei_x_encode_list_header(x, 0) would write a [] too.
      if (arity > 0 && ei_x_encode_list_header(x, arity) < 0) return -1;
      for (int i = 0; i < arity; ++i)
        if (copy_term(buf, index, x, depth + 1) < 0) return -1;
      return copy_term(buf, index, x, depth + 1);  // the tail
    }
    case ERL_BINARY_EXT: {
      std::vector<char> bytes(size + 1);
      long len;
      return ei_decode_binary(buf, index, bytes.data(), &len) < 0 ? -1 : ei_x_encode_binary(x, bytes.data(), len);
    }
    case ERL_BIT_BINARY_EXT: {
      const char* p;
      unsigned int bitoffs;
      size_t nbits;
      return ei_decode_bitstring(buf, index, &p, &bitoffs, &nbits) < 0 ? -1 : ei_x_encode_bitstring(x, p, bitoffs, nbits);
    }
    case ERL_MAP_EXT: {
      int arity;
      if (ei_decode_map_header(buf, index, &arity) < 0 || ei_x_encode_map_header(x, arity) < 0) return -1;
      for (int i = 0; i < 2 * arity; ++i)
        if (copy_term(buf, index, x, depth + 1) < 0) return -1;
      return 0;
    }
    case ERL_PID_EXT:
    case ERL_NEW_PID_EXT: {
      erlang_pid p;
      return ei_decode_pid(buf, index, &p) < 0 ? -1 : ei_x_encode_pid(x, &p);
    }
    case ERL_PORT_EXT:
    case ERL_NEW_PORT_EXT:
    case ERL_V4_PORT_EXT: {
      erlang_port p;
      return ei_decode_port(buf, index, &p) < 0 ? -1 : ei_x_encode_port(x, &p);
    }
    case ERL_REFERENCE_EXT:
    case ERL_NEW_REFERENCE_EXT:
    case ERL_NEWER_REFERENCE_EXT: {
      erlang_ref r;
      return ei_decode_ref(buf, index, &r) < 0 ? -1 : ei_x_encode_ref(x, &r);
    }
    case ERL_NEW_FUN_EXT:
    case ERL_EXPORT_EXT:
    case ERL_FUN_EXT: {
      erlang_fun f;
      if (ei_decode_fun(buf, index, &f) < 0) return -1;
      const int rc = ei_x_encode_fun(x, &f);
      free_fun(&f);
      return rc;
    }
    default: return -1;
  }
}

bool read_exact(int fd, void* data, std::size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t got = ::read(fd, p, n);
    if (got <= 0) return false;
    p += got, n -= std::size_t(got);
  }
  return true;
}

bool write_exact(int fd, const void* data, std::size_t n) {
  auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t put = ::write(fd, p, n);
    if (put <= 0) return false;
    p += put, n -= std::size_t(put);
  }
  return true;
}

class EiOracle final : public DecoderOracle {
 public:
  explicit EiOracle(std::string exe) : exe_(std::move(exe)) {}
  ~EiOracle() override { stop(); }
  std::string_view name() const override { return "ei"; }

  OracleVerdict judge(std::span<const std::uint8_t> input) override {
    if (!child_ || !child_->running()) start();
    OracleVerdict v;
    const std::uint32_t n = input.size();
    const unsigned char header[4] = {std::uint8_t(n >> 24), std::uint8_t(n >> 16), std::uint8_t(n >> 8), std::uint8_t(n)};
    to_.write(reinterpret_cast<const char*>(header), 4);
    to_.write(reinterpret_cast<const char*>(input.data()), input.size());
    to_.flush();
    unsigned char len[4];
    if (to_ && from_.read(reinterpret_cast<char*>(len), 4)) {
      std::vector<std::uint8_t> reply((std::size_t(len[0]) << 24) | (len[1] << 16) | (len[2] << 8) | len[3]);
      if (from_.read(reinterpret_cast<char*>(reply.data()), reply.size()) && reply.size() >= 5) {
        v.status = reply[0] == 0 ? OracleVerdict::Status::Accepted : OracleVerdict::Status::Rejected;
        v.used = (std::size_t(reply[1]) << 24) | (reply[2] << 16) | (reply[3] << 8) | reply[4];
        v.reencoded.assign(reply.begin() + 5, reply.end());
        return v;
      }
    }
    stop();  // ei crashed on this input: report it, start a fresh worker next time
    v.status = OracleVerdict::Status::Crashed;
    return v;
  }

 private:
  void start() {
    stop();
    to_ = bp::opstream();
    from_ = bp::ipstream();
    child_ = std::make_unique<bp::child>(exe_, "fuzz", "ei-worker", bp::std_in < to_, bp::std_out > from_,
                                         bp::std_err > bp::null);
  }
  void stop() {
    if (child_) {
      std::error_code ec;
      child_->terminate(ec);
      child_.reset();
    }
  }
  std::string exe_;
  bp::opstream to_;
  bp::ipstream from_;
  std::unique_ptr<bp::child> child_;
};

}  // namespace

std::unique_ptr<DecoderOracle> make_ei_oracle(const std::string& worker_executable) {
  if (worker_executable.empty()) throw std::runtime_error("--against ei needs the distspec executable's path");
  return std::make_unique<EiOracle>(worker_executable);
}

int run_ei_worker() {
  ei_init();
  for (;;) {
    unsigned char len[4];
    if (!read_exact(0, len, 4)) return 0;
    const std::size_t n = (std::size_t(len[0]) << 24) | (len[1] << 16) | (len[2] << 8) | len[3];
    std::vector<char> input(n);
    if (!read_exact(0, input.data(), n)) return 0;
    ei_x_buff x;
    ei_x_new_with_version(&x);
    int index = 0, version = 0;
    const bool ok = ei_decode_version(input.data(), &index, &version) == 0 &&
                    copy_term(input.data(), &index, &x, 0) == 0;
    std::vector<char> reply{char(ok ? 0 : 1), char(index >> 24), char(index >> 16), char(index >> 8), char(index)};
    if (ok) reply.insert(reply.end(), x.buff, x.buff + x.index);
    ei_x_free(&x);
    const std::uint32_t r = reply.size();
    const unsigned char header[4] = {std::uint8_t(r >> 24), std::uint8_t(r >> 16), std::uint8_t(r >> 8), std::uint8_t(r)};
    if (!write_exact(1, header, 4) || !write_exact(1, reply.data(), reply.size())) return 1;
  }
}

}  // namespace distspec::fuzz
