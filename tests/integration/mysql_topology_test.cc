// Real replication topologies on real MariaDB (scenarios 1, 3, 5 and 8):
// a writable replica whose replication is stopped, a chain by binlog
// file/position, active/passive co-primaries, a delayed replica, a replica
// detached by RESET SLAVE ALL, an errant write on a replica, and a primary
// that only the exporter cannot reach. Each fault is injected, its findings
// checked (and nothing else), then cleared. The legal topologies and a
// planned switchover run for 30 rounds without one critical finding.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "support/mysql_fixture.h"
#include "support/mysql_proxy.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kToken[] = "topology-test-token-0123456789";

class MysqlTopologyTest : public MysqlFixture {
 protected:
  void SetUp() override { StartTopology(); }

  /// The `source` label of pod i's default channel when it follows server s.
  Labels LinkFrom(int i, int s) {
    Labels l = Channel(i);
    l["source"] = topo_.server(s).address();
    return l;
  }

  /// Scrapes until `rounds` more poll rounds completed; returns every
  /// critical finding seen on the way ("kind pod" -> times seen) and calls
  /// `each` on every scrape.
  std::map<std::string, int> CriticalsOver(int rounds,
                                           const std::function<void(const Metrics&)>& each = {}) {
    std::map<std::string, int> seen;
    const double first = exporter_.Scrape().Value("dbtopo_poll_rounds_total", {}).value_or(0);
    PollUntil(
        [&] {
          const Metrics m = exporter_.Scrape();
          for (const Sample& s : m.Find("dbtopo_finding")) {
            if (s.labels.at("severity") == "critical") {
              ++seen[s.labels.at("kind") + " " + s.labels.at("pod")];
            }
          }
          if (each) each(m);
          return m.Value("dbtopo_poll_rounds_total", {}).value_or(0) >= first + rounds;
        },
        std::chrono::seconds(rounds * 3), std::chrono::milliseconds(200));
    return seen;
  }
};

// Two pods labelled primary: STOP SLAVE; SET GLOBAL read_only=0 on a replica. It takes
// writes that reach nobody: a second primary, though its channel remains.
TEST_F(MysqlTopologyTest, WritableReplicaWithStoppedReplicationIsADualPrimary) {
  StartExporter();
  WaitHealthy();
  topo_.StopAndMakeWritable(1);
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "two primaries, dual_primary, mysql-1 primary by the database",
      [&](const Metrics& x) {
        Labels role = Pod(1);
        role["role"] = "primary";
        return x.Is("dbtopo_cluster_primaries", Unit(), 2) &&
               x.Is("dbtopo_cluster_dual_primary", Unit(), 1) && x.Is("dbtopo_role", role, 1) &&
               HasFinding(x, "dual_primary", -1);
      },
      kWait, &m));
  EXPECT_EQ(m.Value("dbtopo_replication_io_running", Channel(1)), 0) << "the channel stays";
  EXPECT_EQ(m.Value("dbtopo_role_label_mismatch", Pod(1)), 1);
  ExpectOnlyFindings(m, {"dual_primary", "replication_broken", "role_label_mismatch"});

  topo_.server(1).Execute("SET GLOBAL read_only=1; START SLAVE");
  WaitHealthy();
}

