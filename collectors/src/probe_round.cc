#include "dbtopo/collectors/probe_round.h"

#include "dbtopo/analysis/model.h"
#include "dbtopo/base/secret.h"

namespace dbtopo {
namespace {

void RedactServerTexts(Observation& o) {
  secrets::Redact(o.error);
  for (ReplicationChannel& c : o.channels) {
    secrets::Redact(c.last_io_error);
    secrets::Redact(c.last_sql_error);
  }
}

}  // namespace

ProbeRound ProbeAndAnalyze(WorkerPool& pool, const std::vector<Target>& targets,
                           const std::function<Observation(std::size_t)>& observe,
                           const std::function<AnalysisOptions()>& options_after_probes) {
  ProbeRound round;
  round.members.resize(targets.size());
  std::vector<std::function<void()>> tasks;
  tasks.reserve(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    round.members[i].target = targets[i];
    tasks.push_back([&observe, &round, i] { round.members[i].observation = observe(i); });
  }
  pool.RunAll(std::move(tasks));
  for (Member& m : round.members) {
    round.utf8_replacements += utf8::SanitizeMember(m);
    RedactServerTexts(m.observation);
  }
  round.topology = Analyze(round.members, options_after_probes());
  return round;
}

}  // namespace dbtopo
