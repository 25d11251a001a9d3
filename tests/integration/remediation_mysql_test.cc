// Remediation against real servers: a MariaDB primary with two GTID
// replicas, watched by the real dbtopo_exporter with a `remediation:` config,
// driven through POST /api/v1/switchover and the automatic fencing.
//
// Every test checks the servers themselves (read_only, SHOW SLAVE STATUS,
// rows), not only what the exporter says. The switchover test keeps a writer
// thread inserting rows (as an `app` user without SUPER / READ_ONLY ADMIN, so
// read_only applies to it) and checks that every acknowledged row survives.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mysql.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "support/acking_writer.h"
#include "support/exporter_process.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/prom_text.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr char kCluster[] = "orders";
constexpr char kToken[] = "remediation-token-0123456789";
constexpr char kAppUser[] = "app";
constexpr char kAppPassword[] = "app-pw-42";
constexpr auto kWait = std::chrono::seconds(30);

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Inserts rows as the `app` user into whichever server accepts them, and
/// remembers every id whose INSERT returned OK.
// One connection of the app user; an INSERT of row `id` is a write.
class MysqlAppConnection : public AckingWriter::Connection {
 public:
  static std::unique_ptr<AckingWriter::Connection> Connect(int port) {
    MYSQL* conn = mysql_init(nullptr);
    unsigned timeout = 2;
    unsigned protocol = MYSQL_PROTOCOL_TCP;
    mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(conn, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_options(conn, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    mysql_options(conn, MYSQL_OPT_PROTOCOL, &protocol);
    if (mysql_real_connect(conn, "127.0.0.1", kAppUser, kAppPassword, nullptr,
                           static_cast<unsigned>(port), nullptr, 0) == nullptr) {
      mysql_close(conn);
      return nullptr;
    }
    return std::make_unique<MysqlAppConnection>(conn);
  }
  explicit MysqlAppConnection(MYSQL* conn) : conn_(conn) {}
  ~MysqlAppConnection() override { mysql_close(conn_); }
  // Read-only (1290) or gone: false, and the writer tries the next server.
  bool Write(int id) override {
    const std::string sql =
        "INSERT INTO dbtopo_test.t VALUES (" + std::to_string(id) + ", 'writer')";
    return mysql_real_query(conn_, sql.data(), sql.size()) == 0;
  }

 private:
  MYSQL* conn_;
};

AckingWriter Writer(std::vector<int> ports) {
  return AckingWriter(std::move(ports), MysqlAppConnection::Connect, 100000,
                      std::chrono::milliseconds(5));
}

struct RemediationYaml {
  bool enabled = true;
  bool fence = false;
  std::string max_lag = "10s";
  std::string timeout = "30s";
  std::string cooldown = "1m";
  /// `alert_actions:` entries, alertname -> action.
  std::map<std::string, std::string> alert_actions = {};
};

class RemediationMysqlTest : public ::testing::Test {
 protected:
  void SetUp() override { start_ = Clock::now(); }

  /// Starts the servers (with the extra admin grants and the app user) and
  /// the exporter with the given remediation config.
  void Start(const RemediationYaml& r, bool with_replication_credentials = true) {
    topo_.Start(2);
    const std::string setup =
        "SET SESSION sql_log_bin=0;"
        // What remediation needs beyond the probe (docs/remediation.md).
        "GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, RELOAD ON *.* TO 'exporter'@'%';"
        "CREATE USER 'app'@'%' IDENTIFIED BY 'app-pw-42';"
        "GRANT SELECT, INSERT ON dbtopo_test.* TO 'app'@'%';"
        "SET SESSION sql_log_bin=1;";
    for (int i = 0; i < topo_.size(); ++i) topo_.server(i).Execute(setup);
    const double topo_s = SecondsSince(start_);

    WriteFile(dir_.File("token"), std::string(kToken) + "\n", 0600);
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    ClusterSpec spec = topo_.ToClusterSpec(kCluster);
    if (with_replication_credentials) {
      spec.replication_username = MariadbTopology::kReplUser;
      spec.replication_password = topo_.repl_password();
    }
    options.clusters.push_back(spec);
    std::ostringstream yaml;
    yaml << "remediation:\n"
         << "  enabled: " << (r.enabled ? "true" : "false") << "\n"
         << "  token_file: \"" << dir_.File("token") << "\"\n"
         << "  fence_stray_primaries: " << (r.fence ? "true" : "false") << "\n"
         << "  cooldown: " << r.cooldown << "\n";
    if (!r.alert_actions.empty()) {
      yaml << "  alert_actions:\n";
      for (const auto& [alert, action] : r.alert_actions)
        yaml << "    " << alert << ": " << action << "\n";
    }
    yaml << "  switchover:\n"
         << "    action: native\n"
         << "    max_lag: " << r.max_lag << "\n"
         << "    timeout: " << r.timeout << "\n";
    options.extra_yaml = yaml.str();
    exporter_.Start(options);
    std::cout << "[ setup    ] topology " << topo_s << " s, exporter ready "
              << SecondsSince(start_) - topo_s << " s\n";
    ASSERT_TRUE(exporter_.WaitFor("healthy baseline", [&](const Metrics& m) {
      return m.Is("dbtopo_cluster_primaries", Unit(), 1) && m.Count("dbtopo_finding") == 0 &&
             m.Is("dbtopo_remediation_actions_total",
                  {{"action", "switchover"}, {"result", "success"}}, 0);
    }));
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cout << "--- servers ---\n" << topo_.Describe();
      std::cout << "--- exporter log tail ---\n" << exporter_.LogTail(8000);
    }
    // No secret anywhere the exporter writes or answers.
    const std::string log = exporter_.Log();
    for (const std::string& secret :
         {topo_.exporter_password(), topo_.repl_password(), std::string(kToken)}) {
      EXPECT_THAT(log, Not(HasSubstr(secret)));
      EXPECT_THAT(exporter_.Get("/api/v1/topology").body, Not(HasSubstr(secret)));
      for (const std::string& body : answers_) EXPECT_THAT(body, Not(HasSubstr(secret)));
    }
    std::cout << "[ time     ] " << SecondsSince(start_) << " s\n";
  }

  static Labels Unit() {
    return {{"namespace", ""}, {"db_cluster", kCluster}, {"component", "mysql"}};
  }
  static Labels Actions(const std::string& action, const std::string& result) {
    return {{"action", action}, {"result", result}};
  }

  /// POST /api/v1/switchover; keeps the body for the secret check.
  HttpResult Switchover(const std::string& candidate, const std::string& token = kToken,
                        const std::string& extra = "") {
    const std::string body = R"({"db_cluster":")" + std::string(kCluster) + R"(","candidate":")" +
                             candidate + "\"" + extra + "}";
    HttpResult r = exporter_.Post("/api/v1/switchover", body, token);
    answers_.push_back(r.body);
    std::cout << "[ POST     ] candidate " << candidate << " -> " << r.status << " "
              << r.body.substr(0, 600) << "\n";
    return r;
  }

