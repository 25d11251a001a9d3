// Tests of the integration test support library itself: the Prometheus text
// parser, child processes, and that every MariaDB fault injection really
// produces the fault (checked with SQL, no exporter involved).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "support/exporter_process.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/prom_text.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------- prom_text

TEST(PromTextTest, ParsesSamplesLabelsAndEscapes) {
  Metrics m = Metrics::Parse(
      "# HELP dbtopo_up 1 when up\n"
      "# TYPE dbtopo_up gauge\n"
      "dbtopo_up{namespace=\"\",db_cluster=\"c\",pod=\"mysql-0\"} 1\n"
      "dbtopo_up{namespace=\"\",db_cluster=\"c\",pod=\"mysql-1\",} 0 1700000000000\n"
      "weird{msg=\"a \\\"q\\\" \\\\ b\\nc\"} +Inf\n"
      "nan_metric NaN\n"
      "  spaced_metric   -1.5e3  \n"
      "\n");
  ASSERT_EQ(m.samples().size(), 5u);
  EXPECT_EQ(m.Value("dbtopo_up", {{"pod", "mysql-0"}}), 1.0);
  EXPECT_EQ(m.Value("dbtopo_up", {{"pod", "mysql-1"}}), 0.0);
  EXPECT_FALSE(m.Value("dbtopo_up", {{"pod", "mysql-2"}}).has_value());
  EXPECT_EQ(m.Count("dbtopo_up"), 2u);
  EXPECT_THROW(m.Value("dbtopo_up"), std::logic_error);
  EXPECT_EQ(m.Find("weird").at(0).labels.at("msg"), "a \"q\" \\ b\nc");
  EXPECT_TRUE(std::isinf(*m.Value("weird")));
  EXPECT_TRUE(std::isnan(*m.Value("nan_metric")));
  EXPECT_EQ(m.Value("spaced_metric"), -1500.0);
  EXPECT_TRUE(m.Is("dbtopo_up", {{"pod", "mysql-0"}}, 1));
  EXPECT_FALSE(m.Is("dbtopo_up", {{"pod", "mysql-0"}}, 0));
}

TEST(PromTextTest, EmptyWantedLabelMatchesMissingLabel) {
  Metrics m =
      Metrics::Parse("a{pod=\"p\"} 1\nb{pod=\"p\",channel=\"\"} 2\nc{pod=\"p\",channel=\"x\"} 3\n");
  EXPECT_TRUE(m.Has("a", {{"channel", ""}}));
  EXPECT_TRUE(m.Has("b", {{"channel", ""}}));
  EXPECT_FALSE(m.Has("c", {{"channel", ""}}));
  EXPECT_FALSE(m.Has("a", {{"channel", "x"}}));
}

TEST(PromTextTest, RejectsGarbageWithLineNumber) {
  try {
    Metrics::Parse("ok 1\nbad{pod=\"x} 1\n");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("line 2"));
  }
  EXPECT_THROW(Metrics::Parse("x{a=\"1\" b=\"2\"} 1\n"), std::runtime_error);
  EXPECT_THROW(Metrics::Parse("x 1 2 3\n"), std::runtime_error);
  EXPECT_THROW(Metrics::Parse("x abc\n"), std::runtime_error);
  EXPECT_THROW(Metrics::Parse("x{a=\"1\",a=\"2\"} 1\n"), std::runtime_error);
}

// ---------------------------------------------------------------- process

TEST(ProcessTest, CapturesOutputAndExitCode) {
  TempDir dir;
  const std::string log = dir.File("out.log");
  EXPECT_EQ(RunCommand({"sh", "-c", "echo hello; echo oops >&2; exit 3"}, log), 3);
  EXPECT_THAT(ReadFile(log), HasSubstr("hello"));
  EXPECT_THAT(ReadFile(log), HasSubstr("oops"));
}

TEST(ProcessTest, PassesEnvironment) {
  TempDir dir;
  Process p({"sh", "-c", "echo value=$DBTOPO_X"}, dir.File("log"), {{"DBTOPO_X", "42"}});
  p.Start();
  ASSERT_TRUE(PollUntil([&] { return !p.IsRunning(); }, std::chrono::seconds(10)));
  EXPECT_THAT(ReadFile(dir.File("log")), HasSubstr("value=42"));
}

TEST(ProcessTest, MissingExecutableThrows) {
  TempDir dir;
  Process p({"/nonexistent/binary"}, dir.File("log"));
  EXPECT_THROW(p.Start(), std::runtime_error);
  EXPECT_FALSE(p.IsRunning());
}

