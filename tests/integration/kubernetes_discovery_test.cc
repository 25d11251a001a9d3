// Kubernetes discovery against a fake API server (support/fake_kube_api)
// serving real PodList / watch JSON over HTTP(S) and requiring a bearer token.
//
// KubeDiscoveryTest drives KubernetesDiscovery in-process (list, watch
// events, 410 Gone, API server restart, 401/403, token rotation, TLS).
// KubeExporterTest runs the real exporter against real mariadbd servers
// whose pods the fake API server announces: two pods labelled primary (
// primary while one replicates), label fix, pod deletion, API server restart
// and a 401, checked on /metrics.

#include "dbtopo/collectors/kubernetes_discovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "base64_for_tests.h"
#include "dbtopo/kube/kube_client.h"
#include "support/exporter_process.h"
#include "support/fake_kube_api.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/prom_text.h"

namespace dbtopo::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "fake-sa-token-5f2b9c";
constexpr char kNs[] = "shop";

std::string TlsFile(const std::string& name) {
  return std::string(DBTOPO_KUBE_TESTDATA) + "/tls/" + name;
}

std::string Base64(const std::string& in) { return test::Base64(in); }

std::map<std::string, std::string> KbLabels(const std::string& cluster, const std::string& role) {
  std::map<std::string, std::string> labels = {{"app.kubernetes.io/instance", cluster},
                                               {"app.kubernetes.io/managed-by", "kubeblocks"},
                                               {"apps.kubeblocks.io/component-name", "mysql"}};
  if (!role.empty()) labels["kubeblocks.io/role"] = role;
  return labels;
}

FakePod MysqlPod(const std::string& name, const std::string& role, int port,
                 const std::string& cluster = "orders") {
  FakePod pod;
  pod.ns = kNs;
  pod.name = name;
  pod.labels = KbLabels(cluster, role);
  pod.port_name = "mysql";
  pod.port = port;
  return pod;
}

// ------------------------------------------------------------ in-process

