// errant_gtid: transactions a non-primary member executed that the unit's
// primary has not. They exist nowhere else, break the next switchover to
// that member (the others cannot follow it), and under MariaDB's
// gtid_strict_mode stop the replica itself (error 1950).

#include <optional>
#include <string>
#include <vector>

#include "common_detectors.h"
#include "dbtopo/analysis/gtid.h"
#include "detectors.h"

namespace dbtopo::detail {
namespace {

bool IsMariadb(const Observation& o) { return o.version.find("MariaDB") != std::string::npos; }

// MariaDB: per (domain, server_id) in @@gtid_binlog_state. std::nullopt when
// a state does not parse or the primary's server_id is unknown.
std::optional<std::string> MariadbErrantOf(const Observation& replica, const Observation& primary) {
  if (!primary.server_id) return std::nullopt;
  const auto r = gtid::ParseMariadbGtidState(replica.gtid_binlog_state);
  const auto p = gtid::ParseMariadbGtidState(primary.gtid_binlog_state);
  if (!r || !p) return std::nullopt;
  return gtid::MariadbErrant(*r, *p, *primary.server_id);
}

// MySQL: GTID_SUBTRACT(replica gtid_executed, primary gtid_executed) less the
// primary's own server_uuid. std::nullopt without a primary server_uuid
// (no GTIDs before 5.6) or when a set does not parse.
std::optional<std::string> MysqlErrantOf(const Observation& replica, const Observation& primary) {
  if (primary.server_uuid.empty()) return std::nullopt;
  const auto r = gtid::MysqlGtidSet::Parse(replica.gtid_executed);
  const auto p = gtid::MysqlGtidSet::Parse(primary.gtid_executed);
  if (!r || !p) return std::nullopt;
  gtid::MysqlGtidSet errant = r->Subtract(*p);
  errant.EraseUuid(primary.server_uuid);
  return errant.ToString();
}

}  // namespace

void DetectErrantGtids(UnitView& unit, std::vector<Finding>* findings) {
  const std::vector<const MemberView*> primaries = Primaries(unit);
  if (primaries.size() != 1) return;
  const MemberView& primary = *primaries.front();
  const bool mariadb = IsMariadb(primary.observation);
  for (MemberView& m : unit.members) {
    if (&m == &primary || !m.observation.up) continue;
    if (IsMariadb(m.observation) != mariadb) continue;  // No common GTID language.
    const std::optional<std::string> errant =
        mariadb ? MariadbErrantOf(m.observation, primary.observation)
                : MysqlErrantOf(m.observation, primary.observation);
    if (!errant) continue;
    m.errant_gtid = !errant->empty();
    m.errant_gtids = *errant;
    if (errant->empty()) continue;
    findings->push_back(MemberFinding(unit, m, finding::kErrantGtid, Severity::kWarning,
                                      "executed transactions the primary " + primary.target.pod +
                                          " does not have (errant GTIDs " + *errant + ")"));
  }
}

}  // namespace dbtopo::detail