  std::string ReadOnly(int i) {
    return topo_.server(i).QueryValue("SELECT @@GLOBAL.read_only").value_or("?");
  }

  /// Server i replicates from server `source` with both threads running.
  ::testing::AssertionResult ReplicatesFrom(int i, int source) {
    Row st = topo_.ReplicaStatus(i);
    auto get = [&](const char* k) {
      auto it = st.find(k);
      return it == st.end() || !it->second ? std::string("NULL") : *it->second;
    };
    if (st.empty()) return ::testing::AssertionFailure() << "server " << i << " is not a replica";
    if (get("Master_Port") != std::to_string(topo_.server(source).port()) ||
        get("Slave_IO_Running") != "Yes" || get("Slave_SQL_Running") != "Yes") {
      return ::testing::AssertionFailure()
             << "server " << i << ": Master_Port " << get("Master_Port") << " (want "
             << topo_.server(source).port() << "), IO " << get("Slave_IO_Running") << ", SQL "
             << get("Slave_SQL_Running") << ", " << get("Last_IO_Error") << " "
             << get("Last_SQL_Error");
    }
    return ::testing::AssertionSuccess();
  }

  /// The original topology: 0 writable, 1 and 2 read-only replicas of 0.
  void ExpectUnchanged(const std::string& after) {
    SCOPED_TRACE("after " + after);
    EXPECT_EQ(ReadOnly(0), "0");
    EXPECT_EQ(ReadOnly(1), "1");
    EXPECT_EQ(ReadOnly(2), "1");
    EXPECT_TRUE(topo_.ReplicaStatus(0).empty());
    EXPECT_TRUE(ReplicatesFrom(1, 0));
  }

