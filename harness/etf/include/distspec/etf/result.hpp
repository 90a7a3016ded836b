// Result<T>: a value or an error, for code that handles untrusted bytes.
//
// No exceptions cross the codec or protocol boundary; callers check `ok()` (or use `value()` after
// checking). Modeled on simdjson's simdjson_result: the caller chooses to check or to throw.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace distspec {

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(state_); }
  const T& value() const& { assert(ok()); return std::get<0>(state_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(state_)); }
  const E& error() const { assert(!ok()); return std::get<1>(state_); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> state_;
};

}  // namespace distspec
