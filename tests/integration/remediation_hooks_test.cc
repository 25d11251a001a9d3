// The switchover hooks that hand the work to someone else: kubeblocks (an
// OpsRequest posted to a local fake Kubernetes API server, followed until
// Succeed and until the role labels move), exec (a real command with the
// DBTOPO_* environment, exit status and timeout) and webhook (a real HTTP
// receiver). The database side is faked: probes return canned observations
// that flip to "switched" once the hook has done its part, so the remediator's
// verify step has something real to converge on.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "analysis_fixtures.h"
#include "dbtopo/remediation/remediator.h"
#include "support/fake_kube_api.h"
#include "support/process.h"

namespace dbtopo::testing {
namespace {

using fixtures::MysqlPrimary;
using fixtures::MysqlReplicaOf;
using fixtures::SetRoleLabel;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

const UnitId kUnit{"prod", "orders", "mysql"};

std::vector<Member> Before() {
  Member p = MysqlPrimary("orders-mysql-0", "10.0.0.1", 3306, kUnit);
  return {p, MysqlReplicaOf("orders-mysql-1", "10.0.0.2", 3306, p),
          MysqlReplicaOf("orders-mysql-2", "10.0.0.3", 3306, p)};
}

/// After a switchover to orders-mysql-1; `labels_moved` also moves the role
/// labels (what KubeBlocks does when its role probe sees the change).
std::vector<Member> After(bool labels_moved) {
  Member p = MysqlPrimary("orders-mysql-1", "10.0.0.2", 3306, kUnit);
  Member old = MysqlReplicaOf("orders-mysql-0", "10.0.0.1", 3306, p);
  Member other = MysqlReplicaOf("orders-mysql-2", "10.0.0.3", 3306, p);
  if (!labels_moved) {
    SetRoleLabel(p, Role::kReplica);
    SetRoleLabel(old, Role::kPrimary);
  }
  return {old, p, other};
}

/// Fake servers: observations "before" until switched() is set.
struct FakeUnit {
  std::atomic<bool> switched{false};
  std::vector<DiscoveredTarget> Targets() {
    auto credentials = std::make_shared<Credentials>(Credentials{"admin", Secret("admin-pw")});
    std::vector<DiscoveredTarget> out;
    for (const Member& m : Before()) out.push_back({m.target, credentials});
    return out;
  }
  Observation Probe(const Target& t) {
    for (const Member& m : switched ? After(true) : Before()) {
      if (m.target.pod == t.pod) return m.observation;
    }
    return Observation{};
  }
};

struct Harness {
  Harness(RemediationConfig config, std::shared_ptr<KubeApi> kube = nullptr)
      : discovery(unit.Targets()) {
    RemediatorOptions o;
    config.enabled = true;
    config.token = Secret("t");
    o.config = std::move(config);
    o.discovery = &discovery;
    o.probe_timeout = std::chrono::milliseconds(500);
    o.verify_interval = std::chrono::milliseconds(50);
    o.kube = std::move(kube);
    o.probe = [this](const Target& t, const Credentials&, std::chrono::milliseconds) {
      return unit.Probe(t);
    };
    remediator = std::make_unique<Remediator>(std::move(o));
  }
  RemediationRecord Switchover(const std::string& candidate = "orders-mysql-1") {
    SwitchoverRequest r;
    r.ns = "prod";
    r.ns_set = true;
    r.db_cluster = "orders";
    r.candidate = candidate;
    return remediator->Switchover(r, "test");
  }
  FakeUnit unit;
  StaticDiscovery discovery;
  std::unique_ptr<Remediator> remediator;
};

std::string Steps(const RemediationRecord& r) {
  std::string out;
  for (const RemediationStep& s : r.steps) out += s.name + ":" + s.status + " ";
  return out;
}

// ------------------------------------------------------------------ exec

TEST(RemediationExecTest, CommandGetsTheUnitAndSucceedsWhenTheUnitConverges) {
  TempDir dir("dbtopo-exec");
  const std::string env_file = dir.File("env");
  const std::string flag = dir.File("done");
  RemediationConfig c;
  c.switchover.action = "exec";
  c.switchover.timeout = std::chrono::seconds(10);
  c.switchover.command = {"/bin/sh", "-c",
                          "env | grep ^DBTOPO_ | sort > " + env_file + "; touch " + flag +
                              "; echo switching $DBTOPO_CANDIDATE"};
  Harness h(c);
  std::thread flip([&] {
    PollUntil([&] { return std::filesystem::exists(flag); }, std::chrono::seconds(10));
    h.unit.switched = true;
  });
  const RemediationRecord r = h.Switchover();
  flip.join();
  EXPECT_EQ(r.result, "success") << r.reason << " " << Steps(r);
  EXPECT_EQ(Steps(r), "run_command:ok verify:ok ");
  EXPECT_THAT(r.steps[0].detail, HasSubstr("exit status 0; output: switching orders-mysql-1"));
  EXPECT_EQ(ReadFile(env_file),
            "DBTOPO_CANDIDATE=orders-mysql-1\n"
            "DBTOPO_COMPONENT=mysql\n"
            "DBTOPO_DB_CLUSTER=orders\n"
            "DBTOPO_NAMESPACE=prod\n"
            "DBTOPO_OLD_PRIMARY=orders-mysql-0\n");
}

TEST(RemediationExecTest, NonZeroExitIsAFailure) {
  RemediationConfig c;
  c.switchover.action = "exec";
  c.switchover.command = {"/bin/sh", "-c", "echo cannot reach operator >&2; exit 3"};
  Harness h(c);
  const RemediationRecord r = h.Switchover();
  EXPECT_EQ(r.result, "failure");
  EXPECT_EQ(r.code, RemediationCode::kFailed);
  EXPECT_EQ(r.failed_step, "run_command");
  EXPECT_THAT(r.reason, HasSubstr("exit status 3"));
  EXPECT_THAT(r.reason, HasSubstr("cannot reach operator"));
}

TEST(RemediationExecTest, TimeoutKillsTheCommandTree) {
  TempDir dir("dbtopo-exec");
  const std::string pid_file = dir.File("pid");
  RemediationConfig c;
  c.switchover.action = "exec";
  c.switchover.timeout = std::chrono::seconds(1);
  // A child in the background, so the kill must reach the whole group.
  c.switchover.command = {"/bin/sh", "-c", "sleep 30 & echo $! > " + pid_file + "; wait"};
  Harness h(c);
  const auto t0 = Clock::now();
  const RemediationRecord r = h.Switchover();
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(r.result, "failure");
  EXPECT_EQ(r.failed_step, "run_command");
  EXPECT_THAT(r.reason, HasSubstr("timeout: killed after"));
  EXPECT_LT(took, 3.0);
  const int pid = std::stoi(ReadFile(pid_file));
  // Dead: gone, or a zombie waiting for its new parent to reap it.
  auto dead = [&] {
    const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    return kill(pid, 0) != 0 || stat.empty() ||
           (paren != std::string::npos && stat.compare(paren + 2, 1, "Z") == 0);
  };
  EXPECT_TRUE(PollUntil(dead, std::chrono::seconds(2))) << "the background sleep survived";
}

TEST(RemediationExecTest, CommandThatChangesNothingFailsAtVerify) {
  RemediationConfig c;
  c.switchover.action = "exec";
  c.switchover.timeout = std::chrono::milliseconds(800);
  c.switchover.command = {"true"};
  Harness h(c);
  const RemediationRecord r = h.Switchover();
  EXPECT_EQ(r.result, "failure");
  EXPECT_EQ(r.failed_step, "verify");
  EXPECT_THAT(r.reason, HasSubstr("orders-mysql-1 is not the primary yet"));
}

// ------------------------------------------------------------------ webhook

TEST(RemediationWebhookTest, PostsTheSwitchoverAndVerifies) {
  httplib::Server server;
  std::mutex mu;
  std::string body, content_type;
  int status = 200;
  Harness* harness = nullptr;
  server.Post("/hooks/switch", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    body = req.body;
    content_type = req.get_header_value("Content-Type");
    res.status = status;
    if (status == 200) harness->unit.switched = true;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });

