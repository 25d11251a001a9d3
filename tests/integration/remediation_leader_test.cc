// Several exporter replicas, one remediator: leader election on a
// coordination.k8s.io/v1 Lease served by the Kubernetes API stand-in (with
// the API server's resourceVersion conflicts), three real exporter processes
// over a real MariaDB primary and replica. Exactly one replica leads; a
// follower answers the remediation POSTs 503 naming the holder; a clean
// shutdown hands over at once, a kill -9 within the lease duration and not
// before; a stray primary is fenced once, by the leader only.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "support/exporter_process.h"
#include "support/fake_kube_api.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/prom_text.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "leader-test-token-0123456789";
constexpr char kLease[] = "dbtopo-exporter-remediation";
constexpr int kReplicas = 3;
// Short, so the test runs in seconds; the same ratios as the defaults.
constexpr auto kLeaseDuration = std::chrono::seconds(4);

std::string Identity(int i) { return "exporter-" + std::to_string(i); }

class RemediationLeaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.Start();
    WriteFile(dir_.File("kubeconfig"), KubeconfigYaml(api_.url(), "token: abc"));
    WriteFile(dir_.File("token"), std::string(kToken) + "\n", 0600);
    topo_.Start(1);
    for (int i = 0; i < topo_.size(); ++i) {
      topo_.server(i).Execute(
          "SET SESSION sql_log_bin=0;"
          "GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, RELOAD ON *.* TO 'exporter'@'%';"
          "SET SESSION sql_log_bin=1;");
    }
    for (int i = 0; i < kReplicas; ++i) StartReplica(i);
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (int i = 0; i < kReplicas; ++i) {
      const std::string log = exporters_[i]->Log();
      std::cout << "--- " << Identity(i) << " log tail ---\n"
                << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
    }
    for (const FakeLeases::Write& w : api_.leases().writes()) {
      std::cout << "lease write " << w.method << " holder=" << w.holder
                << " rv=" << w.resource_version << "\n";
    }
  }

  void StartReplica(int i) {
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    options.log_level = "info";
    ClusterSpec spec = topo_.ToClusterSpec("orders");
    spec.replication_username = MariadbTopology::kReplUser;
    spec.replication_password = topo_.repl_password();
    options.clusters.push_back(spec);
    options.env = {{"POD_NAME", Identity(i)}, {"KUBECONFIG", dir_.File("kubeconfig")}};
    options.extra_yaml =
        "remediation:\n"
        "  enabled: true\n"
        "  token_file: \"" +
        dir_.File("token") +
        "\"\n"
        "  fence_stray_primaries: true\n"
        "  cooldown: 1m\n"
        "  leader_election:\n"
        "    enabled: true\n"
        "    namespace: dbtopo\n"
        "    lease_duration: 4s\n"
        "    renew_deadline: 3s\n"
        "    retry_period: 500ms\n";
    exporters_[i] = std::make_unique<ExporterProcess>(*dirs_[i]);
    exporters_[i]->Start(options);
  }

  // dbtopo_remediation_leader of replica i; -1 when it does not answer.
  int LeaderGauge(int i) {
    if (!exporters_[i]->IsRunning()) return -1;
    const HttpResult r = exporters_[i]->Get("/metrics", std::chrono::seconds(2));
    if (r.status != 200) return -1;
    const auto v = Metrics::Parse(r.body).Value("dbtopo_remediation_leader");
    return v ? static_cast<int>(*v) : -1;
  }

  // Waits until exactly one running replica says leader and every other
  // running one says follower; returns it, or -1 after `timeout`.
  int WaitForOneLeader(std::chrono::milliseconds timeout, int not_this = -1) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      int leaders = 0, followers = 0, leader = -1, running = 0;
      for (int i = 0; i < kReplicas; ++i) {
        if (!exporters_[i]->IsRunning()) continue;
        ++running;
        const int g = LeaderGauge(i);
        if (g == 1) ++leaders, leader = i;
        if (g == 0) ++followers;
      }
      if (leaders == 1 && followers == running - 1 && leader != not_this) return leader;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return -1;
  }

  HttpResult PostSwitchover(int i) {
    return exporters_[i]->Post("/api/v1/switchover",
                               R"({"db_cluster":"orders","candidate":"mysql-1","dry_run":true})",
                               kToken);
  }

  double FenceSuccesses(int i) {
    const HttpResult r = exporters_[i]->Get("/metrics");
    return Metrics::Parse(r.body)
        .Value("dbtopo_remediation_actions_total", {{"action", "fence"}, {"result", "success"}})
        .value_or(-1);
  }

  FakeKubeApi api_;
  MariadbTopology topo_;
  TempDir dir_{"dbtopo-leader"};
  std::array<std::unique_ptr<TempDir>, kReplicas> dirs_ = {
      std::make_unique<TempDir>("dbtopo-leader-0"), std::make_unique<TempDir>("dbtopo-leader-1"),
      std::make_unique<TempDir>("dbtopo-leader-2")};
  std::array<std::unique_ptr<ExporterProcess>, kReplicas> exporters_;
};

