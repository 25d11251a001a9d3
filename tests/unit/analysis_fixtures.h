#pragma once

// Builders for analysis tests: Members as the MySQL probe would report them.
//
//   Member p = MysqlPrimary("pod-0", "10.0.0.1", 3306);
//   Member r = MysqlReplicaOf("pod-1", "10.0.0.2", 3306, p);
//   r.observation.channels[0].sql_running = false;  // then tweak fields
//
// Defaults describe a healthy server: up, server_id = pod ordinal + 1,
// server_uuid "uuid-<pod>", version "10.11.6-MariaDB", role label matching
// the role (kubeblocks.io/role=primary|secondary), unit default/orders/mysql.

#include <cctype>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/analysis/model.h"

namespace dbtopo {

/// Readable gtest output for findings.
inline void PrintTo(const Finding& f, std::ostream* os) {
  *os << "{" << f.kind << " " << SeverityName(f.severity) << " " << f.unit.ns << "/"
      << f.unit.db_cluster << "/" << f.unit.component << " pod=" << f.pod
      << " channel=" << f.channel << ": " << f.message << "}";
}

namespace fixtures {

inline UnitId OrdersUnit() { return UnitId{"default", "orders", "mysql"}; }

/// Trailing number of a pod name ("orders-mysql-2" -> 2), 0 when none.
inline std::uint32_t PodOrdinal(const std::string& pod) {
  size_t i = pod.size();
  while (i > 0 && std::isdigit(static_cast<unsigned char>(pod[i - 1]))) --i;
  return i == pod.size() ? 0 : static_cast<std::uint32_t>(std::stoul(pod.substr(i)));
}

/// Sets the role label (as discovery would map it); std::nullopt removes it.
inline void SetRoleLabel(Member& m, std::optional<Role> role) {
  m.target.labels.erase("kubeblocks.io/role");
  m.target.labelled_role = role;
  m.target.role_label_value.clear();
  if (!role.has_value() || *role == Role::kUnknown) return;
  m.target.role_label_value = *role == Role::kPrimary ? "primary" : "secondary";
  m.target.labels["kubeblocks.io/role"] = m.target.role_label_value;
}

/// An up MySQL server with no channel; writable says whether read_only=0.
inline Member MysqlServer(const std::string& pod, const std::string& host, int port, bool writable,
                          const UnitId& unit = OrdersUnit()) {
  Member m;
  m.target.unit = unit;
  m.target.pod = pod;
  m.target.engine = Engine::kMysql;
  m.target.host = host;
  m.target.port = port;
  m.observation.up = true;
  m.observation.probe_duration_seconds = 0.002;
  m.observation.read_only = !writable;
  m.observation.writable = writable;
  m.observation.server_id = PodOrdinal(pod) + 1;
  m.observation.server_uuid = "uuid-" + pod;
  m.observation.version = "10.11.6-MariaDB";
  SetRoleLabel(m, writable ? Role::kPrimary : Role::kReplica);
  return m;
}

/// A healthy writable primary, labelled primary.
inline Member MysqlPrimary(const std::string& pod, const std::string& host, int port = 3306,
                           const UnitId& unit = OrdersUnit()) {
  return MysqlServer(pod, host, port, /*writable=*/true, unit);
}

/// A healthy channel (default channel name) to host:port, threads running, lag 0.
inline ReplicationChannel HealthyChannel(const std::string& source_host, int source_port) {
  ReplicationChannel c;
  c.source_host = source_host;
  c.source_port = source_port;
  c.io_running = true;
  c.io_state = "Yes";
  c.sql_running = true;
  c.lag_seconds = 0;
  c.gtid_mode = "Slave_Pos";
  return c;
}

/// A healthy read-only replica replicating from source_host:source_port,
/// labelled secondary.
inline Member MysqlReplicaOfAddress(const std::string& pod, const std::string& host, int port,
                                    const std::string& source_host, int source_port,
                                    const UnitId& unit = OrdersUnit()) {
  Member m = MysqlServer(pod, host, port, /*writable=*/false, unit);
  m.observation.channels.push_back(HealthyChannel(source_host, source_port));
  return m;
}

/// A healthy read-only replica of `source` (by its target host and port).
inline Member MysqlReplicaOf(const std::string& pod, const std::string& host, int port,
                             const Member& source) {
  return MysqlReplicaOfAddress(pod, host, port, source.target.host, source.target.port,
                               source.target.unit);
}

/// The same target, but its probe failed: nothing observed.
inline Member Down(Member m, const std::string& error = "connect: Connection refused") {
  m.observation = Observation{};
  m.observation.up = false;
  m.observation.error = error;
  return m;
}

/// Healthy primary orders-mysql-0 with replicas -1 and -2 (10.0.0.1..3:3306).
inline std::vector<Member> HealthyOrders() {
  Member p = MysqlPrimary("orders-mysql-0", "10.0.0.1", 3306);
  return {p, MysqlReplicaOf("orders-mysql-1", "10.0.0.2", 3306, p),
          MysqlReplicaOf("orders-mysql-2", "10.0.0.3", 3306, p)};
}

/// Findings of one kind.
inline std::vector<Finding> FindingsOfKind(const Topology& t, const std::string& kind) {
  std::vector<Finding> out;
  for (const Finding& f : t.findings) {
    if (f.kind == kind) out.push_back(f);
  }
  return out;
}

/// "kind pod/channel" per finding, for readable EXPECT_THAT comparisons.
inline std::vector<std::string> FindingKeys(const Topology& t) {
  std::vector<std::string> out;
  for (const Finding& f : t.findings) {
    std::string key = f.kind;
    if (!f.pod.empty()) key += " " + f.pod;
    if (!f.channel.empty()) key += "/" + f.channel;
    out.push_back(key);
  }
  return out;
}

/// The MemberView of `pod` (nullptr when absent), searching every unit.
inline const MemberView* FindMember(const Topology& t, const std::string& pod) {
  for (const UnitView& u : t.units) {
    for (const MemberView& m : u.members) {
      if (m.target.pod == pod) return &m;
    }
  }
  return nullptr;
}

}  // namespace fixtures
}  // namespace dbtopo