TEST(ProcessTest, PauseResumeStop) {
  TempDir dir;
  Process p({"sleep", "60"}, dir.File("log"));
  p.Start();
  EXPECT_TRUE(p.IsRunning());
  p.Pause();
  EXPECT_TRUE(p.IsRunning());
  EXPECT_TRUE(p.paused());
  // A paused process still stops promptly: Stop() sends SIGCONT after SIGTERM.
  auto start = std::chrono::steady_clock::now();
  std::optional<int> status = p.Stop(std::chrono::seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGTERM);
  EXPECT_FALSE(p.IsRunning());
}

TEST(ProcessTest, IgnoredSigtermEscalatesToSigkill) {
  TempDir dir;
  Process p({"sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"}, dir.File("log"));
  p.Start();
  SleepFor(std::chrono::milliseconds(100));  // Let the shell install its trap.
  std::optional<int> status = p.Stop(std::chrono::milliseconds(300));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGKILL);
}

// What a process started goes when it is stopped or killed (Chromium under
// the browser driver once outlived it, and piled up over a test run).
TEST(ProcessTest, StopAndKillTakeWhatTheProcessStarted) {
  TempDir dir;
  for (const bool stop : {true, false}) {
    const std::string pid_file = dir.File(stop ? "stopped.pid" : "killed.pid");
    // The shell ignores SIGTERM and waits; its child sleeps in the background.
    Process p({"sh", "-c", "trap '' TERM; sleep 600 & echo $! > " + pid_file + "; wait"},
              dir.File("log"));
    p.Start();
    ASSERT_TRUE(PollUntil([&] { return !ReadFile(pid_file).empty(); }, std::chrono::seconds(5)));
    const pid_t child = std::stoi(ReadFile(pid_file));
    ASSERT_EQ(::kill(child, 0), 0) << "the background child runs";
    if (stop) {
      p.Stop(std::chrono::milliseconds(300));
    } else {
      p.Kill();
    }
    // The shell does not reap it, so it is gone once it is a zombie of init's.
    EXPECT_TRUE(PollUntil(
        [&] {
          const std::string stat = ReadFile("/proc/" + std::to_string(child) + "/stat");
          return stat.empty() || stat.find(") Z") != std::string::npos;
        },
        std::chrono::seconds(5)))
        << (stop ? "Stop" : "Kill") << " left pid " << child << " running";
  }
}

TEST(ProcessTest, FreePortAndTempDir) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    WriteFile(dir.File("secret"), "x", 0600);
    EXPECT_EQ(std::filesystem::status(dir.File("secret")).permissions(),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  int a = FreePort();
  EXPECT_GT(a, 0);
  EXPECT_LT(a, 65536);
}

TEST(ExporterConfigTest, WritesYamlAndPasswordFile) {
  TempDir dir;
  ExporterOptions options;
  ClusterSpec cluster;
  cluster.name = "orders";
  cluster.username = "exporter";
  cluster.password = "pw\"1";
  cluster.members.push_back({"orders-0", "127.0.0.1:3306", {{"k", "v"}}});
  options.clusters.push_back(cluster);
  std::string yaml = WriteExporterConfig(options, dir.path());
  EXPECT_THAT(yaml, HasSubstr("poll_interval: 1s"));
  EXPECT_THAT(yaml, HasSubstr("password_file: \"" + dir.File("orders.password") + "\""));
  EXPECT_THAT(yaml, HasSubstr("\"k\": \"v\""));
  EXPECT_THAT(yaml, Not(HasSubstr("pw\"1")));
  EXPECT_EQ(ReadFile(dir.File("orders.password")), "pw\"1");
}

// ---------------------------------------------------------------- MariaDB

std::string Field(const Row& row, const std::string& column) {
  auto it = row.find(column);
  if (it == row.end()) return "<missing>";
  return it->second.value_or("NULL");
}

class MariadbTopologyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto start = std::chrono::steady_clock::now();
    topo_.Start(2);
    std::cout << "[ topology ] primary + 2 replicas up and in sync in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
              << " s\n";
  }
  void TearDown() override {
    if (HasFailure()) std::cout << topo_.Describe();
  }

  MariadbTopology topo_;
};