  Clock::time_point start_;
  MariadbTopology topo_;
  TempDir dir_{"dbtopo-remediation"};
  ExporterProcess exporter_{dir_};
  std::vector<std::string> answers_;
};

TEST_F(RemediationMysqlTest, SwitchoverUnderWritesLosesNoRow) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  AckingWriter writer =
      Writer({topo_.server(0).port(), topo_.server(1).port(), topo_.server(2).port()});
  writer.Start();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto t0 = Clock::now();
  const HttpResult r = Switchover("mysql-1");
  const double took = SecondsSince(t0);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // Writes land on the new primary.
  writer.Stop();
  ASSERT_EQ(r.status, 200) << r.body;
  const nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["result"], "success");
  EXPECT_EQ(j["old_primary"], "mysql-0");
  EXPECT_EQ(j["candidate"], "mysql-1");
  std::vector<std::string> steps;
  for (const auto& s : j["steps"]) {
    steps.push_back(s["name"].get<std::string>() + ":" + s["pod"].get<std::string>() + ":" +
                    s["status"].get<std::string>());
  }
  EXPECT_THAT(steps, ::testing::ElementsAre("preflight:mysql-1:ok", "set_read_only:mysql-0:ok",
                                            "read_position:mysql-0:ok", "wait_catch_up:mysql-1:ok",
                                            "promote:mysql-1:ok", "repoint:mysql-0:ok",
                                            "repoint:mysql-2:ok", "verify::ok"));
  std::cout << "[ switch   ] " << took << " s; writer acked " << writer.acked().size() << " rows, "
            << writer.failures() << " failed attempts\n";

  // Exactly one writable server, the others replicate from it.
  EXPECT_EQ(ReadOnly(1), "0");
  EXPECT_EQ(ReadOnly(0), "1");
  EXPECT_EQ(ReadOnly(2), "1");
  EXPECT_TRUE(topo_.ReplicaStatus(1).empty()) << "the new primary replicates from nobody";
  EXPECT_TRUE(ReplicatesFrom(0, 1));
  EXPECT_TRUE(ReplicatesFrom(2, 1));

  // No acknowledged row is lost, on any server.
  const std::set<int> acked = writer.acked();
  ASSERT_GT(acked.size(), 20u);
  const std::string pos =
      topo_.server(1).QueryValue("SELECT @@GLOBAL.gtid_binlog_pos").value_or("");
  for (int i : {0, 2}) {
    EXPECT_EQ(topo_.server(i).QueryValue("SELECT MASTER_GTID_WAIT('" + pos + "', 20)"), "0");
  }
  for (int i = 0; i < 3; ++i) {
    std::set<int> rows;
    for (const Row& row :
         topo_.server(i).Query("SELECT id FROM dbtopo_test.t WHERE id >= 100000")) {
      rows.insert(std::stoi(*row.at("id")));
    }
    std::vector<int> lost;
    std::set_difference(acked.begin(), acked.end(), rows.begin(), rows.end(),
                        std::back_inserter(lost));
    EXPECT_TRUE(lost.empty()) << "server " << i << " lost " << lost.size() << " acked rows";
  }

  // Counted, and the exporter's own view converges on the new primary.
  Labels primary1 = {{"pod", "mysql-1"}, {"role", "primary"}};
  EXPECT_TRUE(exporter_.WaitFor("switchover counted and seen", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("switchover", "success"), 1) &&
           m.Is("dbtopo_role", primary1, 1) && m.Is("dbtopo_cluster_primaries", Unit(), 1);
  }));
  const nlohmann::json topology = exporter_.Topology();
  ASSERT_TRUE(topology.contains("remediation"));
  const auto& last = topology["remediation"]["units"][0]["last_actions"].back();
  EXPECT_EQ(last["result"], "success");
  EXPECT_EQ(last["trigger"], "api");
}

