#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "dbtopo/base/assert.h"

// The one error convention of the tree: a function that can fail returns
// Result<T> (a value or an Error) or Status (nothing or an Error). An error
// that carries more than a message (a config error's file, line and key; a
// remediation refusal's code) is its own type E in Result<T, E>, always with
// a `ToString()` or `reason`/`message` for people. Exceptions do not cross a
// module boundary: where a library throws (yaml-cpp, nlohmann-json), the
// caller catches and returns an Error.
//
// Reading the value of an error result, or the error of a value, is a bug in
// the caller and asserts (the process aborts with the place).

namespace dbtopo {

// An environment or input error, for people: says what failed and why, names
// the file, server or field, and never holds a secret.
struct Error {
  std::string message;
};

template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return *Checked(); }
  const T& value() const& { return *Checked(); }
  T&& value() && { return std::move(*Checked()); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return Checked(); }
  const T* operator->() const { return Checked(); }

  const E& error() const& {
    DBTOPO_ASSERT(!ok(), "error() read from a result that holds a value");
    return std::get<1>(state_);
  }
  E&& error() && {
    DBTOPO_ASSERT(!ok(), "error() read from a result that holds a value");
    return std::get<1>(std::move(state_));
  }

 private:
  T* Checked() {
    DBTOPO_ASSERT(ok(), "value() read from a result that holds an error");
    return &std::get<0>(state_);
  }
  const T* Checked() const {
    DBTOPO_ASSERT(ok(), "value() read from a result that holds an error");
    return &std::get<0>(state_);
  }

  std::variant<T, E> state_;
};

// Success or an error, nothing else: `return {};` is success.
template <typename E = Error>
class [[nodiscard]] BasicStatus {
 public:
  BasicStatus() = default;
  BasicStatus(E error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const E& error() const {
    DBTOPO_ASSERT(!ok(), "error() read from a successful status");
    return *error_;
  }

 private:
  std::optional<E> error_;
};

using Status = BasicStatus<Error>;

}  // namespace dbtopo
