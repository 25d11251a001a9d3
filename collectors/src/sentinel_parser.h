#pragma once

// Parsing of Redis Sentinel replies into Observation::sentinel. Internal to
// collectors/.
//
// Pure: the sentinel probe (sentinel_probe.cc) collects the raw replies of a
// round into SentinelReplies, and FillSentinel turns them into a
// SentinelInfo. Odd input (a reply of the wrong type, an odd number of
// name/value elements, a port that is no number, nil) leaves the affected
// fields unknown; nothing here throws or invents a value.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dbtopo/analysis/model.h"
#include "dbtopo/collectors/redis_reply.h"

struct redisReply;  // hiredis

namespace dbtopo::redis {

/// The replies a sentinel gave for one master it monitors; null when the
/// command was not sent this round.
struct SentinelMasterReplies {
  const redisReply* replicas = nullptr;   ///< `SENTINEL REPLICAS <name>`
  const redisReply* sentinels = nullptr;  ///< `SENTINEL SENTINELS <name>`
  const redisReply* ckquorum = nullptr;   ///< `SENTINEL CKQUORUM <name>`
};

/// The replies of one sentinel probe round (not owned).
struct SentinelReplies {
  std::optional<std::string> info_sentinel;                 ///< `INFO sentinel` text.
  const redisReply* masters = nullptr;                      ///< `SENTINEL MASTERS`
  std::map<std::string, SentinelMasterReplies> per_master;  ///< By master name.
};

/// The names of the masters in a `SENTINEL MASTERS` reply (an array of flat
/// name/value arrays), sorted; entries without a string `name` are left out.
std::vector<std::string> MasterNames(const redisReply* masters);

/// Fills `sentinel`: `INFO sentinel` (`sentinel_tilt`, `sentinel_masters`)
/// and one SentinelMaster per SENTINEL MASTERS entry with a name (`ip`,
/// `port`, `flags`, `config-epoch`, `quorum`, `num-slaves`,
/// `num-other-sentinels`), completed from its per-master replies:
/// CKQUORUM's status text -> quorum_ok true, its error text -> false;
/// REPLICAS and SENTINELS through PeersFromReply. Leaves `sentinel` unset
/// when neither INFO sentinel nor SENTINEL MASTERS was read.
void FillSentinel(const SentinelReplies& replies, Observation* observation);

}  // namespace dbtopo::redis