TEST_F(RemediationMysqlTest, RefusedRequestsChangeNothing) {
  ASSERT_NO_FATAL_FAILURE(Start({.max_lag = "2s"}));
  EXPECT_EQ(Switchover("mysql-1", "").status, 401);
  EXPECT_EQ(Switchover("mysql-1", "not-the-token").status, 401);
  ExpectUnchanged("401");

  HttpResult r = Switchover("mysql-7");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("unknown candidate"));
  ExpectUnchanged("unknown candidate");

  // Broken candidate: its SQL thread is stopped.
  topo_.StopSql(2);
  r = Switchover("mysql-2");
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(r.body, HasSubstr("broken"));
  ExpectUnchanged("broken candidate");

  // Lagging candidate: mysql-1 applies events an hour late.
  topo_.server(1).Execute("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=3600; START SLAVE;");
  topo_.primary().Execute("INSERT INTO dbtopo_test.t VALUES (7, 'late')");
  ASSERT_TRUE(PollUntil(
      [&] {
        Row st = topo_.ReplicaStatus(1);
        auto it = st.find("Seconds_Behind_Master");
        return it != st.end() && it->second && std::stoi(*it->second) > 2;
      },
      std::chrono::seconds(20)));
  r = Switchover("mysql-1");
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(r.body, HasSubstr("behind, more than max_lag 2s"));
  ExpectUnchanged("lagging candidate");

  // Not fully visible: a member is down.
  topo_.server(2).Kill();
  r = Switchover("mysql-1");
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(r.body, HasSubstr("not fully visible"));
  EXPECT_EQ(ReadOnly(0), "0");
  EXPECT_EQ(ReadOnly(1), "1");

  EXPECT_TRUE(exporter_.WaitFor("refusals counted (401s are not decisions)", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("switchover", "refused"), 4) &&
           m.Is("dbtopo_remediation_actions_total", Actions("switchover", "success"), 0) &&
           m.Is("dbtopo_remediation_actions_total", Actions("switchover", "failure"), 0);
  }));
}

TEST_F(RemediationMysqlTest, WritableReplicaIsFencedWhenOn) {
  ASSERT_NO_FATAL_FAILURE(Start({.fence = true}));
  topo_.server(2).Execute("SET GLOBAL read_only=0");
  EXPECT_TRUE(exporter_.WaitFor("fence counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("fence", "success"), 1);
  }));
  EXPECT_EQ(ReadOnly(2), "1");
  EXPECT_TRUE(ReplicatesFrom(2, 0)) << "fencing changes read_only and nothing else";
  ExpectUnchanged("fence");
  const nlohmann::json topology = exporter_.Topology();
  const auto& last = topology["remediation"]["units"][0]["last_actions"].back();
  EXPECT_EQ(last["action"], "fence");
  EXPECT_EQ(last["trigger"], "auto:writable_replica");
  EXPECT_EQ(last["fenced"][0], "mysql-2");
  EXPECT_EQ(last["old_primary"], "mysql-0");
}

TEST_F(RemediationMysqlTest, DetachedWritableReplicaIsFencedOnlyReadOnly) {
  ASSERT_NO_FATAL_FAILURE(Start({.fence = true}));
  topo_.DetachAndMakeWritable(2);  // Dual primary: writable and replicating from nobody.
  EXPECT_TRUE(exporter_.WaitFor("fence counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("fence", "success"), 1);
  }));
  EXPECT_EQ(ReadOnly(2), "1");
  EXPECT_TRUE(topo_.ReplicaStatus(2).empty()) << "fencing does not re-point";
  EXPECT_EQ(ReadOnly(0), "0");
}