/// Collects discovery log lines ("level msg k=v ...") for assertions.
class LogCapture {
 public:
  log::Sink Fn() {
    return [this](log::Level level, const std::string& msg, const log::KeyValues& fields) {
      static const char* kLevels[] = {"debug", "info", "warn", "error"};
      std::string line = std::string(kLevels[static_cast<int>(level)]) + " " + msg;
      for (const auto& [k, v] : fields) line += " " + k + "=" + v;
      std::lock_guard<std::mutex> lock(mutex_);
      text_ += line + "\n";
    };
  }
  std::string Text() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }
  bool Contains(const std::string& needle) const {
    return Text().find(needle) != std::string::npos;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

class KubeDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.RequireToken(kToken);
    api_.Start();
    config_.kubeconfig = WriteKubeconfig("token: " + std::string(kToken));
    config_.namespaces = {kNs};
    KubernetesDiscoverRule rule;
    rule.engine = Engine::kMysql;
    rule.label_selector =
        "app.kubernetes.io/managed-by=kubeblocks,apps.kubeblocks.io/component-name=mysql";
    rule.port_name = "mysql";
    rule.credentials = std::make_shared<Credentials>(Credentials{"exporter", Secret("pw")});
    config_.discover = {rule};
    options_.initial_backoff = milliseconds(100);
    options_.max_backoff = milliseconds(400);
    options_.log = logs_.Fn();
  }

  std::string WriteKubeconfig(const std::string& user_yaml, const std::string& cluster_extra = "",
                              const std::string& server = "") {
    const std::string path = dir_.File("kubeconfig-" + std::to_string(++kubeconfigs_));
    WriteFile(path, KubeconfigYaml(server.empty() ? api_.url() : server, user_yaml, cluster_extra),
              0600);
    return path;
  }

  void StartDiscovery(bool expect_sync = true) {
    auto made = MakeKubernetesDiscovery(config_, options_);
    ASSERT_TRUE(made.ok()) << made.error().message;
    discovery_ = std::move(made).value();
    if (expect_sync) {
      ASSERT_TRUE(discovery_->WaitForSync(seconds(10))) << logs_.Text();
    }
  }

  /// "pod=host:port,ready,role" per target, sorted, for compact assertions.
  std::vector<std::string> Snapshot() {
    std::vector<std::string> out;
    for (const DiscoveredTarget& t : discovery_->Targets()) {
      out.push_back(t.target.pod + "=" + t.target.Address() +
                    (t.target.pod_ready.value_or(false) ? ",ready," : ",notready,") +
                    t.target.role_label_value);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  ::testing::AssertionResult WaitTargets(const std::vector<std::string>& want,
                                         milliseconds timeout = seconds(10)) {
    std::vector<std::string> last;
    const bool ok = PollUntil(
        [&] {
          last = Snapshot();
          return last == want;
        },
        timeout, milliseconds(20));
    if (ok) return ::testing::AssertionSuccess();
    std::string got;
    for (const auto& s : last) got += "  " + s + "\n";
    return ::testing::AssertionFailure() << "targets not as wanted; last:\n"
                                         << got << "--- discovery log ---\n"
                                         << logs_.Text();
  }

  TempDir dir_{"dbtopo-kube"};
  FakeKubeApi api_;
  KubernetesConfig config_;
  KubernetesDiscoveryOptions options_;
  LogCapture logs_;
  std::unique_ptr<KubernetesDiscovery> discovery_;
  int kubeconfigs_ = 0;
};

TEST_F(KubeDiscoveryTest, ListsThenAppliesWatchEvents) {
  api_.Upsert(MysqlPod("orders-mysql-0", "primary", 3306));
  api_.Upsert(MysqlPod("orders-mysql-1", "secondary", 3307));
  FakePod other = MysqlPod("other-0", "primary", 3306);
  other.labels["apps.kubeblocks.io/component-name"] = "redis";  // Not selected.
  api_.Upsert(other);
  FakePod elsewhere = MysqlPod("orders-mysql-9", "primary", 3306);
  elsewhere.ns = "other-namespace";
  api_.Upsert(elsewhere);
  StartDiscovery();
  ASSERT_TRUE(WaitTargets({"orders-mysql-0=127.0.0.1:3306,ready,primary",
                           "orders-mysql-1=127.0.0.1:3307,ready,secondary"}));
  EXPECT_TRUE(logs_.Contains("info kubernetes list ok namespace=shop engine=mysql"))
      << logs_.Text();
  EXPECT_TRUE(logs_.Contains("pods=2 targets=2")) << logs_.Text();

  // Full target content.
  std::vector<DiscoveredTarget> targets = discovery_->Targets();
  ASSERT_EQ(targets.size(), 2u);
  const Target& t = targets[0].target;
  EXPECT_EQ(t.unit.ns, kNs);
  EXPECT_EQ(t.unit.db_cluster, "orders");
  EXPECT_EQ(t.unit.component, "mysql");
  EXPECT_EQ(t.engine, Engine::kMysql);
  EXPECT_EQ(t.labelled_role, Role::kPrimary);
  EXPECT_EQ(t.labels.at("app.kubernetes.io/managed-by"), "kubeblocks");
  EXPECT_EQ(targets[0].credentials->username, "exporter");

  // The requests: namespaced path, selector, watch from the list's version.
  ASSERT_TRUE(PollUntil([&] { return api_.watch_requests() >= 1; }, seconds(5)));
  const std::vector<std::string> requests = api_.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_THAT(requests[0], HasSubstr("GET /api/v1/namespaces/shop/pods?"));
  EXPECT_THAT(requests[0],
              HasSubstr("labelSelector=app.kubernetes.io/managed-by=kubeblocks,apps.kubeblocks.io/"
                        "component-name=mysql"));
  EXPECT_THAT(requests[0], HasSubstr("limit=500"));
  EXPECT_THAT(requests[1], HasSubstr("watch=1"));
  EXPECT_THAT(requests[1], HasSubstr("allowWatchBookmarks=true"));
  EXPECT_THAT(requests[1], HasSubstr("resourceVersion=" + std::to_string(api_.resource_version())));

  // ADDED (pending, no IP: known but not a target), then MODIFIED to Running.
  FakePod pending = MysqlPod("orders-mysql-2", "", 3308);
  pending.phase = "Pending";
  pending.ip = "";
  api_.Upsert(pending);
  ASSERT_TRUE(PollUntil(
      [&] { return logs_.Contains("kubernetes pod added pod=shop/orders-mysql-2"); }, seconds(5)))
      << logs_.Text();
  EXPECT_EQ(discovery_->Targets().size(), 2u);
  FakePod running = MysqlPod("orders-mysql-2", "secondary", 3308);
  running.ready = false;
  api_.Upsert(running);
  ASSERT_TRUE(WaitTargets({"orders-mysql-0=127.0.0.1:3306,ready,primary",
                           "orders-mysql-1=127.0.0.1:3307,ready,secondary",
                           "orders-mysql-2=127.0.0.1:3308,notready,secondary"}));
  // A label change is applied.
  api_.Upsert(MysqlPod("orders-mysql-0", "secondary", 3306));
  api_.Upsert(MysqlPod("orders-mysql-1", "primary", 3307));
  ASSERT_TRUE(WaitTargets({"orders-mysql-0=127.0.0.1:3306,ready,secondary",
                           "orders-mysql-1=127.0.0.1:3307,ready,primary",
                           "orders-mysql-2=127.0.0.1:3308,notready,secondary"}));
  EXPECT_TRUE(logs_.Contains("changes=role_label primary -> secondary")) << logs_.Text();
  // A pod that stops matching the selector is dropped (the API server sends DELETED).
  FakePod relabelled = MysqlPod("orders-mysql-2", "secondary", 3308);
  relabelled.labels["app.kubernetes.io/managed-by"] = "someone-else";
  api_.Upsert(relabelled);
  // DELETED.
  api_.Delete(kNs, "orders-mysql-0");
  ASSERT_TRUE(WaitTargets({"orders-mysql-1=127.0.0.1:3307,ready,primary"}));
  EXPECT_TRUE(logs_.Contains("kubernetes pod removed pod=shop/orders-mysql-0")) << logs_.Text();
  // A bookmark moves the resume point without changing targets.
  api_.Bookmark();
  SleepFor(milliseconds(200));
  EXPECT_EQ(api_.list_requests(), 1) << "no re-list while the watch is healthy";
  // Stop() aborts the open watch at once (it would otherwise block for
  // watch_timeout) and keeps the last targets.
  ASSERT_EQ(api_.open_watches(), 1);
  const auto stop_started = std::chrono::steady_clock::now();
  discovery_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, seconds(2));
  EXPECT_EQ(discovery_->Targets().size(), 1u) << "Stop() keeps the last targets";
}

