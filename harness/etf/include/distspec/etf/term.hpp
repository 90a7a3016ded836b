// The term model: one C++ value for every kind of Erlang term.
//
// Promises:
// - Integers of any size. A value that fits in int64 is always stored as Term::Kind::Integer;
//   larger ones as BigInteger (sign + magnitude, little-endian bytes, no leading zero bytes), so
//   two equal integers always have the same representation.
// - Atoms are held as UTF-8 text whatever tag they arrived under (ATOM_EXT's Latin-1 is converted).
// - Binaries and bitstrings may be views into a caller's buffer (no copy): a decoded Bitstring
//   points into the input when the caller asked for views and keeps that input alive.
// - Lists are normalized: a List's tail is never itself a non-empty list ([1|[2]] is held as
//   [1,2], whatever encoding it arrived in), so equal lists have one representation.
// - Maps keep the order in which their pairs were given or decoded (Term::map does not sort or
//   check for duplicate keys; the encoder sorts maps of at most 32 keys itself).
// - compare() is Erlang's term order (numbers compared by value, 1 == 1.0 compare equal);
//   exactly_equal() is =:= (1 =/= 1.0; 0.0 =:= -0.0 as in OTP 25). map_key_less() is the order
//   OTP 25 uses to write the pairs of maps of at most 32 keys (integers before floats, not
//   interleaved).
// - Terms are values: copying copies deeply. Destroying, comparing and encoding never recurse on
//   the C++ stack, so terms nested 100 000 deep (as the decoder may build) are safe; copying a term
//   does recurse (copy deep terms only if you must).
// Storage: 48 bytes per Term; kinds that are rare in real traffic (bignums, pids, ports, refs,
// funs) live in one heap box each so that tuples and lists of common terms stay small.
#pragma once

#include <array>
#include <boost/container/static_vector.hpp>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace distspec::etf {

class Term;

// A deep-copying owner of one heap value (the storage of rare kinds inside Term).
template <class T>
class Boxed {
 public:
  explicit Boxed(T value) : p_(std::make_unique<T>(std::move(value))) {}
  Boxed(const Boxed& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& other) { return *this = Boxed(other); }
  Boxed& operator=(Boxed&&) noexcept = default;
  const T& operator*() const { return *p_; }
  const T* get() const { return p_.get(); }
  T* get_mutable() { return p_.get(); }

 private:
  std::unique_ptr<T> p_;
};

// The tail of a List: behaves as a never-null pointer to a const Term. A proper list stores no
// tail at all (no allocation): get() then points at a shared [] term.
class ListTail {
 public:
  ListTail() = default;          // []
  explicit ListTail(Term tail);  // [] is stored as nothing
  ListTail(const ListTail& other);
  ListTail(ListTail&&) noexcept = default;
  ListTail& operator=(const ListTail& other);
  ListTail& operator=(ListTail&&) noexcept = default;
  ~ListTail();

  const Term* get() const;
  const Term& operator*() const { return *get(); }
  const Term* operator->() const { return get(); }
  explicit operator bool() const { return true; }
  bool is_nil() const { return !p_; }
  std::unique_ptr<Term>& storage() { return p_; }  // for the term model's own teardown

 private:
  std::unique_ptr<Term> p_;
};

struct BigInteger {
  bool negative = false;
  std::vector<std::uint8_t> magnitude;  // little-endian, no most-significant zero bytes, non-empty
};

struct Atom {
  std::string name;  // UTF-8
  friend bool operator==(const Atom&, const Atom&) = default;
};

struct Pid {
  Atom node;
  std::uint32_t id = 0;
  std::uint32_t serial = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const Pid&, const Pid&) = default;
};

struct Port {
  Atom node;
  std::uint64_t id = 0;
  std::uint32_t creation = 0;
  friend bool operator==(const Port&, const Port&) = default;
};

inline constexpr std::size_t kMaxReferenceWords = 5;  // OTP 25 decoder limit (ERTS_MAX_REF_NUMBERS)

// Held inline: references are copied on every call path (monitors, aliases, gen_call tags), and a
// heap vector made each copy an allocation. Pushing a sixth word throws (the decoder refuses it).
using ReferenceIds = boost::container::static_vector<std::uint32_t, kMaxReferenceWords>;

struct Reference {
  Atom node;
  std::uint32_t creation = 0;
  ReferenceIds ids;  // 1..5 words as on the wire (OTP 25 writes 3)
  friend bool operator==(const Reference&, const Reference&) = default;
};

