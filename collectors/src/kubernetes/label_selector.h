#pragma once

// Kubernetes label selectors (the `labelSelector` query parameter syntax):
//
//   environment=production,tier!=frontend     equality / inequality (= == !=)
//   env in (prod, qa),tier notin (cache)      set-based
//   partition,!canary                         exists / does not exist
//
// Requirements are ANDed. Keys follow the Kubernetes label key syntax
// ([dns-prefix/]name, name <= 63 chars of [A-Za-z0-9._-], starting and ending
// alphanumeric); values are <= 63 chars of the same alphabet (may be empty).
// The numeric `gt`/`lt` operators (`a>1`) only exist for field selectors on
// node affinity and are rejected here.
//
// The API server applies the selector; the exporter parses it too, to reject a
// bad `kubernetes.discover[].label_selector` at startup with a clear message,
// and to double-check every watch event against it.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dbtopo/base/result.h"

namespace dbtopo::kube {

/// One ANDed term of a selector.
struct LabelRequirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kExists;
  /// One value for kEquals/kNotEquals, one or more for kIn/kNotIn, none for
  /// kExists/kDoesNotExist.
  std::vector<std::string> values;

  bool Matches(const std::map<std::string, std::string>& labels) const;
};

/// A parsed selector. The empty selector matches everything.
class LabelSelector {
 public:
  LabelSelector() = default;

  /// Parses `text`; the error says where and why it is not a valid selector
  /// (e.g. `at column 7: expected "(" after "in"`).
  static Result<LabelSelector> Parse(const std::string& text);

  /// True when every requirement holds for `labels`.
  bool Matches(const std::map<std::string, std::string>& labels) const;

  const std::vector<LabelRequirement>& requirements() const { return requirements_; }
  bool empty() const { return requirements_.empty(); }

  /// Canonical text (`a=b,c in (d,e),!f`), what is sent to the API server.
  std::string ToString() const;

 private:
  std::vector<LabelRequirement> requirements_;
};

/// True when `key` is a valid label key ([prefix/]name).
bool IsValidLabelKey(const std::string& key);
/// True when `value` is a valid label value (may be empty).
bool IsValidLabelValue(const std::string& value);

}  // namespace dbtopo::kube