TEST_F(KubeDiscoveryTest, AllNamespacesAndPagination) {
  config_.namespaces.clear();
  options_.list_page_size = 2;
  for (int i = 0; i < 5; ++i) {
    FakePod pod = MysqlPod("m-" + std::to_string(i), "secondary", 3306 + i);
    pod.ns = "ns" + std::to_string(i % 2);
    api_.Upsert(pod);
  }
  StartDiscovery();
  EXPECT_EQ(discovery_->Targets().size(), 5u) << logs_.Text();
  EXPECT_EQ(api_.list_requests(), 3);  // 2 + 2 + 1.
  const std::vector<std::string> requests = api_.requests();
  EXPECT_THAT(requests[0], HasSubstr("GET /api/v1/pods?"));
  EXPECT_THAT(requests[1], HasSubstr("continue=2:"));
  std::set<std::string> namespaces;
  for (const auto& t : discovery_->Targets()) namespaces.insert(t.target.unit.ns);
  EXPECT_EQ(namespaces, (std::set<std::string>{"ns0", "ns1"}));
}

TEST_F(KubeDiscoveryTest, ErrorEvent410ReLists) {
  api_.Upsert(MysqlPod("orders-mysql-0", "primary", 3306));
  StartDiscovery();
  ASSERT_TRUE(PollUntil([&] { return api_.open_watches() == 1; }, seconds(5)));
  api_.ExpireWatches();  // ERROR {code: 410} on the stream.
  ASSERT_TRUE(PollUntil([&] { return api_.list_requests() == 2; }, seconds(5))) << logs_.Text();
  EXPECT_TRUE(logs_.Contains("kubernetes watch expired, re-listing")) << logs_.Text();
  EXPECT_TRUE(logs_.Contains("410 Gone: too old resource version")) << logs_.Text();
  // Still watching after the re-list, from the new version.
  api_.Upsert(MysqlPod("orders-mysql-1", "secondary", 3307));
  ASSERT_TRUE(WaitTargets({"orders-mysql-0=127.0.0.1:3306,ready,primary",
                           "orders-mysql-1=127.0.0.1:3307,ready,secondary"}));
}

TEST_F(KubeDiscoveryTest, Http410OnWatchReLists) {
  options_.watch_timeout = seconds(1);  // The server ends each watch after 1 s.
  api_.Upsert(MysqlPod("orders-mysql-0", "primary", 3306));
  StartDiscovery();
  ASSERT_TRUE(PollUntil([&] { return api_.open_watches() == 1; }, seconds(5)));
  // The watch that resumes after the timeout gets HTTP 410.
  api_.FailNextRequests(410, 1);
  ASSERT_TRUE(PollUntil([&] { return api_.list_requests() == 2; }, seconds(10))) << logs_.Text();
  EXPECT_TRUE(logs_.Contains("kubernetes watch expired, re-listing")) << logs_.Text();
  EXPECT_GE(api_.watch_requests(), 2);
  EXPECT_EQ(discovery_->Targets().size(), 1u);
}