// A bitstring: byte_size bytes, of which the last holds `bits_in_last_byte` used bits (1..8,
// counted from the most significant bit; 8 means a whole byte, i.e. a binary).
struct Bitstring {
  std::shared_ptr<const void> owner;  // keeps `data` alive; null for a view into a caller's buffer
  const std::uint8_t* data = nullptr;
  std::size_t byte_size = 0;
  std::uint8_t bits_in_last_byte = 8;

  bool is_binary() const { return bits_in_last_byte == 8 || byte_size == 0; }
  std::span<const std::uint8_t> bytes() const { return {data, byte_size}; }
  std::uint64_t bit_size() const {
    return byte_size == 0 ? 0 : (byte_size - 1) * 8 + bits_in_last_byte;
  }
};

struct Tuple {
  std::vector<Term> elements;
};

// A non-empty list: elements then a tail ([] for a proper list; never a non-empty list).
struct List {
  std::vector<Term> elements;  // non-empty
  ListTail tail;               // *tail is [] for a proper list
  bool is_proper() const { return tail.is_nil(); }
};

struct Map {
  std::vector<std::pair<Term, Term>> pairs;  // in the order given or decoded
};

struct ExportFun {  // fun M:F/A (EXPORT_EXT)
  Atom module;
  Atom function;
  std::uint32_t arity = 0;
};

struct LocalFun {  // NEW_FUN_EXT
  std::uint8_t arity = 0;
  std::array<std::uint8_t, 16> uniq{};
  std::uint32_t index = 0;
  Atom module;
  std::int64_t old_index = 0;
  std::int64_t old_uniq = 0;
  std::shared_ptr<const Term> pid;  // OTP 25 writes a pid; kept as a term so what arrived is kept
  std::vector<Term> free_vars;
};

struct Nil {};

class Term {
 public:
  // Kinds, nearly in Erlang term order: number < atom < reference < fun < port < pid < tuple < map
  // < nil < list < bitstring; among funs BEAM orders local funs before external ones.
  enum class Kind : std::uint8_t {
    Integer, BigInteger, Float, Atom, Reference, ExportFun, LocalFun, Port, Pid, Tuple, Map, Nil,
    List, Bitstring
  };

  Term() : value_(Nil{}) {}  // []
  // Copies recurse only kRecursiveCopyDepth levels deep; deeper containers (a decoded term may be
  // nested 100 000 deep) are copied from a heap work list, as the destructor tears them down.
  Term(const Term& other) : value_(Nil{}) { copy_from(other); }
  Term(Term&&) noexcept = default;
  Term& operator=(const Term& other) {
    if (this != &other) *this = Term(other);
    return *this;
  }
  Term& operator=(Term&&) noexcept = default;
  ~Term() {
    const Kind k = kind();
    if (k == Kind::Tuple || k == Kind::List || k == Kind::Map || k == Kind::LocalFun) {
      // Shallow nesting is destroyed recursively (fast); past kRecursiveTeardownDepth levels the
      // children are torn down from a heap work list instead.
      int& depth = teardown_depth();
      if (depth >= kRecursiveTeardownDepth) {
        destroy_nested();
      } else {
        ++depth;
        value_.emplace<Nil>();
        --depth;
      }
    }
  }

  static Term integer(std::int64_t v) { return Term(v); }
  // Normalizes: strips leading zero bytes; a value that fits in int64 becomes Kind::Integer.
  static Term big_integer(bool negative, std::vector<std::uint8_t> magnitude_le);
  static Term float_(double v) { return Term(v); }
  static Term atom(std::string_view utf8) { return Term(Atom{std::string(utf8)}); }
  static Term atom(Atom a) { return Term(std::move(a)); }
  static Term boolean(bool b) { return atom(b ? "true" : "false"); }
  static Term nil() { return Term(); }
  static Term tuple(std::vector<Term> elements) { return Term(Tuple{std::move(elements)}); }
  // An empty `elements` gives `tail` itself (as OTP's LIST_EXT of length 0 does); a non-empty
  // list as `tail` is merged into the result ([1|[2,3]] is [1,2,3]).
  static Term list(std::vector<Term> elements, Term tail = Term());
  static Term map(std::vector<std::pair<Term, Term>> pairs) { return Term(Map{std::move(pairs)}); }
  static Term binary_copy(std::span<const std::uint8_t> bytes);       // owns a copy
  static Term binary_view(std::span<const std::uint8_t> bytes);       // caller keeps bytes alive
  static Term bitstring(Bitstring b) { return Term(std::move(b)); }
  static Term string(std::string_view bytes);  // a list of byte integers, as "abc" in Erlang
  static Term pid(Pid p) { return Term(Boxed<Pid>(std::move(p))); }
  static Term port(Port p) { return Term(Boxed<Port>(std::move(p))); }
  static Term reference(Reference r) { return Term(Boxed<Reference>(std::move(r))); }
  static Term export_fun(ExportFun f) { return Term(Boxed<ExportFun>(std::move(f))); }
  static Term local_fun(LocalFun f) { return Term(Boxed<LocalFun>(std::move(f))); }

