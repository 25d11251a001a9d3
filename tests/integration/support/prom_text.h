#pragma once

// A small parser for the Prometheus text exposition format (version 0.0.4),
// enough to assert on what /metrics serves:
//
//   # HELP / # TYPE lines and comments are skipped;
//   name{label="value",...} value [timestamp]
//
// Label values may contain the escapes \\, \" and \n. Values are floats,
// including +Inf, -Inf and NaN.

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dbtopo::testing {

using Labels = std::map<std::string, std::string>;

/// One sample line.
struct Sample {
  std::string name;
  Labels labels;
  double value = 0;

  /// `name{k="v",...} value`, for messages.
  std::string ToString() const;
};

/// The parsed samples of one scrape, with lookups by name and a label subset.
///
/// Label matching follows Prometheus: a wanted label with an empty value also
/// matches a sample that lacks the label (`{channel=""}` matches both
/// `channel=""` and no `channel` label at all).
class Metrics {
 public:
  Metrics() = default;
  /// Parses exposition text; throws std::runtime_error naming the line on a
  /// syntax error.
  static Metrics Parse(std::string_view text);

  const std::vector<Sample>& samples() const { return samples_; }
  const std::string& text() const { return text_; }

  /// Samples named `name` whose labels include `labels`.
  std::vector<Sample> Find(const std::string& name, const Labels& labels = {}) const;
  /// True when at least one sample matches.
  bool Has(const std::string& name, const Labels& labels = {}) const;
  /// Number of matching samples.
  std::size_t Count(const std::string& name, const Labels& labels = {}) const;
  /// Value of the one matching sample; std::nullopt when none matches. Throws
  /// std::logic_error when several match (the lookup needs more labels).
  std::optional<double> Value(const std::string& name, const Labels& labels = {}) const;
  /// True when exactly one sample matches and its value is `value`.
  bool Is(const std::string& name, const Labels& labels, double value) const;

  /// Sample lines (no comments) whose name starts with `prefix`, one per line;
  /// for failure messages.
  std::string Dump(const std::string& prefix = "dbtopo_") const;

  /// Active findings (`dbtopo_finding` series) as "kind@pod", or "kind" for
  /// unit-level findings.
  std::set<std::string> FindingKeys() const;

 private:
  std::vector<Sample> samples_;
  std::string text_;
};

/// True when `sample` has every label of `labels` (see Metrics on "").
bool LabelsMatch(const Labels& sample, const Labels& labels);

}  // namespace dbtopo::testing