TEST_F(KubeDiscoveryTest, ApiServerRestartKeepsPodsThenReLists) {
  api_.Upsert(MysqlPod("orders-mysql-0", "primary", 3306));
  api_.Upsert(MysqlPod("orders-mysql-1", "secondary", 3307));
  StartDiscovery();
  ASSERT_TRUE(PollUntil([&] { return api_.open_watches() == 1; }, seconds(5)));

  api_.Stop();  // Cuts the watch mid-stream; requests are refused meanwhile.
  ASSERT_TRUE(PollUntil([&] { return logs_.Contains("kubernetes watch broken, re-listing in"); },
                        seconds(5)))
      << logs_.Text();
  ASSERT_TRUE(PollUntil(
      [&] { return logs_.Contains("kubernetes list failed, keeping 2 known pods"); }, seconds(5)))
      << logs_.Text();
  EXPECT_EQ(discovery_->Targets().size(), 2u) << "pods are kept while the API server is away";
  api_.Delete(kNs, "orders-mysql-1");  // Happens while the exporter cannot see it.
  SleepFor(milliseconds(500));
  EXPECT_EQ(discovery_->Targets().size(), 2u);

  api_.Restart();
  ASSERT_TRUE(WaitTargets({"orders-mysql-0=127.0.0.1:3306,ready,primary"})) << logs_.Text();
  // And the new watch works.
  api_.Upsert(MysqlPod("orders-mysql-2", "secondary", 3308));
  ASSERT_TRUE(WaitTargets({"orders-mysql-0=127.0.0.1:3306,ready,primary",
                           "orders-mysql-2=127.0.0.1:3308,ready,secondary"}));
}

TEST_F(KubeDiscoveryTest, TransientErrorsKeepPodsWithBackoff) {
  api_.Upsert(MysqlPod("orders-mysql-0", "primary", 3306));
  StartDiscovery();
  ASSERT_TRUE(PollUntil([&] { return api_.open_watches() == 1; }, seconds(5)));
  api_.FailNextRequests(500, 4);
  api_.ExpireWatches();
  ASSERT_TRUE(PollUntil([&] { return api_.list_requests() >= 6; }, seconds(10))) << logs_.Text();
  EXPECT_EQ(discovery_->Targets().size(), 1u);
  EXPECT_TRUE(logs_.Contains("warn 500 from API server")) << logs_.Text();
  // Backoff doubles (100, 200, 400 ms) and is capped.
  EXPECT_TRUE(logs_.Contains("known_pods=1 retry_in=100ms")) << logs_.Text();
  EXPECT_TRUE(logs_.Contains("known_pods=1 retry_in=200ms")) << logs_.Text();
  EXPECT_TRUE(logs_.Contains("known_pods=1 retry_in=400ms")) << logs_.Text();
  EXPECT_FALSE(logs_.Contains("retry_in=800ms")) << "capped at max_backoff\n" << logs_.Text();
  api_.Upsert(MysqlPod("orders-mysql-1", "secondary", 3307));
  ASSERT_TRUE(WaitTargets({"orders-mysql-0=127.0.0.1:3306,ready,primary",
                           "orders-mysql-1=127.0.0.1:3307,ready,secondary"}));
}

TEST_F(KubeDiscoveryTest, UnauthorizedIsLoggedClearlyWithoutTheToken) {
  config_.kubeconfig = WriteKubeconfig("token: wrong-token-abc123");
  StartDiscovery(/*expect_sync=*/false);
  EXPECT_FALSE(discovery_->WaitForSync(milliseconds(500)));
  ASSERT_TRUE(PollUntil([&] { return api_.unauthorized_requests() >= 2; }, seconds(5)));
  EXPECT_TRUE(logs_.Contains("error 401 Unauthorized from API server: check the token / RBAC"))
      << logs_.Text();
  EXPECT_THAT(logs_.Text(), Not(HasSubstr("wrong-token-abc123")));
  EXPECT_THAT(logs_.Text(), Not(HasSubstr(kToken)));
  EXPECT_TRUE(discovery_->Targets().empty());
}