  Kind kind() const { return static_cast<Kind>(value_.index()); }
  bool is_number() const { return kind() <= Kind::Float; }
  bool is_atom(std::string_view name) const {
    auto* a = std::get_if<Atom>(&value_);
    return a && a->name == name;
  }

  // Accessors: precondition kind() matches (checked by std::get).
  std::int64_t as_integer() const { return std::get<std::int64_t>(value_); }
  const BigInteger& as_big_integer() const { return *std::get<Boxed<BigInteger>>(value_); }
  double as_float() const { return std::get<double>(value_); }
  const Atom& as_atom() const { return std::get<Atom>(value_); }
  const Reference& as_reference() const { return *std::get<Boxed<Reference>>(value_); }
  const ExportFun& as_export_fun() const { return *std::get<Boxed<ExportFun>>(value_); }
  const LocalFun& as_local_fun() const { return *std::get<Boxed<LocalFun>>(value_); }
  const Port& as_port() const { return *std::get<Boxed<Port>>(value_); }
  const Pid& as_pid() const { return *std::get<Boxed<Pid>>(value_); }
  const Tuple& as_tuple() const { return std::get<Tuple>(value_); }
  const Map& as_map() const { return std::get<Map>(value_); }
  const List& as_list() const { return std::get<List>(value_); }
  const Bitstring& as_bitstring() const { return std::get<Bitstring>(value_); }

  // Pointer accessors: null when the kind differs. T is one of the structs above (Atom, Pid, ...),
  // std::int64_t or double.
  template <class T>
  const T* get_if() const {
    if constexpr (kBoxed<T>) {
      auto* box = std::get_if<Boxed<T>>(&value_);
      return box ? box->get() : nullptr;
    } else {
      return std::get_if<T>(&value_);
    }
  }

 private:
  template <class T>
  static constexpr bool kBoxed = std::is_same_v<T, BigInteger> || std::is_same_v<T, Reference> ||
                                 std::is_same_v<T, ExportFun> || std::is_same_v<T, LocalFun> ||
                                 std::is_same_v<T, Port> || std::is_same_v<T, Pid>;
  using Value = std::variant<std::int64_t, Boxed<BigInteger>, double, Atom, Boxed<Reference>,
                             Boxed<ExportFun>, Boxed<LocalFun>, Boxed<Port>, Boxed<Pid>, Tuple, Map,
                             Nil, List, Bitstring>;
  template <class T>
  explicit Term(T v) : value_(std::move(v)) {}
  static constexpr int kRecursiveTeardownDepth = 512;
  static int& teardown_depth() noexcept {
    thread_local int depth = 0;
    return depth;
  }
  // Tears down nested containers with a heap work list instead of recursion.
  void destroy_nested() noexcept;
  static constexpr int kRecursiveCopyDepth = 512;
  void copy_from(const Term& other);
  // Copies other (a container) level by level with a heap work list instead of recursion.
  void copy_nested(const Term& other);
  Value value_;
};

inline ListTail::ListTail(Term tail)
    : p_(tail.kind() == Term::Kind::Nil ? nullptr : std::make_unique<Term>(std::move(tail))) {}
inline ListTail::ListTail(const ListTail& other)
    : p_(other.p_ ? std::make_unique<Term>(*other.p_) : nullptr) {}
inline ListTail& ListTail::operator=(const ListTail& other) { return *this = ListTail(other); }
inline ListTail::~ListTail() = default;
inline const Term* ListTail::get() const {
  static const Term kNil;
  return p_ ? p_.get() : &kNil;
}

// Erlang term order: <0, 0 or >0. Numbers compare by value (1 == 1.0 here).
std::strong_ordering compare(const Term& a, const Term& b);
// =:= : exact equality (1 =/= 1.0; 0.0 =:= -0.0 is true in OTP 25, observed).
bool exactly_equal(const Term& a, const Term& b);
inline bool operator==(const Term& a, const Term& b) { return exactly_equal(a, b); }
// The order OTP 25 writes the pairs of a small (<= 32 keys) map and sorts keys for `deterministic`.
bool map_key_less(const Term& a, const Term& b);

}  // namespace distspec::etf