TEST_F(RemediationLeaderTest, OneLeaderAndFollowersAnswer503NamingIt) {
  const int leader = WaitForOneLeader(std::chrono::seconds(20));
  ASSERT_GE(leader, 0) << "no single leader";
  EXPECT_EQ(api_.leases().Holder("dbtopo", kLease), Identity(leader));
  // Every replica still polls and exports everything.
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_TRUE(exporters_[i]->Scrape().Is(
        "dbtopo_cluster_primaries",
        {{"namespace", ""}, {"db_cluster", "orders"}, {"component", "mysql"}}, 1));
  }
  const int follower = (leader + 1) % kReplicas;
  const HttpResult refused = PostSwitchover(follower);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr(Identity(leader)));
  // The topology JSON is the last round's: wait for a round after the
  // follower's first read of the lease.
  nlohmann::json view;
  for (int tries = 0; tries < 50; ++tries) {
    view = exporters_[follower]->Topology()["remediation"]["leader"];
    if (view["holder"] != "") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(view["is_leader"], false);
  EXPECT_EQ(view["holder"], Identity(leader));
  EXPECT_EQ(view["lease"], std::string("dbtopo/") + kLease);
  const HttpResult accepted = PostSwitchover(leader);
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_THAT(accepted.body, HasSubstr("dry_run"));
}

TEST_F(RemediationLeaderTest, ShutdownHandsOverAtOnceAndAKillWithinTheLeaseDuration) {
  const int first = WaitForOneLeader(std::chrono::seconds(20));
  ASSERT_GE(first, 0);
  // Clean shutdown: the lease is released, the next try takes it.
  auto t0 = Clock::now();
  exporters_[first]->Stop();
  EXPECT_THAT(exporters_[first]->Log(), HasSubstr("released the remediation lease"));
  const int second = WaitForOneLeader(std::chrono::seconds(20), first);
  ASSERT_GE(second, 0);
  const double released_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::cout << "[ handover ] after SIGTERM: " << released_s << " s\n";
  EXPECT_LT(released_s, 3.0) << "a released lease waited for its expiry";

  // kill -9: nothing released; the lease must expire first.
  t0 = Clock::now();
  exporters_[second]->Kill();
  const int third = WaitForOneLeader(std::chrono::seconds(20), second);
  ASSERT_GE(third, 0) << "nobody took over the lease of a killed leader";
  const double expired_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::cout << "[ handover ] after kill -9: " << expired_s << " s (lease 4 s)\n";
  EXPECT_GE(expired_s, 3.0) << "taken over before the lease could have expired";
  EXPECT_LE(expired_s, std::chrono::duration<double>(kLeaseDuration).count() + 4.0);
  EXPECT_EQ(api_.leases().Holder("dbtopo", kLease), Identity(third));
  const nlohmann::json lease = api_.leases().Get("dbtopo", kLease);
  EXPECT_GE(lease["spec"]["leaseTransitions"].get<int>(), 2);
  EXPECT_THAT(exporters_[third]->Log(), HasSubstr("became the remediation leader"));
}

TEST_F(RemediationLeaderTest, AStrayPrimaryIsFencedOnceByTheLeaderOnly) {
  const int leader = WaitForOneLeader(std::chrono::seconds(20));
  ASSERT_GE(leader, 0);
  topo_.server(1).Execute("SET GLOBAL read_only=0");
  const auto until = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < until && topo_.server(1).QueryValue("SELECT @@GLOBAL.read_only") != "1") {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(topo_.server(1).QueryValue("SELECT @@GLOBAL.read_only"), "1") << "never fenced";
  std::this_thread::sleep_for(std::chrono::seconds(3));  // a few more rounds everywhere
  double total = 0;
  for (int i = 0; i < kReplicas; ++i) {
    const double fenced = FenceSuccesses(i);
    EXPECT_EQ(fenced, i == leader ? 1 : 0) << Identity(i);
    total += fenced;
  }
  EXPECT_EQ(total, 1);
}

}  // namespace
}  // namespace dbtopo::testing