// A legal topology that must stay quiet: a replica of a replica by binlog file/position is legal.
TEST_F(MysqlTopologyTest, ChainByFilePositionIsLegal) {
  StartExporter();
  WaitHealthy();
  topo_.ChainByPosition(2, 1);
  topo_.primary().Execute("INSERT INTO dbtopo_test.t VALUES (500, 'through the chain')");
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "mysql-2 follows mysql-1, source valid, link up",
      [&](const Metrics& x) {
        return x.Is("dbtopo_replication_link_up", LinkFrom(2, 1), 1) &&
               x.Is("dbtopo_replication_source_valid", Channel(2), 1);
      },
      kWait, &m));
  ASSERT_TRUE(PollUntil(
      [&] {
        return topo_.server(2).QueryValue("SELECT v FROM dbtopo_test.t WHERE id=500") ==
               "through the chain";
      },
      kWait))
      << "the row never reached mysql-2 through mysql-1";
  EXPECT_EQ(m.Count("dbtopo_finding"), 0u) << FindingsText(m);
  const nlohmann::json topology = exporter_.Topology();
  EXPECT_EQ(MemberJson(topology, "mysql-0")["depth"], 0);
  EXPECT_EQ(MemberJson(topology, "mysql-1")["depth"], 1);
  EXPECT_EQ(MemberJson(topology, "mysql-2")["depth"], 2);
  EXPECT_EQ(MemberJson(topology, "mysql-2")["channels"][0]["source_pod"], "mysql-1");
  EXPECT_EQ(MemberJson(topology, "mysql-2")["channels"][0]["gtid_mode"], "No");

  topo_.PointAt(2, "127.0.0.1", topo_.primary().port());
  WaitHealthy();
}

// A legal topology that must stay quiet: mysql-0 writable and mysql-1 read-only, replicating from
// each other. mysql-0 is the primary; nothing is wrong.
TEST_F(MysqlTopologyTest, ActivePassiveCoPrimariesAreLegal) {
  StartExporter();
  WaitHealthy();
  topo_.ReplicateAlsoFrom(0, 1);
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "mysql-0 replicates from mysql-1 and is still the one primary",
      [&](const Metrics& x) {
        Labels role = Pod(0);
        role["role"] = "primary";
        return x.Is("dbtopo_replication_link_up", LinkFrom(0, 1), 1) &&
               x.Is("dbtopo_role", role, 1) && x.Is("dbtopo_cluster_primaries", Unit(), 1);
      },
      kWait, &m));
  EXPECT_EQ(m.Value("dbtopo_replication_source_valid", Channel(0)), 1);
  EXPECT_EQ(m.Value("dbtopo_role_label_mismatch", Pod(0)), 0);
  EXPECT_EQ(m.Count("dbtopo_finding"), 0u) << FindingsText(m);
  EXPECT_EQ(MemberJson(exporter_.Topology(), "mysql-0")["co_primary"], true);

  // The passive one made writable too: two write points.
  topo_.server(1).Execute("SET GLOBAL read_only=0");
  ASSERT_TRUE(exporter_.WaitFor(
      "both writable co-primaries are a dual primary",
      [&](const Metrics& x) { return HasFinding(x, "dual_primary", -1); }, kWait, &m));
  ExpectOnlyFindings(m, {"dual_primary", "role_label_mismatch"});

  topo_.server(1).Execute("SET GLOBAL read_only=1");
  topo_.primary().Execute("STOP SLAVE; RESET SLAVE ALL");
  WaitHealthy();
}

// A legal topology that must stay quiet: a replica told to stay 60 s behind is not lagging while it
// keeps that delay, even with a 5 s lag threshold.
TEST_F(MysqlTopologyTest, DelayedReplicaIsNotLagging) {
  StartExporter({}, "thresholds:\n  replication_lag: 5s\n");
  WaitHealthy();
  topo_.SetDelay(2, 60);
  topo_.primary().Execute("INSERT INTO dbtopo_test.t VALUES (600, 'late')");
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "mysql-2 delay 60 s exported, lag above the 5 s threshold",
      [&](const Metrics& x) {
        return x.Is("dbtopo_replication_configured_delay_seconds", Channel(2), 60) &&
               x.Value("dbtopo_replication_lag_seconds", Channel(2)).value_or(0) > 10;
      },
      kWait, &m));
  EXPECT_EQ(m.Value("dbtopo_replication_configured_delay_seconds", Channel(1)), 0);
  EXPECT_EQ(m.Count("dbtopo_finding"), 0u) << FindingsText(m);

  topo_.SetDelay(2, 0);
  WaitHealthy();
}

