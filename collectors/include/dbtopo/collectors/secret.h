#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace dbtopo {

/// A password or token. Holds the value for the one call that needs it
/// (`Reveal()`); prints as "<secret>" everywhere else, so it cannot leak into
/// logs, metrics or the topology API by accident.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  /// The raw value. Call only where the server needs it (connect, AUTH).
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "<secret>"; }

 private:
  std::string value_;
};

/// Credentials a probe logs in with.
struct Credentials {
  std::string username;
  Secret password;
};

}  // namespace dbtopo
