// MySQL 5.7, 8.0 and 8.4 through the wire: the real probe (MariaDB
// Connector/C) against a stand-in speaking the MySQL protocol (npm mysql2's
// server API, tests/integration/mysql_standin/server.js) that serves the
// result sets of MySQL's reference manual for each version (columns.json
// names the pages). No MySQL server is packaged for Debian, so this is the
// wire-level stand-in; MariaDB is tested on real servers elsewhere.
//
// Per version: a primary and two replicas, healthy (nothing raised); then a
// replica with stopped replication made writable (dual primary), and a
// transaction written on a replica (errant GTID, UUID sets; 8.4 with a tag).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/exporter_process.h"
#include "support/process.h"
#include "support/prom_text.h"

namespace dbtopo::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const char* const kUuids[] = {"00000000-0000-4000-8000-000000000000",
                              "11111111-1111-4111-8111-111111111111",
                              "22222222-2222-4222-8222-222222222222"};

struct Version {
  const char* dialect;      // Key of columns.json.
  const char* version;      // @@version as that server reports it.
  const char* io_column;    // Replica IO thread column.
  const char* sql_column;   // Replica SQL thread column.
  const char* host_column;  // Source host column.
  const char* port_column;
  const char* lag_column;
  const char* channel;     // Channel_Name of the replicas' channel.
  const char* errant_tag;  // "" or an 8.4 GTID tag for the errant write.
};

const Version kVersions[] = {
    {"mysql-5.7", "5.7.44-log", "Slave_IO_Running", "Slave_SQL_Running", "Master_Host",
     "Master_Port", "Seconds_Behind_Master", "", ""},
    {"mysql-8.0", "8.0.36", "Replica_IO_Running", "Replica_SQL_Running", "Source_Host",
     "Source_Port", "Seconds_Behind_Source", "", ""},
    {"mysql-8.4", "8.4.3", "Replica_IO_Running", "Replica_SQL_Running", "Source_Host",
     "Source_Port", "Seconds_Behind_Source", "from_dc1", "batch"},
};

class MysqlWireTest : public ::testing::TestWithParam<Version> {
 protected:
  void SetUp() override {
    const Version& v = GetParam();
    for (int i = 0; i < 3; ++i) ports_.push_back(FreePort());
    for (int i = 0; i < 3; ++i) {
      Write(i, i == 0 ? Primary() : Replica(i));
      auto server = std::make_unique<Process>(
          std::vector<std::string>{"node", std::string(DBTOPO_MYSQL_STANDIN_DIR) + "/server.js",
                                   std::to_string(ports_[i]), State(i)},
          dir_.File("standin-" + std::to_string(i) + ".log"));
      server->Start();
      servers_.push_back(std::move(server));
    }
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(PollUntil(
          [&] { return ReadFile(servers_[i]->log_path()).find("listening") != std::string::npos; },
          std::chrono::seconds(20)))
          << "stand-in " << i << " did not start (npm ci in tests/integration/mysql_standin?):\n"
          << servers_[i]->LogTail();
    }
    ClusterSpec spec;
    spec.name = "orders";
    spec.username = "exporter";
    spec.password = "standin-password";
    for (int i = 0; i < 3; ++i) {
      spec.members.push_back({Pod(i),
                              "127.0.0.1:" + std::to_string(ports_[i]),
                              {{"kubeblocks.io/role", i == 0 ? "primary" : "secondary"}}});
    }
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    options.clusters.push_back(spec);
    exporter_.Start(options);
    std::cout << "[ version  ] " << v.dialect << " (" << v.version << ")\n";
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cout << "--- exporter log tail ---\n" << exporter_.LogTail(6000);
      for (auto& s : servers_) std::cout << "--- stand-in ---\n" << s->LogTail(2000);
    }
  }

  static std::string Pod(int i) { return "mysql-" + std::to_string(i); }
  std::string State(int i) const { return dir_.File("state-" + std::to_string(i) + ".json"); }

  // Replaced whole (rename), so the stand-in never reads half a file.
  void Write(int i, const json& state) {
    WriteFile(State(i) + ".tmp", state.dump(2));
    std::rename((State(i) + ".tmp").c_str(), State(i).c_str());
  }

  json Variables(int i, bool writable, const std::string& gtid_executed) const {
    return {{"version", GetParam().version},
            {"read_only", writable ? "0" : "1"},
            {"super_read_only", writable ? "0" : "1"},
            {"server_id", std::to_string(i + 1)},
            {"server_uuid", kUuids[i]},
            {"gtid_executed", gtid_executed}};
  }
  std::string PrimaryGtids() const { return std::string(kUuids[0]) + ":1-120"; }

  json Primary() const {
    return {{"dialect", GetParam().dialect},
            {"variables", Variables(0, true, PrimaryGtids())},
            {"replica_status", json::array()}};
  }

  json Replica(int i, bool running = true, bool writable = false,
               const std::string& extra_gtids = "") const {
    const Version& v = GetParam();
    std::string gtids = PrimaryGtids();
    if (!extra_gtids.empty()) gtids += "," + extra_gtids;
    json row = {{v.host_column, "127.0.0.1"},
                {v.port_column, std::to_string(ports_[0])},
                {v.io_column, running ? "Yes" : "No"},
                {v.sql_column, running ? "Yes" : "No"},
                {"Last_IO_Errno", "0"},
                {"Last_SQL_Errno", "0"},
                {"SQL_Delay", "0"},
                {"Auto_Position", "1"},
                {"Executed_Gtid_Set", gtids},
                {"Channel_Name", v.channel}};
    if (running) row[v.lag_column] = "0";  // NULL (unset) when stopped.
    return {{"dialect", v.dialect},
            {"variables", Variables(i, writable, gtids)},
            {"replica_status", json::array({row})}};
  }

  Labels PodLabels(int i) const {
    return {{"namespace", ""}, {"db_cluster", "orders"}, {"component", "mysql"}, {"pod", Pod(i)}};
  }
  Labels Role(int i, const std::string& role) const {
    Labels l = PodLabels(i);
    l["role"] = role;
    return l;
  }
  Labels Channel(int i) const {
    Labels l = PodLabels(i);
    l["channel"] = GetParam().channel;
    return l;
  }
  static bool HasFinding(const Metrics& m, const std::string& kind, const std::string& pod) {
    return m.Has("dbtopo_finding", {{"kind", kind}, {"pod", pod}});
  }

  TempDir dir_{"dbtopo-mysql-wire"};
  ExporterProcess exporter_{dir_};
  std::vector<int> ports_;
  std::vector<std::unique_ptr<Process>> servers_;
};