// A switchover that half happened: a half-done switchover ran RESET SLAVE ALL on a replica and
// left it read-only: it serves reads that age without bound.
TEST_F(MysqlTopologyTest, ResetSlaveAllLeavesADetachedReplica) {
  StartExporter();
  WaitHealthy();
  topo_.ResetSlaveAll(2);
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "detached_replica on mysql-2",
      [&](const Metrics& x) {
        Labels warning = Finding("detached_replica", 2);
        warning["severity"] = "warning";
        return x.Has("dbtopo_finding", warning);
      },
      kWait, &m));
  EXPECT_FALSE(m.Has("dbtopo_replication_io_running", Pod(2))) << "no channel left";
  ExpectOnlyFindings(m, {"detached_replica"});

  topo_.PointAt(2, "127.0.0.1", topo_.primary().port());
  WaitHealthy();
}

// A legal topology that must stay quiet: a row written on a replica itself (as root, whom read_only
// does not stop) is a transaction the primary never has.
TEST_F(MysqlTopologyTest, ErrantWriteOnAReplica) {
  StartExporter();
  WaitHealthy();
  EXPECT_EQ(exporter_.Scrape().Value("dbtopo_replication_errant_gtid", Pod(1)), 0);
  topo_.WriteErrantTransaction(1);
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "errant_gtid on mysql-1",
      [&](const Metrics& x) {
        return x.Is("dbtopo_replication_errant_gtid", Pod(1), 1) && HasFinding(x, "errant_gtid", 1);
      },
      kWait, &m));
  EXPECT_EQ(m.Value("dbtopo_replication_errant_gtid", Pod(2)), 0);
  ExpectOnlyFindings(m, {"errant_gtid"});
  const nlohmann::json member = MemberJson(exporter_.Topology(), "mysql-1");
  // server_id 2 is mysql-1's own: domain 0, server 2.
  EXPECT_THAT(member["errant_gtids"].get<std::string>(), HasSubstr("0-2-"));

  topo_.ForgetBinlog(1);
  WaitHealthy();
}

// A legal topology that must stay quiet: the exporter's path to the primary is cut, the replicas
// keep streaming from it: primary_unreachable, not no_primary. Once the primary is really gone,
// no_primary.
TEST_F(MysqlTopologyTest, PrimaryOnlyTheExporterCannotReach) {
  // Exporter and replicas reach the primary through one relay (one address,
  // as a pod IP), which then cuts the exporter's user only.
  MysqlProxy proxy(topo_.primary().port());
  for (int i : {1, 2}) topo_.PointAt(i, "127.0.0.1", proxy.port());
  ClusterSpec spec = topo_.ToClusterSpec(kCluster);
  spec.members[0].address = "127.0.0.1:" + std::to_string(proxy.port());
  StartExporter(spec);
  WaitHealthy();

  proxy.Block(MariadbTopology::kExporterUser);
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "mysql-0 down for the exporter, primary_unreachable, replicas still linked",
      [&](const Metrics& x) {
        return x.Is("dbtopo_up", Pod(0), 0) && HasFinding(x, "primary_unreachable", 0) &&
               x.Is("dbtopo_replication_io_running", Channel(1), 1);
      },
      kWait, &m));
  EXPECT_FALSE(HasFinding(m, "no_primary", -1));
  Labels warning = Finding("primary_unreachable", 0);
  warning["severity"] = "warning";
  EXPECT_TRUE(m.Has("dbtopo_finding", warning));
  ExpectOnlyFindings(m, {"primary_unreachable", "target_down"});

  topo_.KillPrimary();
  ASSERT_TRUE(exporter_.WaitFor("no replica sees it either: no_primary", [&](const Metrics& x) {
    return HasFinding(x, "no_primary", -1) && !HasFinding(x, "primary_unreachable", 0);
  }));
}

