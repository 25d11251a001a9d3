#include "metrics_sentinel.h"

#include <utility>

namespace dbtopo::metrics {
namespace {

// Metric flag label -> the flag as SENTINEL MASTERS spells it.
constexpr std::pair<const char*, const char*> kStatusFlags[] = {
    {"sdown", "s_down"},
    {"odown", "o_down"},
    {"failover_in_progress", "failover_in_progress"},
    {"disconnected", "disconnected"}};

void RenderMaster(FamilySet& out, const Labels& pod, const SentinelMaster& master) {
  const Labels labels = With(pod, {{"master_name", master.name}});
  out.Add("dbtopo_sentinel_master_info", With(labels, {{"master_address", master.Address()}}), 1);
  for (const auto& [label, flag] : kStatusFlags) {
    out.Add("dbtopo_sentinel_master_status", With(labels, {{"flag", label}}),
            Bool(master.HasFlag(flag)));
  }
  if (master.quorum_ok) out.Add("dbtopo_sentinel_quorum_ok", labels, Bool(*master.quorum_ok));
  if (master.num_other_sentinels) {
    out.Add("dbtopo_sentinel_known_sentinels", labels, *master.num_other_sentinels + 1);
  }
  if (master.num_replicas) out.Add("dbtopo_sentinel_known_replicas", labels, *master.num_replicas);
  if (master.config_epoch) {
    out.Add("dbtopo_sentinel_config_epoch", labels, static_cast<double>(*master.config_epoch));
  }
}

}  // namespace

void RenderSentinel(FamilySet& out, const Labels& pod, const MemberView& member) {
  const std::optional<SentinelInfo>& info = member.observation.sentinel;
  if (!member.observation.up || !info) return;
  if (info->tilt) out.Add("dbtopo_sentinel_tilt", pod, Bool(*info->tilt));
  for (const SentinelMaster& master : info->masters) RenderMaster(out, pod, master);
}

}  // namespace dbtopo::metrics