TEST_P(MysqlWireTest, RolesChannelsReadOnlyAndErrantGtidsThroughTheRealProbe) {
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "healthy: one primary, two replicas with links up, no finding",
      [&](const Metrics& x) {
        return x.Is("dbtopo_role", Role(0, "primary"), 1) &&
               x.Is("dbtopo_role", Role(1, "replica"), 1) &&
               x.Is("dbtopo_role", Role(2, "replica"), 1) &&
               x.Is("dbtopo_replication_source_valid", Channel(1), 1) &&
               x.Is("dbtopo_replication_source_valid", Channel(2), 1) &&
               x.Count("dbtopo_finding") == 0;
      },
      std::chrono::seconds(30), &m));
  EXPECT_EQ(m.Value("dbtopo_writable", PodLabels(1)), 0) << "super_read_only replica";
  EXPECT_EQ(m.Value("dbtopo_replication_lag_seconds", Channel(1)), 0);
  EXPECT_EQ(m.Value("dbtopo_replication_configured_delay_seconds", Channel(1)), 0);
  EXPECT_EQ(m.Value("dbtopo_replication_errant_gtid", PodLabels(2)), 0);
  const json member = exporter_.Topology()["clusters"][0]["members"][1];
  EXPECT_EQ(member["server_uuid"], kUuids[1]);
  EXPECT_EQ(member["super_read_only"], true);
  EXPECT_EQ(member["channels"][0]["name"], GetParam().channel);

  // STOP REPLICA (STOP SLAVE on 5.7) and writable: a second primary.
  Write(1, Replica(1, /*running=*/false, /*writable=*/true));
  ASSERT_TRUE(exporter_.WaitFor(
      "mysql-1 primary by the database, dual_primary",
      [&](const Metrics& x) {
        return x.Is("dbtopo_role", Role(1, "primary"), 1) && HasFinding(x, "dual_primary", "") &&
               HasFinding(x, "replication_broken", "mysql-1");
      },
      std::chrono::seconds(30), &m));
  EXPECT_FALSE(m.Has("dbtopo_replication_lag_seconds", Channel(1))) << "NULL lag is unknown";
  Write(1, Replica(1));

  // A transaction written on mysql-2 itself.
  const std::string tag = GetParam().errant_tag;
  const std::string errant = std::string(kUuids[2]) + (tag.empty() ? "" : ":" + tag) + ":1-3";
  Write(2, Replica(2, true, false, errant));
  ASSERT_TRUE(exporter_.WaitFor(
      "errant_gtid on mysql-2 only",
      [&](const Metrics& x) {
        return x.Is("dbtopo_replication_errant_gtid", PodLabels(2), 1) &&
               HasFinding(x, "errant_gtid", "mysql-2") && !HasFinding(x, "dual_primary", "");
      },
      std::chrono::seconds(30), &m));
  EXPECT_EQ(m.Value("dbtopo_replication_errant_gtid", PodLabels(1)), 0);
  EXPECT_EQ(m.Count("dbtopo_finding"), 1u);
  const json topology = exporter_.Topology();
  EXPECT_EQ(topology["clusters"][0]["members"][2]["errant_gtids"], errant);
}

INSTANTIATE_TEST_SUITE_P(Versions, MysqlWireTest, ::testing::ValuesIn(kVersions),
                         [](const auto& info) {
                           std::string name = info.param.dialect;
                           for (char& c : name) {
                             if (c == '-' || c == '.') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace dbtopo::testing