TEST_F(KubeDiscoveryTest, ForbiddenNamesRbac) {
  api_.FailNextRequests(403, 1);
  StartDiscovery();  // The retry succeeds.
  EXPECT_TRUE(logs_.Contains("error 403 Forbidden from API server: check the RBAC rules"))
      << logs_.Text();
  EXPECT_TRUE(logs_.Contains("deploy/rbac.yaml")) << logs_.Text();
}

TEST_F(KubeDiscoveryTest, RotatedTokenFileIsReRead) {
  const std::string token_file = dir_.File("token");
  WriteFile(token_file, std::string(kToken) + "\n", 0600);
  config_.kubeconfig = WriteKubeconfig("tokenFile: " + token_file);
  api_.Upsert(MysqlPod("orders-mysql-0", "primary", 3306));
  StartDiscovery();
  ASSERT_TRUE(PollUntil([&] { return api_.open_watches() == 1; }, seconds(5)));
  // The API server starts accepting only the new token, the file rotates.
  api_.RequireToken("rotated-token");
  WriteFile(token_file + ".new", "rotated-token\n", 0600);
  std::filesystem::rename(token_file + ".new", token_file);
  api_.ExpireWatches();  // Forces new requests.
  api_.Upsert(MysqlPod("orders-mysql-1", "secondary", 3307));
  ASSERT_TRUE(WaitTargets({"orders-mysql-0=127.0.0.1:3306,ready,primary",
                           "orders-mysql-1=127.0.0.1:3307,ready,secondary"}));
  EXPECT_EQ(api_.unauthorized_requests(), 0) << "the new token is used at once\n" << logs_.Text();
}

TEST_F(KubeDiscoveryTest, MalformedEventReLists) {
  // A pod the watch cannot parse means the stream can no longer be trusted.
  api_.Upsert(MysqlPod("orders-mysql-0", "primary", 3306));
  StartDiscovery();
  ASSERT_TRUE(PollUntil([&] { return api_.open_watches() == 1; }, seconds(5)));
  FakePod nameless = MysqlPod("", "primary", 3306);
  api_.Upsert(nameless);
  ASSERT_TRUE(PollUntil([&] { return api_.list_requests() >= 2; }, seconds(5))) << logs_.Text();
  EXPECT_TRUE(logs_.Contains("bad watch event")) << logs_.Text();
}

// ------------------------------------------------------------ TLS

class KubeTlsTest : public KubeDiscoveryTest {
 protected:
  void SetUp() override {
    KubeDiscoveryTest::SetUp();
    api_.Stop();
    api_.StartTls({TlsFile("server.crt"), TlsFile("server.key"), TlsFile("ca.crt")});
    api_.Upsert(MysqlPod("orders-mysql-0", "primary", 3306));
  }
  std::string ClientCertYaml() {
    return "token: " + std::string(kToken) + "\nclient-certificate: " + TlsFile("client.crt") +
           "\nclient-key-data: " + Base64(ReadFile(TlsFile("client.key")));
  }
};

TEST_F(KubeTlsTest, CaDataAndClientCertificate) {
  config_.kubeconfig = WriteKubeconfig(
      ClientCertYaml(), "certificate-authority-data: " + Base64(ReadFile(TlsFile("ca.crt"))));
  StartDiscovery();
  EXPECT_EQ(discovery_->Targets().size(), 1u);
  EXPECT_THAT(discovery_->Describe(), HasSubstr("https://127.0.0.1:"));
}

TEST_F(KubeTlsTest, CaFileAndTlsServerName) {
  // Connect to 127.0.0.1 but verify the certificate as kubernetes.default.svc.
  config_.kubeconfig =
      WriteKubeconfig(ClientCertYaml(), "certificate-authority: " + TlsFile("ca.crt") +
                                            "\ntls-server-name: kubernetes.default.svc");
  StartDiscovery();
  EXPECT_EQ(discovery_->Targets().size(), 1u);
}

TEST_F(KubeTlsTest, WrongCaIsRejectedWithAClearError) {
  config_.kubeconfig =
      WriteKubeconfig(ClientCertYaml(), "certificate-authority: " + TlsFile("other-ca.crt"));
  StartDiscovery(/*expect_sync=*/false);
  ASSERT_TRUE(PollUntil([&] { return logs_.Contains("kubernetes list failed"); }, seconds(5)));
  EXPECT_FALSE(discovery_->WaitForSync(milliseconds(100)));
  EXPECT_TRUE(logs_.Contains("certificate")) << logs_.Text();
  EXPECT_TRUE(discovery_->Targets().empty());
}

