#include "ei_codec.hpp"

#include <cstring>
#include <vector>

#define USE_EI_UNDOCUMENTED  // ei_decode_big / ei_x_encode_big: ei's own bignum form
#include <ei.h>

namespace distspec::bench {
namespace {

const char* chars(std::span<const std::uint8_t> bytes) {
  return reinterpret_cast<const char*>(bytes.data());
}

// Scratch space a C programmer would keep around: decoded values land here and are overwritten.
struct Scratch {
  char atom[MAXATOMLEN_UTF8];
  std::vector<char> string = std::vector<char>(65536);
  std::vector<char> binary;
  std::vector<unsigned short> big_digits;
};

// Decodes one term at *index into locals; folds something of each value into sum so the work
// cannot be optimised away. False if ei rejected it.
bool walk(const char* buf, int* index, Scratch& s, bool copy_binaries, long& sum) {
  int type = 0, size = 0;
  if (ei_get_type(buf, index, &type, &size) != 0) return false;
  switch (type) {
    case ERL_SMALL_INTEGER_EXT:
    case ERL_INTEGER_EXT:
    case ERL_SMALL_BIG_EXT:
    case ERL_LARGE_BIG_EXT: {
      long long v;
      if (ei_decode_longlong(buf, index, &v) == 0) return sum += long(v), true;
      if (type == ERL_SMALL_INTEGER_EXT || type == ERL_INTEGER_EXT) return false;
      const auto* p = reinterpret_cast<const unsigned char*>(buf + *index + 1);
      unsigned digit_bytes = type == ERL_SMALL_BIG_EXT
                                 ? p[0]
                                 : (unsigned(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]);
      s.big_digits.resize((digit_bytes + 1) / 2);
      erlang_big big{digit_bytes, 0, s.big_digits.data()};
      if (ei_decode_big(buf, index, &big) != 0) return false;
      return sum += s.big_digits[0] + big.is_neg, true;
    }
    case ERL_FLOAT_EXT:
    case NEW_FLOAT_EXT: {
      double d;
      if (ei_decode_double(buf, index, &d) != 0) return false;
      return sum += long(d), true;
    }
    case ERL_ATOM_EXT:
    case ERL_SMALL_ATOM_EXT:
    case ERL_ATOM_UTF8_EXT:
    case ERL_SMALL_ATOM_UTF8_EXT: {
      erlang_char_encoding was, result;
      if (ei_decode_atom_as(buf, index, s.atom, sizeof s.atom, ERLANG_UTF8, &was, &result) != 0)
        return false;
      return sum += s.atom[0], true;
    }
    case ERL_STRING_EXT:
      if (ei_decode_string(buf, index, s.string.data()) != 0) return false;
      return sum += s.string[0], true;
    case ERL_NIL_EXT:
    case ERL_LIST_EXT: {
      int arity;
      if (ei_decode_list_header(buf, index, &arity) != 0) return false;
      if (arity == 0) return true;
      for (int i = 0; i <= arity; ++i)  // the elements, then the tail
        if (!walk(buf, index, s, copy_binaries, sum)) return false;
      return true;
    }
    case ERL_SMALL_TUPLE_EXT:
    case ERL_LARGE_TUPLE_EXT:
    case ERL_MAP_EXT: {
      int arity;
      int rc = type == ERL_MAP_EXT ? ei_decode_map_header(buf, index, &arity)
                                   : ei_decode_tuple_header(buf, index, &arity);
      if (rc != 0) return false;
      int elements = type == ERL_MAP_EXT ? 2 * arity : arity;
      for (int i = 0; i < elements; ++i)
        if (!walk(buf, index, s, copy_binaries, sum)) return false;
      return sum += arity, true;
    }
    case ERL_BINARY_EXT:
    case ERL_BIT_BINARY_EXT: {
      if (copy_binaries && type == ERL_BINARY_EXT) {
        s.binary.resize(size);
        long len;
        if (ei_decode_binary(buf, index, s.binary.data(), &len) != 0) return false;
        return sum += len, true;
      }
      const char* p;
      unsigned int bit_offset;
      size_t bits;
      if (ei_decode_bitstring(buf, index, &p, &bit_offset, &bits) != 0) return false;
      return sum += long(bits), true;
    }
    case ERL_PID_EXT:
    case ERL_NEW_PID_EXT: {
      erlang_pid pid;
      if (ei_decode_pid(buf, index, &pid) != 0) return false;
      return sum += pid.num, true;
    }
    case ERL_PORT_EXT:
    case ERL_NEW_PORT_EXT:
    case ERL_V4_PORT_EXT: {
      erlang_port port;
      if (ei_decode_port(buf, index, &port) != 0) return false;
      return sum += long(port.id), true;
    }
    case ERL_REFERENCE_EXT:
    case ERL_NEW_REFERENCE_EXT:
    case ERL_NEWER_REFERENCE_EXT: {
      erlang_ref ref;
      if (ei_decode_ref(buf, index, &ref) != 0) return false;
      return sum += ref.n[0], true;
    }
    case ERL_NEW_FUN_EXT:
    case ERL_EXPORT_EXT: {
      erlang_fun fun;
      if (ei_decode_fun(buf, index, &fun) != 0) return false;
      sum += fun.arity;
      free_fun(&fun);
      return true;
    }
    default:
      return false;
  }
}

struct Encoder {
  ei_x_buff x;
  std::vector<char> string;
  std::vector<unsigned short> big_digits;
  char node[MAXATOMLEN_UTF8];