// A server restarted between two rounds is back by the next one: the kept
// connection is dead (2006/2013), and the probe reconnects once within its
// deadline instead of reporting the target down for a round.
TEST_F(MysqlTopologyTest, ServerRestartedBetweenRoundsIsNotReportedDown) {
  constexpr auto kInterval = std::chrono::seconds(6);
  StartExporter({}, "", "6s");
  WaitHealthy();
  const double failures = exporter_.Scrape().Value("dbtopo_probe_failures_total", {}).value_or(-1);
  Metrics m;
  ASSERT_TRUE(exporter_.RestartBetweenRounds(
      [&] {
        topo_.server(2).Shutdown();
        topo_.server(2).Start();
      },
      std::chrono::seconds(4), kInterval * 2, &m));
  EXPECT_EQ(m.Value("dbtopo_up", Pod(2)), 1) << exporter_.LogTail(3000);
  EXPECT_EQ(m.Value("dbtopo_probe_failures_total", {}), failures)
      << "a probe of the restarted server failed";
}

// A replicated statement that quotes the replication user's password
// breaks a replica; its Last_SQL_Error holds the password, whole on one
// replica and cut by the server's limit on the other. Neither reaches
// /metrics, the topology JSON or the log.
TEST_F(MysqlTopologyTest, PasswordsQuotedInReplicationErrorsAreRedacted) {
  ClusterSpec spec = topo_.ToClusterSpec(kCluster);
  spec.replication_username = MariadbTopology::kReplUser;
  spec.replication_password = topo_.repl_password();
  StartExporter(spec);
  WaitHealthy();
  const std::string pw = topo_.repl_password();
  ASSERT_GE(pw.size(), 8u);
  // MariaDB replicas skip a conflicting CREATE TABLE unless told to be strict.
  for (int i : {1, 2}) {
    topo_.server(i).Execute("STOP SLAVE; SET GLOBAL slave_ddl_exec_mode='STRICT'; START SLAVE;");
  }
  // mysql-1: the whole password in the quoted query.
  topo_.server(1).Execute(
      "SET SESSION sql_log_bin=0; CREATE TABLE dbtopo_test.leak (c VARCHAR(255));");
  // mysql-2: padded so that MariaDB's 1,023-character cut falls mid-password.
  const std::string head =
      "Error 'Table 'leak2' already exists' on query. Default database: ''. "
      "Query: 'CREATE TABLE dbtopo_test.leak2 /* ";
  const std::string tail = " */ (c VARCHAR(255) DEFAULT '";
  const std::size_t pad = 1023 - head.size() - tail.size() - pw.size() / 2;
  topo_.server(2).Execute(
      "SET SESSION sql_log_bin=0; CREATE TABLE dbtopo_test.leak2 (c VARCHAR(255));");
  topo_.primary().Execute("CREATE TABLE dbtopo_test.leak (c VARCHAR(255) DEFAULT '" + pw + "')");
  topo_.primary().Execute("CREATE TABLE dbtopo_test.leak2 /* " + std::string(pad, 'p') + tail + pw +
                          "')");
  ASSERT_TRUE(PollUntil(
      [&] {
        return topo_.ReplicaStatus(1)["Last_SQL_Errno"] == "1050" &&
               topo_.ReplicaStatus(2)["Last_SQL_Errno"] == "1050";
      },
      kWait))
      << topo_.Describe();
  const std::string whole = topo_.ReplicaStatus(1)["Last_SQL_Error"].value_or("");
  const std::string cut = topo_.ReplicaStatus(2)["Last_SQL_Error"].value_or("");
  ASSERT_THAT(whole, HasSubstr(pw)) << "the server did not quote the statement";
  ASSERT_THAT(cut, ::testing::Not(HasSubstr(pw)));
  ASSERT_TRUE(cut.size() >= 4 && pw.find(cut.substr(cut.size() - 4)) != std::string::npos)
      << "the cut did not fall inside the password: ..." << cut.substr(cut.size() - 40);

  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor("both replicas broken", [&](const Metrics& x) {
    return HasFinding(x, "replication_broken", 1) && HasFinding(x, "replication_broken", 2);
  }));
  const std::string topology = exporter_.Get("/api/v1/topology").body;
  for (const std::string& out : {exporter_.Get("/metrics").body, topology, exporter_.Log()}) {
    EXPECT_THAT(out, ::testing::Not(HasSubstr(pw)));
    EXPECT_THAT(out, ::testing::Not(HasSubstr("DEFAULT '" + pw.substr(0, 4))));
  }
  EXPECT_THAT(topology, HasSubstr("DEFAULT '<secret>"));
}