  RemediationConfig c;
  c.switchover.action = "webhook";
  c.switchover.timeout = std::chrono::seconds(5);
  c.switchover.url = "http://127.0.0.1:" + std::to_string(port) + "/hooks/switch?token=hush";
  Harness h(c);
  harness = &h;
  RemediationRecord r = h.Switchover();
  EXPECT_EQ(r.result, "success") << r.reason;
  EXPECT_EQ(Steps(r), "post_webhook:ok verify:ok ");
  EXPECT_THAT(r.steps[0].detail, ::testing::Not(HasSubstr("hush")))
      << "a token in the URL must not be shown";
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(content_type, "application/json");
    EXPECT_EQ(nlohmann::json::parse(body),
              nlohmann::json::parse(R"({"action":"switchover","namespace":"prod",
                "db_cluster":"orders","component":"mysql","old_primary":"orders-mysql-0",
                "candidate":"orders-mysql-1"})"));
  }

  // A receiver that says no.
  RemediationConfig c2 = c;
  Harness h2(c2);
  harness = &h2;
  {
    std::lock_guard lock(mu);
    status = 503;
  }
  r = h2.Switchover();
  EXPECT_EQ(r.result, "failure");
  EXPECT_EQ(r.failed_step, "post_webhook");
  EXPECT_THAT(r.reason, HasSubstr("HTTP 503"));
  server.stop();
  serving.join();
}