  bool atom(const etf::Atom& a) {
    return ei_x_encode_atom_len_as(&x, a.name.data(), int(a.name.size()), ERLANG_UTF8,
                                   erlang_char_encoding(ERLANG_LATIN1 | ERLANG_UTF8)) == 0;
  }
  // ei's node fields are fixed C strings: copy the node name in, as an ei user must.
  template <class T>
  void set_node(T& out, const etf::Atom& node) {
    std::size_t n = std::min(node.name.size(), sizeof out.node - 1);
    std::memcpy(out.node, node.name.data(), n);
    out.node[n] = 0;
  }
  // A proper list of byte-sized integers: term_to_binary writes it as STRING_EXT.
  bool as_string(const etf::List& list) {
    if (list.elements.size() > 65535 || list.tail->kind() != etf::Term::Kind::Nil) return false;
    string.clear();
    for (const etf::Term& e : list.elements) {
      const auto* v = e.get_if<std::int64_t>();
      if (!v || *v < 0 || *v > 255) return false;
      string.push_back(char(*v));
    }
    return true;
  }

  bool term(const etf::Term& t) {
    using Kind = etf::Term::Kind;
    switch (t.kind()) {
      case Kind::Integer:
        return ei_x_encode_longlong(&x, t.as_integer()) == 0;
      case Kind::BigInteger: {
        const etf::BigInteger& b = t.as_big_integer();
        big_digits.assign((b.magnitude.size() + 1) / 2, 0);
        std::memcpy(big_digits.data(), b.magnitude.data(), b.magnitude.size());  // little-endian
        erlang_big big{unsigned(b.magnitude.size()), b.negative, big_digits.data()};
        return ei_x_encode_big(&x, &big) == 0;
      }
      case Kind::Float:
        return ei_x_encode_double(&x, t.as_float()) == 0;
      case Kind::Atom:
        return atom(t.as_atom());
      case Kind::Reference: {
        const etf::Reference& r = t.as_reference();
        erlang_ref ref{};
        set_node(ref, r.node);
        ref.len = int(r.ids.size());
        std::memcpy(ref.n, r.ids.data(), r.ids.size() * sizeof(unsigned));
        ref.creation = r.creation;
        return ei_x_encode_ref(&x, &ref) == 0;
      }
      case Kind::Port: {
        const etf::Port& p = t.as_port();
        erlang_port port;
        set_node(port, p.node);
        port.id = p.id;
        port.creation = p.creation;
        return ei_x_encode_port(&x, &port) == 0;
      }
      case Kind::Pid: {
        const etf::Pid& p = t.as_pid();
        erlang_pid pid;
        set_node(pid, p.node);
        pid.num = p.id;
        pid.serial = p.serial;
        pid.creation = p.creation;
        return ei_x_encode_pid(&x, &pid) == 0;
      }
      case Kind::Tuple: {
        const auto& elements = t.as_tuple().elements;
        if (ei_x_encode_tuple_header(&x, long(elements.size())) != 0) return false;
        for (const etf::Term& e : elements)
          if (!term(e)) return false;
        return true;
      }
      case Kind::Map: {
        const auto& pairs = t.as_map().pairs;
        if (ei_x_encode_map_header(&x, long(pairs.size())) != 0) return false;
        for (const auto& [k, v] : pairs)
          if (!term(k) || !term(v)) return false;
        return true;
      }
      case Kind::Nil:
        return ei_x_encode_empty_list(&x) == 0;
      case Kind::List: {
        const etf::List& list = t.as_list();
        if (as_string(list))
          return ei_x_encode_string_len(&x, string.data(), int(string.size())) == 0;
        if (ei_x_encode_list_header(&x, long(list.elements.size())) != 0) return false;
        for (const etf::Term& e : list.elements)
          if (!term(e)) return false;
        return term(*list.tail);
      }
      case Kind::Bitstring: {
        const etf::Bitstring& b = t.as_bitstring();
        if (b.is_binary())
          return ei_x_encode_binary(&x, b.data, int(b.byte_size)) == 0;
        return ei_x_encode_bitstring(&x, reinterpret_cast<const char*>(b.data), 0,
                                     b.bit_size()) == 0;
      }
      case Kind::ExportFun:
      case Kind::LocalFun:
        return false;  // the corpus holds no funs
    }
    return false;
  }
};

}  // namespace

long ei_skip(std::span<const std::uint8_t> bytes) {
  int index = 0, version = 0;
  if (ei_decode_version(chars(bytes), &index, &version) != 0) return -1;
  if (ei_skip_term(chars(bytes), &index) != 0) return -1;
  return index;
}

long ei_walk(std::span<const std::uint8_t> bytes, bool copy_binaries) {
  thread_local Scratch scratch;
  int index = 0, version = 0;
  if (ei_decode_version(chars(bytes), &index, &version) != 0) return -1;
  long sum = 0;
  if (!walk(chars(bytes), &index, scratch, copy_binaries, sum)) return -1;
  return sum & 0x7fffffff;
}

long ei_encode(const etf::Term& term) {
  thread_local Encoder encoder;
  if (ei_x_new_with_version(&encoder.x) != 0) return -1;
  long size = encoder.term(term) ? encoder.x.index : -1;
  ei_x_free(&encoder.x);
  return size;
}

}  // namespace distspec::bench