// STOP SLAVE; SET GLOBAL read_only=0: a second primary that still has its
// (stopped) channel. Fenced as a stray; its replication is left as it was.
TEST_F(RemediationMysqlTest, WritableReplicaWithStoppedReplicationIsFencedAsAStray) {
  ASSERT_NO_FATAL_FAILURE(Start({.fence = true}));
  topo_.StopAndMakeWritable(2);
  EXPECT_TRUE(exporter_.WaitFor("fence counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("fence", "success"), 1);
  }));
  EXPECT_EQ(ReadOnly(2), "1");
  EXPECT_EQ(ReadOnly(0), "0");
  const nlohmann::json topology = exporter_.Topology();
  const auto& last = topology["remediation"]["units"][0]["last_actions"].back();
  EXPECT_EQ(last["trigger"], "auto:dual_primary");
  EXPECT_EQ(last["fenced"][0], "mysql-2");
  EXPECT_EQ(last["old_primary"], "mysql-0");
}

// A candidate holding a transaction the primary lacks is refused by name.
TEST_F(RemediationMysqlTest, CandidateWithErrantGtidsIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  topo_.WriteErrantTransaction(1);
  ASSERT_TRUE(exporter_.WaitFor("errant GTID seen", [&](const Metrics& m) {
    return m.Is("dbtopo_replication_errant_gtid", {{"pod", "mysql-1"}}, 1);
  }));
  const HttpResult r = Switchover("mysql-1");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_THAT(r.body, HasSubstr("errant GTIDs 0-2-"));
  ExpectUnchanged("errant candidate");
}

// An Alertmanager DbtopoNoPrimary for a unit that has its primary and linked
// replicas (a stale or wrong alert) changes nothing and is recorded refused.
TEST_F(RemediationMysqlTest, AlertForAHealthyUnitChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(Start({.alert_actions = {{"DbtopoNoPrimary", "switchover"}}}));
  const nlohmann::json payload = {
      {"version", "4"},
      {"status", "firing"},
      {"alerts",
       {{{"status", "firing"},
         {"labels",
          {{"alertname", "DbtopoNoPrimary"}, {"db_cluster", kCluster}, {"component", "mysql"}}}}}}};
  const HttpResult r = exporter_.Post("/api/v1/alerts", payload.dump(), kToken);
  answers_.push_back(r.body);
  ASSERT_EQ(r.status, 200) << r.body;
  const nlohmann::json alert = nlohmann::json::parse(r.body)["alerts"][0];
  EXPECT_EQ(alert["decision"], "refused") << alert.dump();
  EXPECT_THAT(alert["reason"].get<std::string>(), HasSubstr("not confirmed by a fresh read"));
  ExpectUnchanged("stale alert");
  EXPECT_TRUE(exporter_.WaitFor("refusal counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("switchover", "refused"), 1) &&
           m.Is("dbtopo_remediation_actions_total", Actions("switchover", "success"), 0);
  }));
}

TEST_F(RemediationMysqlTest, WritableReplicaIsOnlyReportedWhenOff) {
  ASSERT_NO_FATAL_FAILURE(Start({.fence = false}));
  topo_.server(2).Execute("SET GLOBAL read_only=0");
  Labels finding = Unit();
  finding["kind"] = "writable_replica";
  finding["pod"] = "mysql-2";
  ASSERT_TRUE(exporter_.WaitFor("writable_replica reported", [&](const Metrics& m) {
    return m.Has("dbtopo_finding", finding);
  }));
  std::this_thread::sleep_for(std::chrono::seconds(4));  // Several rounds.
  const Metrics m = exporter_.Scrape();
  for (const char* result : {"success", "failure", "dry_run", "refused"}) {
    EXPECT_TRUE(m.Is("dbtopo_remediation_actions_total", Actions("fence", result), 0)) << result;
  }
  EXPECT_EQ(ReadOnly(2), "0");
}

TEST_F(RemediationMysqlTest, DryRunChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(Start({.enabled = false, .fence = true}));
  HttpResult r = Switchover("mysql-1");
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["result"], "dry_run");
  EXPECT_EQ(j["steps"][0]["name"], "preflight");
  EXPECT_EQ(j["steps"][0]["status"], "ok");
  for (std::size_t i = 1; i < j["steps"].size(); ++i) EXPECT_EQ(j["steps"][i]["status"], "planned");
  ExpectUnchanged("dry-run switchover");
  EXPECT_TRUE(ReplicatesFrom(2, 0));

  topo_.server(2).Execute("SET GLOBAL read_only=0");
  EXPECT_TRUE(exporter_.WaitFor("dry-run fence counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("fence", "dry_run"), 1) &&
           m.Is("dbtopo_remediation_actions_total", Actions("switchover", "dry_run"), 1);
  }));
  EXPECT_EQ(ReadOnly(2), "0") << "dry run must not fence";
}