TEST_F(KubeTlsTest, InsecureSkipVerify) {
  config_.kubeconfig = WriteKubeconfig(ClientCertYaml(), "insecure-skip-tls-verify: true");
  StartDiscovery();
  EXPECT_EQ(discovery_->Targets().size(), 1u);
}

TEST_F(KubeTlsTest, MissingClientCertificateFails) {
  config_.kubeconfig = WriteKubeconfig("token: " + std::string(kToken),
                                       "certificate-authority: " + TlsFile("ca.crt"));
  StartDiscovery(/*expect_sync=*/false);
  ASSERT_TRUE(PollUntil([&] { return logs_.Contains("kubernetes list failed"); }, seconds(5)))
      << logs_.Text();
  EXPECT_TRUE(discovery_->Targets().empty());
}

// KubeClient::Post (used by the remediation hook to create OpsRequests).
TEST(KubeClientPostTest, SendsBodyTokenAndReturnsStatusAndBody) {
  httplib::Server server;
  std::string seen_body, seen_auth, seen_type;
  server.Post("/apis/operations.kubeblocks.io/v1alpha1/namespaces/shop/opsrequests",
              [&](const httplib::Request& req, httplib::Response& res) {
                seen_body = req.body;
                seen_auth = req.get_header_value("Authorization");
                seen_type = req.get_header_value("Content-Type");
                res.status = req.body.find("bad") == std::string::npos ? 201 : 422;
                res.set_content(R"({"kind":"OpsRequest","metadata":{"name":"x"}})",
                                "application/json");
              });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  kube::KubeConfig config;
  ASSERT_TRUE(kube::ParseServerUrl("http://127.0.0.1:" + std::to_string(port), &config).ok());
  config.token = Secret("post-token");
  auto created = kube::KubeClient::Create(config);
  ASSERT_TRUE(created.ok());
  kube::KubeClient& client = *created.value();
  const std::string path = "/apis/operations.kubeblocks.io/v1alpha1/namespaces/shop/opsrequests";
  kube::HttpResult r =
      client.Post(path, R"({"kind":"OpsRequest"})", "application/json", seconds(5));
  EXPECT_EQ(r.status, 201);
  EXPECT_THAT(r.body, HasSubstr("\"name\":\"x\""));
  EXPECT_EQ(seen_body, R"({"kind":"OpsRequest"})");
  EXPECT_EQ(seen_auth, "Bearer post-token");
  EXPECT_EQ(seen_type, "application/json");
  r = client.Post(path, "bad", "application/json", seconds(5));
  EXPECT_EQ(r.status, 422);
  EXPECT_FALSE(r.body.empty());
  server.stop();
  thread.join();
  r = client.Post(path, "{}", "application/json", seconds(5));
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.error, HasSubstr("connection failed"));
}

TEST(KubeConfigCheckTest, BadSelectorAndKubeconfigAreReported) {
  KubernetesConfig config;
  KubernetesDiscoverRule rule;
  rule.label_selector = "a in (b";
  rule.credentials = std::make_shared<Credentials>();
  config.discover = {rule};
  config.kubeconfig = "/nonexistent/kubeconfig";
  EXPECT_THAT(CheckKubernetesConfig(config).error().message,
              HasSubstr("kubernetes.discover[0].label_selector \"a in (b\": at column"));
  config.discover[0].label_selector = "a=b";
  EXPECT_THAT(CheckKubernetesConfig(config).error().message,
              HasSubstr("kubeconfig /nonexistent/kubeconfig"));
  auto made = MakeKubernetesDiscovery(config, {});
  ASSERT_FALSE(made.ok());
  EXPECT_THAT(made.error().message, HasSubstr("/nonexistent/kubeconfig"));
}

// ------------------------------------------------------------ real exporter

class KubeExporterTest : public ::testing::Test {
 protected:
  static constexpr char kCluster[] = "orders";

  void SetUp() override {
    topo_.Start(1);  // Server 0 primary, server 1 replicating from it.
    api_.RequireToken(kToken);
    api_.Start();
  }

  /// Pod i of the topology (the fake announces it at 127.0.0.1:<its port>).
  FakePod Pod(int i, const std::string& role) {
    return MysqlPod(topo_.Pod(i, "orders-mysql-"), role, topo_.server(i).port());
  }
  Labels PodLabels(int i) const {
    return {{"namespace", kNs},
            {"db_cluster", kCluster},
            {"component", "mysql"},
            {"pod", topo_.Pod(i, "orders-mysql-")}};
  }
  static Labels Unit() {
    return {{"namespace", kNs}, {"db_cluster", kCluster}, {"component", "mysql"}};
  }
  Labels Finding(const std::string& kind, int i) const {
    Labels l = Unit();
    l["kind"] = kind;
    l["pod"] = i >= 0 ? PodLabels(i).at("pod") : "";
    return l;
  }

