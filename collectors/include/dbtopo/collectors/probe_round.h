#pragma once

// The one probe-and-analyze path: the poll loop's rounds and remediation's
// fresh re-read of a unit before it acts both observe their targets on the
// shared worker pool, clean the observations the same way and analyze them.

#include <cstdint>
#include <functional>
#include <vector>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/collectors/worker_pool.h"

namespace dbtopo {

/// What one probe round saw.
struct ProbeRound {
  /// One per target, in the targets' order, cleaned (see ProbeAndAnalyze).
  std::vector<Member> members;
  /// Analyze(members, options_after_probes()).
  Topology topology;
  /// Invalid UTF-8 sequences replaced in server texts (a count).
  std::uint64_t utf8_replacements = 0;
};

/// Observes target `i` with `observe(i)` on `pool` (at most its threads at
/// once; `observe` must not throw and reports a failure as an observation
/// that is not up), then cleans every observation: invalid UTF-8 is
/// replaced (one bad byte in a label makes Prometheus drop a scrape), and
/// every secret the process holds is redacted from server texts (an error
/// or Last_SQL_Error may quote a replicated statement with a password).
/// Last, analyzes the members with the options `options_after_probes()`
/// returns; it is called once the probes are done, so that the options can
/// include what changed while they ran (a switchover that started).
ProbeRound ProbeAndAnalyze(WorkerPool& pool, const std::vector<Target>& targets,
                           const std::function<Observation(std::size_t)>& observe,
                           const std::function<AnalysisOptions()>& options_after_probes);

}  // namespace dbtopo