// A legal topology that must stay quiet, no false pages: co-primaries, a chain and a delayed
// replica at once for 30 rounds, then a planned switchover through the API and 10 more rounds:
// never one critical finding.
TEST_F(MysqlTopologyTest, LegalTopologiesAndAPlannedSwitchoverNeverRaiseACriticalFinding) {
  const std::string grants =
      "SET SESSION sql_log_bin=0;"
      "GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, RELOAD ON *.* TO 'exporter'@'%';"
      "SET SESSION sql_log_bin=1;";
  for (int i = 0; i < topo_.size(); ++i) topo_.server(i).Execute(grants);
  WriteFile(dir_.File("token"), std::string(kToken) + "\n", 0600);
  ClusterSpec spec = topo_.ToClusterSpec(kCluster);
  spec.replication_username = MariadbTopology::kReplUser;
  spec.replication_password = topo_.repl_password();
  StartExporter(spec,
                "thresholds:\n  replication_lag: 5s\nremediation:\n  enabled: true\n"
                "  token_file: \"" +
                    dir_.File("token") +
                    "\"\n"
                    "  switchover:\n    action: native\n    max_lag: 10s\n    timeout: 30s\n");
  WaitHealthy();

  topo_.ReplicateAlsoFrom(0, 1);  // Co-primaries mysql-0 (active) and mysql-1.
  topo_.ChainByPosition(2, 1);    // mysql-2 below mysql-1,
  topo_.SetDelay(2, 60);          // and 60 s behind on purpose.
  double max_delayed_lag = 0;
  int key = 700;
  const auto legal = CriticalsOver(30, [&](const Metrics& m) {
    max_delayed_lag = std::max(max_delayed_lag,
                               m.Value("dbtopo_replication_lag_seconds", Channel(2)).value_or(0));
    topo_.primary().Execute("INSERT INTO dbtopo_test.t VALUES (" + std::to_string(key++) +
                            ", 'w')");
  });
  EXPECT_TRUE(legal.empty()) << "critical findings on a legal topology: "
                             << ::testing::PrintToString(legal);
  EXPECT_GT(max_delayed_lag, 10) << "the delayed replica never lagged: the case proved nothing";
  EXPECT_EQ(exporter_.Scrape().Count("dbtopo_finding"), 0u);

  // Back to one primary and two direct replicas, then a planned switchover.
  topo_.primary().Execute("STOP SLAVE; RESET SLAVE ALL");
  topo_.SetDelay(2, 0);
  topo_.PointAt(2, "127.0.0.1", topo_.primary().port());
  WaitHealthy();
  std::map<std::string, int> during;
  std::thread scraper([&] { during = CriticalsOver(10); });
  const HttpResult r = exporter_.Post("/api/v1/switchover",
                                      R"({"db_cluster":"orders","candidate":"mysql-1"})", kToken);
  scraper.join();
  EXPECT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_TRUE(during.empty()) << "critical findings around a planned switchover: "
                              << ::testing::PrintToString(during);
  Labels primary1 = Pod(1);
  primary1["role"] = "primary";
  EXPECT_TRUE(exporter_.WaitFor("mysql-1 is the primary", [&](const Metrics& m) {
    return m.Is("dbtopo_role", primary1, 1) && m.Is("dbtopo_cluster_primaries", Unit(), 1);
  }));
}

}  // namespace
}  // namespace dbtopo::testing