TEST_F(RemediationMysqlTest, TimeoutReportsTheStepAndUndoes) {
  ASSERT_NO_FATAL_FAILURE(Start({.max_lag = "10m", .timeout = "3s"}));
  // mysql-1 applies an hour late: it can never catch up within 3 s.
  topo_.server(1).Execute("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=3600; START SLAVE;");
  topo_.primary().Execute("INSERT INTO dbtopo_test.t VALUES (8, 'pending')");
  // START SLAVE returns while the IO thread is still "Preparing"/"Connecting":
  // a switchover read then rightly refuses a broken link. Wait for it.
  ASSERT_TRUE(PollUntil(
      [&] {
        Row st = topo_.ReplicaStatus(1);
        return st.count("Slave_IO_Running") && st["Slave_IO_Running"] == "Yes";
      },
      std::chrono::seconds(20)));
  const HttpResult r = Switchover("mysql-1");
  ASSERT_EQ(r.status, 500) << r.body;
  const nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["result"], "failure");
  EXPECT_EQ(j["failed_step"], "wait_catch_up");
  EXPECT_THAT(j["reason"].get<std::string>(), HasSubstr("timeout"));
  EXPECT_THAT(j["recovery"].get<std::string>(), HasSubstr("writable again"));
  bool undone = false;
  for (const auto& s : j["steps"]) undone |= s["name"] == "undo_read_only" && s["status"] == "ok";
  EXPECT_TRUE(undone) << "the old primary gets its writes back";
  ExpectUnchanged("timeout");
  EXPECT_TRUE(exporter_.WaitFor("failure counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("switchover", "failure"), 1);
  }));
}

TEST_F(RemediationMysqlTest, HalfDoneSwitchoverIsFinished) {
  ASSERT_NO_FATAL_FAILURE(Start({}));
  // A switchover that half happened: someone demoted mysql-0 and promoted mysql-1, then gave up;
  // mysql-2 still follows mysql-0 and the labels are the old ones.
  topo_.primary().Execute("SET GLOBAL read_only=1");
  topo_.WaitInSync();
  topo_.server(1).Execute("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=0;");
  const HttpResult r = Switchover("mysql-1");
  ASSERT_EQ(r.status, 200) << r.body;
  const nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["result"], "success");
  std::vector<std::string> steps;
  for (const auto& s : j["steps"])
    steps.push_back(s["name"].get<std::string>() + ":" + s["pod"].get<std::string>());
  EXPECT_THAT(steps, ::testing::ElementsAre("preflight:mysql-1", "check_position:mysql-1",
                                            "repoint:mysql-0", "repoint:mysql-2", "verify:"));
  EXPECT_EQ(ReadOnly(1), "0");
  EXPECT_EQ(ReadOnly(0), "1");
  EXPECT_TRUE(ReplicatesFrom(0, 1));
  EXPECT_TRUE(ReplicatesFrom(2, 1));
  topo_.server(1).Execute("INSERT INTO dbtopo_test.t VALUES (9, 'after')");
  const std::string pos =
      topo_.server(1).QueryValue("SELECT @@GLOBAL.gtid_binlog_pos").value_or("");
  for (int i : {0, 2}) {
    EXPECT_EQ(topo_.server(i).QueryValue("SELECT MASTER_GTID_WAIT('" + pos + "', 20)"), "0");
    EXPECT_EQ(topo_.server(i).QueryValue("SELECT v FROM dbtopo_test.t WHERE id = 9"), "after");
  }
}

TEST_F(RemediationMysqlTest, MissingReplicationCredentialsIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Start({}, /*with_replication_credentials=*/false));
  const HttpResult r = Switchover("mysql-1");
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(r.body, HasSubstr("replication_credentials"));
  ExpectUnchanged("no replication credentials");
}

}  // namespace
}  // namespace dbtopo::testing