  void StartExporter(const std::string& token = kToken) {
    const std::string kubeconfig = dir_.File("kubeconfig");
    WriteFile(kubeconfig, KubeconfigYaml(api_.url(), "token: " + token), 0600);
    const std::string password_file = dir_.File("mysql.password");
    WriteFile(password_file, topo_.exporter_password(), 0600);
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    // No static clusters: `clusters:` (written by the harness) gets an empty
    // flow list, then the kubernetes section.
    options.extra_yaml =
        "  []\n"
        "kubernetes:\n"
        "  kubeconfig: \"" +
        kubeconfig +
        "\"\n"
        "  namespaces: [" +
        kNs +
        "]\n"
        "  discover:\n"
        "    - engine: mysql\n"
        "      label_selector: app.kubernetes.io/managed-by=kubeblocks,"
        "apps.kubeblocks.io/component-name=mysql\n"
        "      port_name: mysql\n"
        "      credentials: {username: exporter, password_file: \"" +
        password_file + "\"}\n";
    exporter_.Start(options);
  }

  static std::string FindingsText(const Metrics& m) {
    std::string out;
    for (const Sample& s : m.Find("dbtopo_finding")) out += "  " + s.ToString() + "\n";
    return out;
  }

  MariadbTopology topo_;
  FakeKubeApi api_;
  TempDir dir_{"dbtopo-kube-exporter"};
  ExporterProcess exporter_{dir_};
};

TEST_F(KubeExporterTest, TwoPodsLabelledPrimaryThenFixedThenDeleted) {
  // Two pods labelled primary, labels-only variant: pod 1 replicates (read-only) but its
  // label says primary too.
  api_.Upsert(Pod(0, "primary"));
  api_.Upsert(Pod(1, "primary"));
  StartExporter();

  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "labelled dual primary with role_label_mismatch on the replica",
      [&](const Metrics& x) {
        return x.Is("dbtopo_up", PodLabels(0), 1) && x.Is("dbtopo_up", PodLabels(1), 1) &&
               x.Is("dbtopo_cluster_labelled_primaries", Unit(), 2) &&
               x.Has("dbtopo_finding", Finding("labelled_dual_primary", -1)) &&
               x.Has("dbtopo_finding", Finding("role_label_mismatch", 1));
      },
      seconds(60), &m));
  EXPECT_EQ(m.Value("dbtopo_cluster_primaries", Unit()), 1);
  EXPECT_EQ(m.Value("dbtopo_cluster_dual_primary", Unit()), 0);
  EXPECT_FALSE(m.Has("dbtopo_finding", {{"kind", "dual_primary"}})) << FindingsText(m);
  EXPECT_FALSE(m.Has("dbtopo_finding", Finding("role_label_mismatch", 0))) << FindingsText(m);
  EXPECT_EQ(m.Value("dbtopo_role_label_mismatch", PodLabels(1)), 1);
  EXPECT_EQ(m.Value("dbtopo_role_label_mismatch", PodLabels(0)), 0);
  Labels label_primary = PodLabels(1);
  label_primary["role"] = "primary";
  EXPECT_EQ(m.Value("dbtopo_role_label", label_primary), 1);
  Labels observed_replica = PodLabels(1);
  observed_replica["role"] = "replica";
  EXPECT_EQ(m.Value("dbtopo_role", observed_replica), 1);
  EXPECT_EQ(m.Value("dbtopo_pod_ready", PodLabels(0)), 1);
  EXPECT_EQ(m.Value("dbtopo_pod_ready", PodLabels(1)), 1);
  // Only the labels are wrong: nothing else fires.
  for (const Sample& s : m.Find("dbtopo_finding")) {
    EXPECT_THAT((std::set<std::string>{"labelled_dual_primary", "role_label_mismatch"}),
                ::testing::Contains(s.labels.at("kind")))
        << s.ToString();
  }
  std::cout << "[ findings ]\n" << FindingsText(m);

  // The operator fixes the label: a MODIFIED event clears the findings.
  api_.Upsert(Pod(1, "secondary"));
  ASSERT_TRUE(exporter_.WaitFor(
      "findings cleared after the label fix",
      [&](const Metrics& x) {
        return x.Is("dbtopo_cluster_labelled_primaries", Unit(), 1) &&
               x.Count("dbtopo_finding") == 0 &&
               x.Is("dbtopo_role_label_mismatch", PodLabels(1), 0);
      },
      seconds(30), &m));

  // Pod 1 stops being Ready: still probed, dbtopo_pod_ready 0.
  FakePod not_ready = Pod(1, "secondary");
  not_ready.ready = false;
  api_.Upsert(not_ready);
  ASSERT_TRUE(exporter_.WaitFor(
      "not-ready pod still probed",
      [&](const Metrics& x) {
        return x.Is("dbtopo_pod_ready", PodLabels(1), 0) && x.Is("dbtopo_up", PodLabels(1), 1);
      },
      seconds(30), &m));

  // The pod is deleted: its series disappear.
  api_.Delete(kNs, PodLabels(1).at("pod"));
  ASSERT_TRUE(exporter_.WaitFor(
      "deleted pod's series gone",
      [&](const Metrics& x) {
        for (const Sample& s : x.samples()) {
          auto it = s.labels.find("pod");
          if (it != s.labels.end() && it->second == PodLabels(1).at("pod")) return false;
        }
        return x.Is("dbtopo_up", PodLabels(0), 1);
      },
      seconds(30), &m));
  EXPECT_THAT(exporter_.Log(), HasSubstr("kubernetes pod removed"));
  EXPECT_THAT(exporter_.Log(), Not(HasSubstr(kToken)));
  EXPECT_THAT(exporter_.Log(), Not(HasSubstr(topo_.exporter_password())));
}

