// Remediation against real redis-server: a replication set (master
// + 2 replicas) driven through the real exporter (POST /api/v1/switchover,
// automatic fencing) and, for the timeout tests (replication set and Redis
// Cluster), through the Remediator library with a step hook that freezes a
// server at a chosen step. The Redis Cluster through the exporter is in
// remediation_redis_cluster_test.cc.
//
// The exporter's ACL user gets what remediation needs beyond the probe:
// +replicaof +client|pause +client|unpause +cluster|failover.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "dbtopo/remediation/remediator.h"
#include "remediation_redis_common.h"
#include "support/acking_writer.h"
#include "support/exporter_process.h"
#include "support/process.h"
#include "support/prom_text.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

/// Discovery targets for a ClusterSpec (for the in-process remediator).
std::vector<DiscoveredTarget> TargetsOf(const ClusterSpec& spec) {
  auto credentials =
      std::make_shared<Credentials>(Credentials{spec.username, Secret(spec.password)});
  std::vector<DiscoveredTarget> out;
  for (const MemberSpec& m : spec.members) {
    Target t;
    t.unit = {spec.ns, spec.name, spec.component.empty() ? spec.engine : spec.component};
    t.pod = m.pod;
    t.engine = *ParseEngine(spec.engine);
    const auto colon = m.address.rfind(':');
    t.host = m.address.substr(0, colon);
    t.port = std::stoi(m.address.substr(colon + 1));
    t.labels = m.labels;
    if (auto it = m.labels.find("kubeblocks.io/role"); it != m.labels.end()) {
      t.role_label_value = it->second;
      t.labelled_role = MapRoleLabel(it->second, DefaultRoleValues());
    }
    out.push_back({t, credentials});
  }
  return out;
}

// ======================================================================
// Replication set through the exporter.

class RemediationRedisTest : public ::testing::Test {
 protected:
  void Start(bool enabled, bool fence) {
    start_ = Clock::now();
    set_.Start(2);
    for (int i = 0; i < set_.size(); ++i) GrantRemediation(set_.server(i));
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    options.clusters.push_back(set_.ToClusterSpec("cache"));
    options.extra_yaml = RemediationYaml(dir_, enabled, fence);
    exporter_.Start(options);
    ASSERT_TRUE(exporter_.WaitFor("healthy baseline", [&](const Metrics& m) {
      return m.Is("dbtopo_cluster_primaries", Unit(), 1) && m.Count("dbtopo_finding") == 0;
    }));
    std::cout << "[ setup    ] " << SecondsSince(start_) << " s\n";
  }

  void TearDown() override {
    if (HasFailure()) std::cout << "--- exporter log ---\n" << exporter_.LogTail(8000);
    for (const std::string& secret : {set_.exporter_password(), std::string(kToken)}) {
      EXPECT_THAT(exporter_.Log(), Not(HasSubstr(secret)));
      for (const std::string& body : answers_) EXPECT_THAT(body, Not(HasSubstr(secret)));
    }
    std::cout << "[ time     ] " << SecondsSince(start_) << " s\n";
  }

  static Labels Unit() {
    return {{"namespace", ""}, {"db_cluster", "cache"}, {"component", "redis"}};
  }
  static Labels Actions(const std::string& a, const std::string& r) {
    return {{"action", a}, {"result", r}};
  }

  HttpResult Switchover(const std::string& candidate, const std::string& token = kToken) {
    HttpResult r = exporter_.Post(
        "/api/v1/switchover", R"({"db_cluster":"cache","candidate":")" + candidate + "\"}", token);
    answers_.push_back(r.body);
    std::cout << "[ POST     ] " << candidate << " -> " << r.status << " " << r.body.substr(0, 400)
              << "\n";
    return r;
  }

  std::string Role(int i) { return set_.server(i).InfoField("replication", "role"); }
  ::testing::AssertionResult ReplicaOf(int i, int master) {
    RedisServer& s = set_.server(i);
    const std::string role = s.InfoField("replication", "role");
    const std::string port = s.InfoField("replication", "master_port");
    const std::string link = s.InfoField("replication", "master_link_status");
    if (role == "slave" && port == std::to_string(set_.server(master).port()) && link == "up") {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << set_.Pod(i) << ": role " << role << ", master_port " << port << ", link " << link;
  }
  void ExpectUnchanged(const std::string& after) {
    SCOPED_TRACE("after " + after);
    EXPECT_EQ(Role(0), "master");
    EXPECT_TRUE(ReplicaOf(1, 0));
  }

  Clock::time_point start_;
  RedisReplicationSet set_;
  TempDir dir_{"dbtopo-remediation-redis"};
  ExporterProcess exporter_{dir_};
  std::vector<std::string> answers_;
};