TEST_F(MariadbTopologyTest, HealthyReplicationAndExporterGrants) {
  for (int i = 1; i <= 2; ++i) {
    Row st = topo_.ReplicaStatus(i);
    EXPECT_EQ(Field(st, "Slave_IO_Running"), "Yes");
    EXPECT_EQ(Field(st, "Slave_SQL_Running"), "Yes");
    EXPECT_EQ(Field(st, "Master_Port"), std::to_string(topo_.primary().port()));
    EXPECT_EQ(Field(st, "Using_Gtid"), "Slave_Pos");
    EXPECT_EQ(Field(st, "Seconds_Behind_Master"), "0");
    EXPECT_EQ(topo_.server(i).QueryValue("SELECT @@read_only"), "1");
    EXPECT_EQ(topo_.server(i).QueryValue("SELECT v FROM dbtopo_test.t WHERE id=1"), "hello");
  }
  EXPECT_EQ(topo_.primary().QueryValue("SELECT @@read_only"), "0");
  EXPECT_TRUE(topo_.ReplicaStatus(0).empty());

  // The exporter user can run what a probe needs.
  TempDir dir;
  const std::string pw_file = dir.File("pw");
  WriteFile(pw_file, topo_.exporter_password(), 0600);
  const std::string log = dir.File("client.log");
  int rc = RunCommand({"mariadb", "--no-defaults", "--protocol=TCP", "-h127.0.0.1",
                       "-P" + std::to_string(topo_.server(1).port()), "-uexporter",
                       "-p" + topo_.exporter_password(), "-e",
                       "SHOW ALL SLAVES STATUS\\G SELECT @@server_id, @@read_only, "
                       "@@gtid_current_pos, @@version; SHOW MASTER STATUS;"},
                      log);
  EXPECT_EQ(rc, 0) << ReadFile(log);
  EXPECT_THAT(ReadFile(log), HasSubstr("Slave_IO_Running: Yes"));
}

TEST_F(MariadbTopologyTest, DuplicateKeyStopsSqlThread) {
  topo_.InduceDuplicateKeyError(1);
  Row st = topo_.ReplicaStatus(1);
  EXPECT_EQ(Field(st, "Slave_SQL_Running"), "No");
  EXPECT_EQ(Field(st, "Slave_IO_Running"), "Yes");
  EXPECT_EQ(Field(st, "Last_SQL_Errno"), "1062");
  EXPECT_EQ(Field(st, "Seconds_Behind_Master"), "NULL");
  // The other replica is unaffected.
  topo_.WaitInSync({2});
  EXPECT_EQ(Field(topo_.ReplicaStatus(2), "Slave_SQL_Running"), "Yes");
}

TEST_F(MariadbTopologyTest, StopSql) {
  topo_.StopSql(2);
  Row st = topo_.ReplicaStatus(2);
  EXPECT_EQ(Field(st, "Slave_SQL_Running"), "No");
  EXPECT_EQ(Field(st, "Last_SQL_Errno"), "0");
}

TEST_F(MariadbTopologyTest, DetachAndMakeWritable) {
  topo_.DetachAndMakeWritable(1);
  EXPECT_TRUE(topo_.ReplicaStatus(1).empty());
  EXPECT_EQ(topo_.server(1).QueryValue("SELECT @@read_only"), "0");
}

TEST_F(MariadbTopologyTest, KillPrimaryBreaksIoThreads) {
  topo_.KillPrimary();
  EXPECT_FALSE(topo_.primary().IsRunning());
  for (int i = 1; i <= 2; ++i) {
    std::string io, err;
    bool ok = PollUntil(
        [&] {
          Row st = topo_.ReplicaStatus(i);
          io = Field(st, "Slave_IO_Running");
          err = Field(st, "Last_IO_Errno");
          return io != "Yes" && err != "0";
        },
        std::chrono::seconds(30), std::chrono::milliseconds(200));
    EXPECT_TRUE(ok) << "io=" << io << " errno=" << err;
    std::cout << "[ fault    ] " << topo_.server(i).name() << " io=" << io << " errno=" << err
              << "\n";
  }
}

TEST_F(MariadbTopologyTest, PointAtOtherReplica) {
  topo_.PointAt(2, "127.0.0.1", topo_.server(1).port());
  ASSERT_TRUE(PollUntil([&] { return Field(topo_.ReplicaStatus(2), "Slave_IO_Running") == "Yes"; },
                        std::chrono::seconds(30)));
  Row st = topo_.ReplicaStatus(2);
  EXPECT_EQ(Field(st, "Master_Port"), std::to_string(topo_.server(1).port()));
  // It still replicates (through replica 1, thanks to log_slave_updates).
  topo_.primary().Execute("INSERT INTO dbtopo_test.t VALUES (2, 'via replica 1')");
  topo_.WaitInSync();
}

TEST_F(MariadbTopologyTest, ServerIdConflict) {
  topo_.SetServerId(2, topo_.server(1).server_id());
  topo_.RestartReplication(2);
  EXPECT_EQ(topo_.server(2).QueryValue("SELECT @@server_id"),
            std::to_string(topo_.server(1).server_id()));
  std::cout << topo_.Describe();
}

TEST_F(MariadbTopologyTest, FreezeAndThaw) {
  topo_.Freeze(1);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(topo_.server(1).Query("SELECT 1"), std::runtime_error);
  std::cout << "[ fault    ] query on frozen server failed after "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << " s\n";
  topo_.Thaw(1);
  EXPECT_EQ(topo_.server(1).QueryValue("SELECT 1"), "1");
}

}  // namespace
}  // namespace dbtopo::testing