// ------------------------------------------------------------------ kubeblocks

/// Just enough of the Kubernetes API for OpsRequests, with the CRD's shape
/// checks: unknown fields, wrong types and missing required fields get the
/// API server's 422 Invalid.
class FakeOpsApi {
 public:
  FakeOpsApi() {
    server_.Post(R"(/apis/operations.kubeblocks.io/v1alpha1/namespaces/([^/]+)/opsrequests)",
                 [this](const httplib::Request& req, httplib::Response& res) { Create(req, res); });
    server_.Get(R"(/apis/operations.kubeblocks.io/v1alpha1/namespaces/([^/]+)/opsrequests/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) { Read(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeOpsApi() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Phases the GETs answer, in order (the last one repeats).
  void SetPhases(std::vector<std::string> phases) {
    std::lock_guard lock(mu_);
    phases_ = std::move(phases);
  }
  nlohmann::json posted() {
    std::lock_guard lock(mu_);
    return posted_;
  }
  int gets() {
    std::lock_guard lock(mu_);
    return gets_;
  }
  std::string authorization() {
    std::lock_guard lock(mu_);
    return authorization_;
  }

 private:
  static std::string Invalid(const std::string& why) {
    return nlohmann::json{{"kind", "Status"}, {"apiVersion", "v1"},  {"status", "Failure"},
                          {"message", why},   {"reason", "Invalid"}, {"code", 422}}
        .dump();
  }

  // The OpsRequest CRD (operations.kubeblocks.io/v1alpha1), Switchover part.
  static std::string Validate(const nlohmann::json& o, const std::string& ns) {
    static const std::set<std::string> kTop = {"apiVersion", "kind", "metadata", "spec"};
    static const std::set<std::string> kMeta = {"name", "generateName", "namespace", "labels",
                                                "annotations"};
    static const std::set<std::string> kSpec = {"clusterName",
                                                "type",
                                                "switchover",
                                                "force",
                                                "enqueueOnForce",
                                                "ttlSecondsAfterSucceed",
                                                "ttlSecondsAfterUnsuccessfulCompletion",
                                                "preConditionDeadlineSeconds",
                                                "timeoutSeconds"};
    static const std::set<std::string> kItem = {"componentName", "componentObjectName",
                                                "instanceName", "candidateName"};
    if (!o.is_object()) return "not an object";
    for (const auto& [k, v] : o.items()) {
      if (!kTop.contains(k)) return "unknown field \"" + k + "\"";
    }
    if (o.value("apiVersion", "") != "operations.kubeblocks.io/v1alpha1") return "apiVersion";
    if (o.value("kind", "") != "OpsRequest") return "kind";
    const auto& meta = o["metadata"];
    for (const auto& [k, v] : meta.items()) {
      if (!kMeta.contains(k)) return "unknown field \"metadata." + k + "\"";
    }
    if (!meta.contains("name") && !meta.contains("generateName")) {
      return "metadata.name or generateName is required";
    }
    if (meta.contains("namespace") && meta["namespace"] != ns) return "namespace mismatch";
    const auto& spec = o["spec"];
    for (const auto& [k, v] : spec.items()) {
      if (!kSpec.contains(k)) return "unknown field \"spec." + k + "\"";
    }
    if (!spec.contains("type") || spec["type"] != "Switchover") return "spec.type";
    if (!spec.contains("clusterName") || !spec["clusterName"].is_string()) {
      return "spec.clusterName";
    }
    if (!spec.contains("switchover") || !spec["switchover"].is_array() ||
        spec["switchover"].empty()) {
      return "spec.switchover";
    }
    for (const auto& item : spec["switchover"]) {
      for (const auto& [k, v] : item.items()) {
        if (!kItem.contains(k)) return "unknown field \"spec.switchover[]." + k + "\"";
        if (!v.is_string()) return "spec.switchover[]." + k + " must be a string";
      }
      if (!item.contains("componentName")) return "spec.switchover[].componentName is required";
      if (!item.contains("instanceName")) return "spec.switchover[].instanceName is required";
    }
    return "";
  }

  void Create(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    authorization_ = req.get_header_value("Authorization");
    nlohmann::json o = nlohmann::json::parse(req.body, nullptr, false);
    posted_ = o;
    if (const std::string why = Validate(o, req.matches[1]); !why.empty()) {
      res.status = 422;
      res.set_content(Invalid(why), "application/json");
      return;
    }
    o["metadata"]["name"] = o["metadata"].value("generateName", std::string()) + "x7k2p";
    o["metadata"]["uid"] = "1234";
    o["metadata"]["namespace"] = req.matches[1];
    res.status = 201;
    res.set_content(o.dump(), "application/json");
    created_ = o;
  }

  void Read(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu_);
    if (created_.is_null() || req.matches[2] != created_["metadata"]["name"]) {
      res.status = 404;
      res.set_content(R"({"kind":"Status","message":"not found","code":404})", "application/json");
      return;
    }
    nlohmann::json o = created_;
    const std::size_t i = std::min<std::size_t>(gets_, phases_.size() - 1);
    o["status"] = {{"phase", phases_[i]},
                   {"conditions",
                    {{{"type", "Failed"},
                      {"reason", "SwitchoverFailed"},
                      {"message", "candidate is not healthy"}}}}};
    ++gets_;
    res.set_content(o.dump(), "application/json");
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  nlohmann::json posted_;
  nlohmann::json created_;
  std::vector<std::string> phases_ = {"Pending", "Running", "Succeed"};
  int gets_ = 0;
  std::string authorization_;
};

std::shared_ptr<KubeApi> KubeFor(const FakeOpsApi& api, const TempDir& dir) {
  const std::string path = dir.File("kubeconfig");
  WriteFile(path, KubeconfigYaml(api.url(), "token: kube-token-1"), 0600);
  auto made = MakeKubeApi(path);
  if (!made.ok()) throw std::runtime_error(made.error().message);
  return std::shared_ptr<KubeApi>(std::move(made).value());
}

TEST(RemediationKubeblocksTest, CreatesTheOpsRequestFollowsItAndWaitsForLabels) {
  FakeOpsApi api;
  TempDir dir("dbtopo-kb");
  RemediationConfig c;
  c.switchover.action = "kubeblocks";
  c.switchover.timeout = std::chrono::seconds(20);
  Harness h(c, KubeFor(api, dir));
  // The rounds the exporter publishes: labels still old...
  h.remediator->OnTopology(std::make_shared<const Topology>(Analyze(Before(), {})));
  std::thread kubeblocks([&] {
    // ... until the OpsRequest succeeded; then the DB switches and the
    // labels move a round later (labels lag after a switchover).
    PollUntil([&] { return api.gets() >= 3; }, std::chrono::seconds(15));
    h.unit.switched = true;
    h.remediator->OnTopology(std::make_shared<const Topology>(Analyze(After(false), {})));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    h.remediator->OnTopology(std::make_shared<const Topology>(Analyze(After(true), {})));
  });
  const RemediationRecord r = h.Switchover();
  kubeblocks.join();
  EXPECT_EQ(r.result, "success") << r.reason << " " << Steps(r);
  EXPECT_EQ(Steps(r), "create_opsrequest:ok wait_opsrequest:ok wait_role_labels:ok ");
  EXPECT_THAT(r.reason, HasSubstr("orders-switchover-x7k2p"));
  // Exactly the object KubeBlocks accepts.
  EXPECT_EQ(api.posted(), nlohmann::json::parse(R"({
    "apiVersion": "operations.kubeblocks.io/v1alpha1",
    "kind": "OpsRequest",
    "metadata": {"generateName": "orders-switchover-", "namespace": "prod"},
    "spec": {
      "clusterName": "orders",
      "type": "Switchover",
      "switchover": [{"componentName": "mysql", "instanceName": "orders-mysql-0",
                      "candidateName": "orders-mysql-1"}]
    }})"));
  EXPECT_EQ(api.authorization(), "Bearer kube-token-1");
  for (const RemediationStep& s : r.steps) {
    EXPECT_THAT(s.detail, ::testing::Not(HasSubstr("kube-token-1")));
  }
}

TEST(RemediationKubeblocksTest, FailedOpsRequestIsReported) {
  FakeOpsApi api;
  api.SetPhases({"Running", "Failed"});
  TempDir dir("dbtopo-kb");
  RemediationConfig c;
  c.switchover.action = "kubeblocks";
  c.switchover.timeout = std::chrono::seconds(10);
  Harness h(c, KubeFor(api, dir));
  const RemediationRecord r = h.Switchover();
  EXPECT_EQ(r.result, "failure");
  EXPECT_EQ(r.failed_step, "wait_opsrequest");
  EXPECT_THAT(r.reason, HasSubstr("phase Failed SwitchoverFailed: candidate is not healthy"));
  EXPECT_THAT(r.recovery, HasSubstr("kubectl describe opsrequest -n prod orders-switchover-x7k2p"));
}

TEST(RemediationKubeblocksTest, LabelsThatNeverMoveTimeOut) {
  FakeOpsApi api;
  TempDir dir("dbtopo-kb");
  RemediationConfig c;
  c.switchover.action = "kubeblocks";
  c.switchover.timeout = std::chrono::seconds(2);
  Harness h(c, KubeFor(api, dir));
  h.remediator->OnTopology(std::make_shared<const Topology>(Analyze(After(false), {})));
  const RemediationRecord r = h.Switchover();
  EXPECT_EQ(r.result, "failure");
  EXPECT_EQ(r.failed_step, "wait_role_labels");
  EXPECT_THAT(r.reason, HasSubstr("role labels did not move"));
}

TEST(RemediationKubeblocksTest, StaticUnitsHaveNoNamespaceAndAreRefused) {
  RemediationConfig c;
  c.switchover.action = "kubeblocks";
  FakeOpsApi api;
  TempDir dir("dbtopo-kb");
  RemediatorOptions o;
  Member p = MysqlPrimary("m-0", "10.0.0.1");  // Unit default/orders/mysql...
  p.target.unit.ns = "";                       // ... as a static cluster.
  Member r1 = MysqlReplicaOf("m-1", "10.0.0.2", 3306, p);
  StaticDiscovery discovery({{p.target, nullptr}, {r1.target, nullptr}});
  o.config = c;
  o.config.enabled = true;
  o.discovery = &discovery;
  o.kube = KubeFor(api, dir);
  o.probe = [&](const Target& t, const Credentials&, std::chrono::milliseconds) {
    return t.pod == "m-0" ? p.observation : r1.observation;
  };
  Remediator remediator(std::move(o));
  SwitchoverRequest req;
  req.db_cluster = "orders";
  req.candidate = "m-1";
  const RemediationRecord r = remediator.Switchover(req, "test");
  EXPECT_EQ(r.result, "refused");
  EXPECT_EQ(r.code, RemediationCode::kRefused);
  EXPECT_THAT(r.reason, HasSubstr("needs a namespace"));
  EXPECT_TRUE(api.posted().is_null()) << "nothing may be posted";
}

}  // namespace
}  // namespace dbtopo::testing