TEST_F(RemediationRedisTest, SwitchoverUnderWritesLosesNoWrite) {
  ASSERT_NO_FATAL_FAILURE(Start(/*enabled=*/true, /*fence=*/false));
  AckingWriter writer =
      RedisWriter({set_.server(0).port(), set_.server(1).port(), set_.server(2).port()}, "w:");
  writer.Start();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const HttpResult r = Switchover("redis-2");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  writer.Stop();
  ASSERT_EQ(r.status, 200) << r.body;
  const nlohmann::json j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["result"], "success");
  std::vector<std::string> steps;
  for (const auto& s : j["steps"]) {
    steps.push_back(s["name"].get<std::string>() + ":" + s["pod"].get<std::string>());
  }
  EXPECT_THAT(steps,
              ::testing::ElementsAre("preflight:", "pause_writes:redis-0", "wait_catch_up:redis-2",
                                     "promote:redis-2", "repoint:redis-0", "unpause_writes:redis-0",
                                     "repoint:redis-1", "verify:"));
  std::cout << "[ switch   ] writer acked " << writer.acked().size() << ", " << writer.failures()
            << " failed attempts\n";
  EXPECT_EQ(Role(2), "master");
  EXPECT_TRUE(ReplicaOf(0, 2));
  EXPECT_TRUE(ReplicaOf(1, 2));
  const std::set<int> acked = writer.acked();
  ASSERT_GT(acked.size(), 20u);
  EXPECT_EQ(set_.server(2).Command({"WAIT", "2", "10000"}), "2");
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Missing(acked, KeyIds(set_.server(i), "w:")), ::testing::IsEmpty())
        << set_.Pod(i) << " lost acknowledged writes";
  }
  EXPECT_TRUE(exporter_.WaitFor("counted and seen", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("switchover", "success"), 1) &&
           m.Is("dbtopo_role", {{"pod", "redis-2"}, {"role", "primary"}}, 1);
  }));
}

TEST_F(RemediationRedisTest, RefusedRequestsChangeNothing) {
  ASSERT_NO_FATAL_FAILURE(Start(/*enabled=*/true, /*fence=*/false));
  EXPECT_EQ(Switchover("redis-1", "").status, 401);
  EXPECT_EQ(Switchover("redis-1", "wrong").status, 401);
  EXPECT_EQ(Switchover("redis-9").status, 404);
  EXPECT_EQ(Switchover("redis-0").status, 422) << "the master is no candidate";
  ExpectUnchanged("401/404");
  // Broken candidate: redis-2 cannot authenticate to its master any more.
  set_.server(0).Command({"ACL", "SETUSER", "default", "on", ">master-secret"});
  set_.server(2).Command({"CONFIG", "SET", "masterauth", "wrong"});
  redisContext* c = redisConnect("127.0.0.1", set_.server(0).port());
  freeReplyObject(redisCommand(c, "AUTH master-secret"));
  freeReplyObject(redisCommand(c, "CLIENT KILL TYPE replica"));
  redisFree(c);
  set_.server(1).Command({"CONFIG", "SET", "masterauth", "master-secret"});
  ASSERT_TRUE(PollUntil(
      [&] { return set_.server(2).InfoField("replication", "master_link_status") == "down"; },
      std::chrono::seconds(10)));
  HttpResult r = Switchover("redis-2");
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(r.body, HasSubstr("broken"));
  EXPECT_TRUE(PollUntil([&] { return ReplicaOf(1, 0); }, std::chrono::seconds(10)));
  // Not fully visible.
  set_.server(2).Freeze();
  r = Switchover("redis-1");
  set_.server(2).Thaw();
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(r.body, HasSubstr("not fully visible"));
  // The master's password now guards the default user; the checks above used it.
  EXPECT_TRUE(exporter_.WaitFor("refusals counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("switchover", "refused"), 4) &&
           m.Is("dbtopo_remediation_actions_total", Actions("switchover", "success"), 0);
  }));
}

TEST_F(RemediationRedisTest, SecondMasterIsFencedWhenOn) {
  ASSERT_NO_FATAL_FAILURE(Start(/*enabled=*/true, /*fence=*/true));
  set_.Promote(2);  // Dual primary: two masters.
  EXPECT_TRUE(exporter_.WaitFor("fence counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("fence", "success"), 1);
  }));
  EXPECT_TRUE(PollUntil([&] { return ReplicaOf(2, 0); }, std::chrono::seconds(10)));
  ExpectUnchanged("fence");
}

TEST_F(RemediationRedisTest, SecondMasterIsOnlyReportedWhenOff) {
  ASSERT_NO_FATAL_FAILURE(Start(/*enabled=*/true, /*fence=*/false));
  set_.Promote(2);
  Labels finding = Unit();
  finding["kind"] = "dual_primary";
  ASSERT_TRUE(exporter_.WaitFor(
      "dual_primary reported", [&](const Metrics& m) { return m.Has("dbtopo_finding", finding); }));
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_TRUE(
      exporter_.Scrape().Is("dbtopo_remediation_actions_total", Actions("fence", "success"), 0));
  EXPECT_EQ(Role(2), "master");
}

