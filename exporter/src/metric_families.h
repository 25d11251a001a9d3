#pragma once

// The text of /metrics as it is built: samples collected per metric family,
// written in the order and with the help texts of the exporter's metric list
// (Prometheus text format 0.0.4). Internal to exporter/.

#include <prometheus/client_metric.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace dbtopo::metrics {

using Labels = std::vector<prometheus::ClientMetric::Label>;

/// Collects the sample lines of each metric, then writes the families in the
/// metric list's order. Each sample is written as text when it is added: at
/// 10,000 targets a quarter of a million samples held as label vectors cost
/// more memory than all of /metrics.
class FamilySet {
 public:
  /// Adds one sample of metric `name` (which must be in the metric list).
  void Add(const std::string& name, const Labels& labels, double value);
  /// The exposition text; the set is empty afterwards.
  std::string Serialize() &&;

 private:
  std::map<std::string, std::string> lines_;
};

/// `labels` with `more` appended.
Labels With(Labels labels, std::initializer_list<prometheus::ClientMetric::Label> more);

/// 1 for true, 0 for false.
inline double Bool(bool b) { return b ? 1 : 0; }

}  // namespace dbtopo::metrics