TEST_F(KubeExporterTest, ApiServerRestartKeepsPodsAndRecovers) {
  api_.Upsert(Pod(0, "primary"));
  api_.Upsert(Pod(1, "secondary"));
  StartExporter();
  ASSERT_TRUE(exporter_.WaitFor("both pods up", [&](const Metrics& x) {
    return x.Is("dbtopo_up", PodLabels(0), 1) && x.Is("dbtopo_up", PodLabels(1), 1);
  }));
  ASSERT_TRUE(PollUntil([&] { return api_.open_watches() == 1; }, seconds(10)));

  api_.Stop();
  ASSERT_TRUE(PollUntil(
      [&] {
        return exporter_.Log().find("kubernetes watch broken, re-listing in") != std::string::npos;
      },
      seconds(10)))
      << exporter_.LogTail();
  // While the API server is away, both pods keep being probed.
  const auto round_before = exporter_.Scrape().Value("dbtopo_last_poll_timestamp_seconds");
  SleepFor(seconds(3));
  Metrics m = exporter_.Scrape();
  EXPECT_NE(m.Value("dbtopo_last_poll_timestamp_seconds"), round_before) << "still polling";
  EXPECT_TRUE(m.Is("dbtopo_up", PodLabels(0), 1)) << m.Dump();
  EXPECT_TRUE(m.Is("dbtopo_up", PodLabels(1), 1)) << m.Dump();

  // The label changes while the exporter cannot watch; the re-list after the
  // restart picks it up.
  api_.Upsert(Pod(1, "primary"));
  api_.Restart();
  ASSERT_TRUE(exporter_.WaitFor(
      "re-listed after the API server came back",
      [&](const Metrics& x) {
        return x.Is("dbtopo_cluster_labelled_primaries", Unit(), 2) &&
               x.Has("dbtopo_finding", Finding("role_label_mismatch", 1));
      },
      seconds(60)));
  EXPECT_THAT(exporter_.Log(), HasSubstr("kubernetes list ok"));
}

TEST_F(KubeExporterTest, UnauthorizedIsLoggedClearly) {
  api_.Upsert(Pod(0, "primary"));
  StartExporter("revoked-token-77");
  ASSERT_TRUE(PollUntil(
      [&] {
        return exporter_.Log().find("401 Unauthorized from API server: check the token / RBAC") !=
               std::string::npos;
      },
      seconds(20)))
      << exporter_.LogTail();
  EXPECT_THAT(exporter_.Log(), Not(HasSubstr("revoked-token-77")));
  EXPECT_THAT(exporter_.Log(), HasSubstr("level=error"));
  // No targets, but the exporter runs and serves.
  Metrics m = exporter_.Scrape();
  EXPECT_FALSE(m.Has("dbtopo_up")) << m.Dump();
  EXPECT_EQ(exporter_.Get("/-/healthy").status, 200);
}

}  // namespace
}  // namespace dbtopo::testing