TEST_F(RemediationRedisTest, DryRunChangesNothing) {
  ASSERT_NO_FATAL_FAILURE(Start(/*enabled=*/false, /*fence=*/true));
  const HttpResult r = Switchover("redis-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["result"], "dry_run");
  ExpectUnchanged("dry-run switchover");
  set_.Promote(2);
  EXPECT_TRUE(exporter_.WaitFor("dry-run fence counted", [&](const Metrics& m) {
    return m.Is("dbtopo_remediation_actions_total", Actions("fence", "dry_run"), 1);
  }));
  EXPECT_EQ(Role(2), "master") << "dry run must not fence";
}

// ======================================================================
// Redis Cluster through the exporter.

// ======================================================================
// Timeouts, through the library: a step hook freezes a server at the step
// under test.

struct InProcess {
  InProcess(std::vector<DiscoveredTarget> targets, std::chrono::milliseconds timeout,
            std::function<void(const std::string&, const std::string&)> on_step)
      : discovery(std::move(targets)) {
    RemediatorOptions o;
    o.config.enabled = true;
    o.config.token = Secret(kToken);
    o.config.switchover.timeout = timeout;
    o.discovery = &discovery;
    o.probe_timeout = std::chrono::milliseconds(500);
    o.verify_interval = std::chrono::milliseconds(100);
    o.on_step = std::move(on_step);
    remediator = std::make_unique<Remediator>(std::move(o));
  }
  StaticDiscovery discovery;
  std::unique_ptr<Remediator> remediator;
};

TEST(RemediationRedisTimeoutTest, ReplicationSetTimeoutReportsStepAndUnpauses) {
  RedisReplicationSet set;
  set.Start(2);
  for (int i = 0; i < set.size(); ++i) GrantRemediation(set.server(i));
  bool frozen = false;
  InProcess p(TargetsOf(set.ToClusterSpec("cache")), std::chrono::seconds(2),
              [&](const std::string& step, const std::string&) {
                if (step == "wait_catch_up") {
                  set.server(1).Freeze();
                  frozen = true;
                }
              });
  SwitchoverRequest request;
  request.db_cluster = "cache";
  request.candidate = "redis-1";
  const auto t0 = Clock::now();
  const RemediationRecord r = p.remediator->Switchover(request, "test");
  const double took = SecondsSince(t0);
  if (frozen) set.server(1).Thaw();
  EXPECT_EQ(r.result, "failure");
  EXPECT_EQ(r.code, RemediationCode::kFailed);
  EXPECT_EQ(r.failed_step, "wait_catch_up");
  EXPECT_THAT(r.reason, HasSubstr("timeout"));
  EXPECT_LT(took, 5.0) << "bounded by the timeout plus one statement";
  bool unpaused = false;
  for (const RemediationStep& s : r.steps)
    unpaused |= s.name == "unpause_writes" && s.status == "ok";
  EXPECT_TRUE(unpaused);
  // Nothing else changed: the master takes writes at once, roles unchanged.
  const auto w0 = Clock::now();
  EXPECT_EQ(set.server(0).Command({"SET", "after", "1"}), "OK");
  EXPECT_LT(SecondsSince(w0), 1.0) << "writes must not stay paused";
  EXPECT_EQ(set.server(0).InfoField("replication", "role"), "master");
  EXPECT_TRUE(PollUntil(
      [&] { return set.server(1).InfoField("replication", "master_link_status") == "up"; },
      std::chrono::seconds(10)));
  EXPECT_EQ(set.server(1).InfoField("replication", "role"), "slave");
}

TEST(RemediationRedisTimeoutTest, ClusterFailoverTimeoutReportsStep) {
  RedisClusterTopology cluster;
  cluster.Start();
  for (int i = 0; i < cluster.size(); ++i) GrantRemediation(cluster.node(i));
  const int master = cluster.Shard(0)[0];
  const int replica = cluster.Shard(0)[1];
  bool frozen = false;
  // The master freezes before CLUSTER FAILOVER: the replica cannot finish a
  // manual failover, and 800 ms is below what an automatic failover needs
  // (node timeout 1 s + election).
  InProcess p(TargetsOf(cluster.ToClusterSpecs("sessions")[0]), std::chrono::milliseconds(800),
              [&](const std::string& step, const std::string&) {
                if (step == "cluster_failover") {
                  cluster.node(master).Freeze();
                  frozen = true;
                }
              });
  SwitchoverRequest request;
  request.db_cluster = "sessions";
  request.component = "shard-0";
  request.component_set = true;
  request.candidate = cluster.Pod(replica);
  const RemediationRecord r = p.remediator->Switchover(request, "test");
  if (frozen) cluster.node(master).Thaw();
  EXPECT_EQ(r.result, "failure") << r.reason;
  EXPECT_EQ(r.failed_step, "wait_promotion");
  EXPECT_THAT(r.reason, HasSubstr("timeout"));
  EXPECT_THAT(r.recovery, HasSubstr("CLUSTER NODES"));
}

}  // namespace
}  // namespace dbtopo::testing
