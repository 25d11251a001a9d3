// The Remediator with fake probes (no servers): HTTP contract (token, body
// validation, status codes), dry run, one action in flight per unit,
// cooldown, alert mapping, automatic fencing with persistence, status.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "analysis_fixtures.h"
#include "dbtopo/remediation/remediator.h"
#include "remediation_api.h"

namespace dbtopo {
namespace {

using fixtures::HealthyOrders;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using Clock = std::chrono::steady_clock;

constexpr char kToken[] = "tok-123";

/// Serves canned observations per pod; thread-safe.
class FakeServers {
 public:
  explicit FakeServers(const std::vector<Member>& members) { Set(members); }
  void Set(const std::vector<Member>& members) {
    std::lock_guard lock(mu_);
    for (const Member& m : members) observations_[m.target.pod] = m.observation;
  }
  Observation Get(const Target& t) {
    std::lock_guard lock(mu_);
    ++probes_;
    return observations_.at(t.pod);
  }
  int probes() {
    std::lock_guard lock(mu_);
    return probes_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, Observation> observations_;
  int probes_ = 0;
};

std::vector<DiscoveredTarget> TargetsOf(const std::vector<Member>& members) {
  auto credentials = std::make_shared<Credentials>(Credentials{"admin", Secret("admin-pw")});
  std::vector<DiscoveredTarget> out;
  for (Member m : members) {
    m.target.host = "127.0.0.1";
    m.target.port = 1;  // Nothing listens: an action that connects fails.
    out.push_back({m.target, credentials});
  }
  return out;
}

/// Members of HealthyOrders as the fake probe must see them (targets at
/// 127.0.0.1:1, so the analysis resolves sources by pod name instead).
std::vector<Member> Orders() {
  std::vector<Member> m = HealthyOrders();
  for (Member& x : m) {
    x.target.host = "127.0.0.1";
    x.target.port = 1;
    for (auto& c : x.observation.channels) c.source_host = "orders-mysql-0", c.source_port = 1;
  }
  return m;
}

std::vector<Member> OrdersWithWritableReplica() {
  std::vector<Member> m = Orders();
  m[1].observation.writable = true;
  m[1].observation.read_only = false;
  return m;
}

std::uint64_t Count(const RemediationStatus& s, const std::string& action,
                    const std::string& result);

struct Harness {
  explicit Harness(RemediationConfig config, std::vector<Member> members = Orders(),
                   int auto_rounds = 2, std::function<Leadership()> leadership = nullptr)
      : servers(members), discovery(TargetsOf(members)) {
    RemediatorOptions o;
    o.leadership = std::move(leadership);
    o.config = std::move(config);
    o.discovery = &discovery;
    o.probe_timeout = std::chrono::milliseconds(300);
    o.verify_interval = std::chrono::milliseconds(50);
    o.auto_rounds = auto_rounds;
    o.alert_reply_wait = std::chrono::seconds(5);
    o.replication_credentials = [](const UnitId&) {
      return std::make_shared<Credentials>(Credentials{"repl", Secret("repl-pw-XYZ")});
    };
    o.probe = [this](const Target& t, const Credentials&, std::chrono::milliseconds) {
      return servers.Get(t);
    };
    o.log = [this](log::Level, const std::string& msg, const log::KeyValues& fields) {
      std::lock_guard lock(log_mu);
      std::string line = msg;
      for (const auto& [k, v] : fields) line += " " + k + "=" + v;
      log.push_back(line);
    };
    // What the exporter does with it: read Status() again.
    o.on_status_change = [this] {
      ++status_changes;
      fence_dry_runs_seen = Count(remediator->Status(), "fence", "dry_run");
    };
    const log::Sink sink = o.log;
    remediator = std::make_unique<Remediator>(std::move(o));
    api = std::make_unique<RemediationApi>(remediator.get(), sink);
  }

  std::string Log() {
    std::lock_guard lock(log_mu);
    std::string out;
    for (const std::string& l : log) out += l + "\n";
    return out;
  }

  FakeServers servers;
  StaticDiscovery discovery;
  std::mutex log_mu;
  std::vector<std::string> log;
  std::atomic<int> status_changes{0};
  std::atomic<std::uint64_t> fence_dry_runs_seen{0};  // By the last on_status_change.
  std::unique_ptr<Remediator> remediator;
  std::unique_ptr<RemediationApi> api;  // The HTTP endpoints over it.
};

RemediationConfig Config(bool enabled = false) {
  RemediationConfig c;
  c.enabled = enabled;
  c.token = Secret(kToken);
  c.cooldown = std::chrono::minutes(5);
  c.switchover.timeout = std::chrono::seconds(3);
  return c;
}

std::string Bearer() { return std::string("Bearer ") + kToken; }

nlohmann::json Json(const HttpReply& r) { return nlohmann::json::parse(r.body); }

std::uint64_t Count(const RemediationStatus& s, const std::string& action,
                    const std::string& result) {
  auto it = s.actions_total.find({action, result});
  return it == s.actions_total.end() ? 0 : it->second;
}

TEST(RemediatorTest, EveryPostNeedsTheBearerToken) {
  Harness h(Config());
  const std::string body = R"({"db_cluster":"orders","candidate":"orders-mysql-1"})";
  for (const std::string auth : {"", "Bearer wrong", "Basic dG9rLTEyMw==", "tok-123"}) {
    const HttpReply r = h.api->Switchover(auth, body);
    EXPECT_EQ(r.status, 401) << auth;
    EXPECT_EQ(h.api->Alerts(auth, R"({"alerts":[]})").status, 401) << auth;
  }
  EXPECT_EQ(h.servers.probes(), 0) << "a rejected request must not even read the servers";
  EXPECT_EQ(h.Log().find(kToken), std::string::npos) << "the token must never be logged";

  RemediationConfig no_token = Config();
  no_token.token = Secret();
  Harness h2(no_token);
  const HttpReply r = h2.api->Switchover("Bearer ", body);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(Json(r)["error"].get<std::string>(), HasSubstr("token_file is not configured"));
}

TEST(RemediatorTest, MalformedBodiesAre400) {
  Harness h(Config());
  for (const char* body : {"nope", "[]", R"({"candidate":"x"})", R"({"db_cluster":"orders"})",
                           R"({"db_cluster":"orders","candidate":"x","extra":1})",
                           R"({"db_cluster":"orders","candidate":"x","dry_run":"yes"})",
                           R"({"db_cluster":7,"candidate":"x"})"}) {
    EXPECT_EQ(h.api->Switchover(Bearer(), body).status, 400) << body;
  }
  EXPECT_EQ(h.api->Alerts(Bearer(), "nope").status, 400);
}

TEST(RemediatorTest, UnknownUnitOrCandidateIs404AndCounted) {
  Harness h(Config());
  HttpReply r =
      h.api->Switchover(Bearer(), R"({"db_cluster":"nosuch","candidate":"orders-mysql-1"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json(r)["result"], "refused");
  EXPECT_THAT(Json(r)["reason"].get<std::string>(), HasSubstr("unknown unit"));
  r = h.api->Switchover(Bearer(), R"({"db_cluster":"orders","candidate":"orders-mysql-9"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(Json(r)["reason"].get<std::string>(), HasSubstr("unknown candidate"));
  const RemediationStatus s = h.remediator->Status();
  EXPECT_EQ(Count(s, "switchover", "refused"), 2u);
  EXPECT_EQ(Count(s, "switchover", "success"), 0u);
  EXPECT_THAT(s.recent, SizeIs(2));
}

TEST(RemediatorTest, PolicyRefusalsAre422) {
  std::vector<Member> m = Orders();
  m[2].observation.channels[0].sql_running = false;
  Harness h(Config(/*enabled=*/true), m);
  const HttpReply r =
      h.api->Switchover(Bearer(), R"({"db_cluster":"orders","candidate":"orders-mysql-2"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_THAT(Json(r)["reason"].get<std::string>(), HasSubstr("broken"));
  EXPECT_THAT(Json(r)["steps"], SizeIs(0)) << "nothing may run after a refusal";
}

TEST(RemediatorTest, FailedPreflightIsARefusalAndChangesNothing) {
  // Enabled, native MySQL: the admin login fails (nothing listens), so the
  // switchover stops at the read-only preflight: refused, not failure.
  Harness h(Config(/*enabled=*/true));
  const HttpReply r =
      h.api->Switchover(Bearer(), R"({"db_cluster":"orders","candidate":"orders-mysql-1"})");
  EXPECT_EQ(r.status, 422) << r.body;
  const nlohmann::json j = Json(r);
  EXPECT_EQ(j["result"], "refused");
  EXPECT_EQ(j["failed_step"], "preflight");
  ASSERT_THAT(j["steps"], SizeIs(1));
  EXPECT_EQ(j["steps"][0]["status"], "failed");
  EXPECT_THAT(j["reason"].get<std::string>(), HasSubstr("connect as admin"));
  EXPECT_EQ(r.body.find("admin-pw"), std::string::npos);
  EXPECT_EQ(r.body.find("repl-pw-XYZ"), std::string::npos);
}

TEST(RemediatorTest, DryRunFencePlansAndChangesNothing) {
  Harness h(Config(/*enabled=*/false), OrdersWithWritableReplica());
  FenceRequest request;
  request.db_cluster = "orders";
  const RemediationRecord r = h.remediator->Fence(request, "test");
  EXPECT_EQ(r.result, "dry_run");
  EXPECT_EQ(r.code, RemediationCode::kOk);
  EXPECT_EQ(r.old_primary, "orders-mysql-0");
  EXPECT_THAT(r.fenced, ::testing::ElementsAre("orders-mysql-1"));
  ASSERT_THAT(r.steps, SizeIs(2));
  EXPECT_EQ(r.steps[0].name, "set_read_only");
  EXPECT_EQ(r.steps[0].pod, "orders-mysql-1");
  EXPECT_EQ(r.steps[0].status, "planned");
  EXPECT_THAT(r.reason, HasSubstr("would fence orders-mysql-1"));
  EXPECT_EQ(Count(h.remediator->Status(), "fence", "dry_run"), 1u);
  // The exporter heard of it once the record was in Status().
  EXPECT_GE(h.status_changes.load(), 1);
  EXPECT_EQ(h.fence_dry_runs_seen.load(), 1u);
}

TEST(RemediatorTest, RequestedDryRunWinsOverEnabled) {
  RemediationConfig c = Config(/*enabled=*/true);
  c.switchover.action = "exec";
  c.switchover.command = {"false"};
  Harness h(c);
  const HttpReply r = h.api->Switchover(
      Bearer(), R"({"db_cluster":"orders","candidate":"orders-mysql-1","dry_run":true})");
  EXPECT_EQ(r.status, 200) << r.body;
  const nlohmann::json j = Json(r);
  EXPECT_EQ(j["result"], "dry_run");
  EXPECT_EQ(j["steps"][0]["name"], "run_command");
  EXPECT_EQ(j["steps"][0]["status"], "planned");
  EXPECT_THAT(j["steps"][0]["detail"].get<std::string>(),
              HasSubstr("DBTOPO_OLD_PRIMARY=orders-mysql-0 DBTOPO_CANDIDATE=orders-mysql-1"));
}

TEST(RemediatorTest, OneActionInFlightPerUnit) {
  RemediationConfig c = Config(/*enabled=*/true);
  c.switchover.action = "exec";
  c.switchover.command = {"sleep", "1"};
  c.switchover.timeout = std::chrono::seconds(2);
  Harness h(c);
  std::thread first([&] {
    SwitchoverRequest r;
    r.db_cluster = "orders";
    r.candidate = "orders-mysql-1";
    // The command exits 0 but nothing changes: verify times out -> failure.
    const RemediationRecord record = h.remediator->Switchover(r, "test");
    EXPECT_EQ(record.result, "failure");
    EXPECT_EQ(record.failed_step, "verify");
    EXPECT_THAT(record.reason, HasSubstr("timeout"));
  });
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (h.remediator->Status().in_flight.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_THAT(h.remediator->Status().in_flight, SizeIs(1));
  const HttpReply busy =
      h.api->Switchover(Bearer(), R"({"db_cluster":"orders","candidate":"orders-mysql-2"})");
  EXPECT_EQ(busy.status, 409);
  EXPECT_THAT(Json(busy)["reason"].get<std::string>(), HasSubstr("in flight"));
  first.join();
  const RemediationStatus s = h.remediator->Status();
  EXPECT_TRUE(s.in_flight.empty());
  EXPECT_EQ(Count(s, "switchover", "failure"), 1u);
  EXPECT_EQ(Count(s, "switchover", "refused"), 1u);
}

std::string AlertsBody(const std::vector<std::pair<std::string, std::string>>& alerts) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, status] : alerts) {
    list.push_back({{"status", status},
                    {"labels",
                     {{"alertname", name},
                      {"db_cluster", "orders"},
                      {"component", "mysql"},
                      {"namespace", "default"},
                      {"pod", "orders-mysql-1"}}}});
  }
  return nlohmann::json{{"version", "4"}, {"status", "firing"}, {"alerts", list}}.dump();
}

TEST(RemediatorTest, AlertsMapToActionsWithCooldown) {
  RemediationConfig c = Config(/*enabled=*/false);
  c.alert_actions = {{"DbtopoWritableReplica", "fence"}, {"DbtopoSwitchMe", "switchover"}};
  Harness h(c, OrdersWithWritableReplica());
  HttpReply r = h.api->Alerts(Bearer(), AlertsBody({{"DbtopoWritableReplica", "resolved"},
                                                    {"SomethingElse", "firing"},
                                                    {"DbtopoWritableReplica", "firing"},
                                                    {"DbtopoWritableReplica", "firing"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  nlohmann::json alerts = Json(r)["alerts"];
  ASSERT_THAT(alerts, SizeIs(4));
  EXPECT_EQ(alerts[0]["decision"], "ignored");
  EXPECT_EQ(alerts[1]["decision"], "ignored");
  EXPECT_THAT(alerts[1]["reason"].get<std::string>(), HasSubstr("alert_actions"));
  EXPECT_EQ(alerts[2]["decision"], "dry_run");
  EXPECT_EQ(alerts[2]["record"]["trigger"], "alert:DbtopoWritableReplica");
  EXPECT_EQ(alerts[2]["record"]["fenced"][0], "orders-mysql-1");
  EXPECT_EQ(alerts[3]["decision"], "ignored");
  EXPECT_THAT(alerts[3]["reason"].get<std::string>(), HasSubstr("duplicate"));

  // An alert-triggered action is automatic: the unit is now in its cooldown.
  r = h.api->Alerts(Bearer(), AlertsBody({{"DbtopoWritableReplica", "firing"}}));
  alerts = Json(r)["alerts"];
  EXPECT_EQ(alerts[0]["decision"], "refused");
  EXPECT_THAT(alerts[0]["reason"].get<std::string>(), HasSubstr("cooldown"));
  EXPECT_EQ(Count(h.remediator->Status(), "fence", "refused"), 1u);
}

TEST(RemediatorTest, AlertForAHealthyUnitIsRefusedAndRecorded) {
  RemediationConfig c = Config(/*enabled=*/true);
  c.alert_actions = {{"DbtopoNoPrimary", "switchover"}, {"DbtopoDualPrimary", "fence"}};
  Harness h(c);  // Healthy: one primary, linked replicas.
  // One at a time: two actions on one unit would meet its lock instead.
  for (const char* name : {"DbtopoNoPrimary", "DbtopoDualPrimary"}) {
    const nlohmann::json alerts =
        Json(h.api->Alerts(Bearer(), AlertsBody({{name, "firing"}})))["alerts"];
    ASSERT_THAT(alerts, SizeIs(1));
    const nlohmann::json& a = alerts[0];
    EXPECT_EQ(a["decision"], "refused") << a.dump();
    EXPECT_THAT(a["reason"].get<std::string>(), HasSubstr("not confirmed by a fresh read"));
    EXPECT_TRUE(a["record"]["steps"].empty()) << "nothing was done";
  }
  EXPECT_EQ(Count(h.remediator->Status(), "switchover", "refused"), 1u);
  EXPECT_EQ(Count(h.remediator->Status(), "fence", "refused"), 1u);
}

TEST(RemediatorTest, AlertSwitchoverPicksTheBestCandidate) {
  RemediationConfig c = Config(/*enabled=*/false);
  c.alert_actions = {{"DbtopoSwitchMe", "switchover"}};
  std::vector<Member> m = Orders();
  // No writable primary (a demoted one, never replaced): what the alert claims.
  m[0].observation.writable = false;
  m[0].observation.read_only = true;
  m[1].observation.channels[0].lag_seconds = 4;
  m[2].observation.channels[0].lag_seconds = 1;
  Harness h(c, m);
  const HttpReply r = h.api->Alerts(Bearer(), AlertsBody({{"DbtopoSwitchMe", "firing"}}));
  const nlohmann::json alerts = Json(r)["alerts"];
  ASSERT_THAT(alerts, SizeIs(1));
  EXPECT_EQ(alerts[0]["record"]["candidate"], "orders-mysql-2");
  // Native MySQL runs its read-only preflight even in a dry run; nothing
  // listens here, so the decision is a refusal that names the step.
  EXPECT_EQ(alerts[0]["decision"], "refused");
  EXPECT_EQ(alerts[0]["record"]["failed_step"], "preflight");
}

TEST(RemediatorTest, AutomaticFencingNeedsPersistenceAndHonoursCooldown) {
  RemediationConfig c = Config(/*enabled=*/false);
  c.fence_stray_primaries = true;
  const std::vector<Member> bad = OrdersWithWritableReplica();
  Harness h(c, bad, /*auto_rounds=*/2);
  auto round = std::make_shared<const Topology>(Analyze(bad, AnalysisOptions{}));
  auto wait_records = [&](std::size_t n) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (h.remediator->Status().recent.size() < n && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return h.remediator->Status().recent.size();
  };
  h.remediator->OnTopology(round);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_THAT(h.remediator->Status().recent, SizeIs(0)) << "one round is not persistent";
  h.remediator->OnTopology(std::make_shared<const Topology>(*round));
  ASSERT_EQ(wait_records(1), 1u);
  const RemediationRecord r = h.remediator->Status().recent.front();
  EXPECT_EQ(r.action, "fence");
  EXPECT_EQ(r.result, "dry_run");
  EXPECT_EQ(r.trigger, "auto:writable_replica");
  for (int i = 0; i < 3; ++i) {
    h.remediator->OnTopology(std::make_shared<const Topology>(*round));
    // Rounds arriving faster than the monitor reads them count as one.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_THAT(h.remediator->Status().recent, SizeIs(1)) << "cooldown: no second decision";

  // The decision not taken is visible while it waits, and logged once.
  RemediationStatus status = h.remediator->Status();
  ASSERT_THAT(status.held_back, SizeIs(1));
  const HeldBackAction& held = status.held_back[0];
  EXPECT_EQ(held.action, "fence");
  EXPECT_EQ(held.trigger, "auto:writable_replica");
  EXPECT_THAT(held.reason, HasSubstr("fence cooldown"));
  EXPECT_GT(held.blocked_until_unix, held.since_unix + 200);  // about 5 minutes
  const nlohmann::json json = RemediationStatusJson(status);
  EXPECT_EQ(json["held_back"][0]["db_cluster"], "orders");
  EXPECT_TRUE(json["held_back"][0]["blocked_until"].is_number());
  const std::string log = h.Log();
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = log.find("automatic action held back", at)) != std::string::npos;
       ++at) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;

  // The problem clears: nothing waits any more.
  const auto healthy = std::make_shared<const Topology>(Analyze(Orders(), AnalysisOptions{}));
  h.remediator->OnTopology(healthy);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (!h.remediator->Status().held_back.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_THAT(h.remediator->Status().held_back, SizeIs(0));
}

TEST(RemediatorTest, ASwitchoverCooldownDoesNotHoldBackFencing) {
  // An API switchover that ran (here an exec hook whose result the fresh
  // read never confirms: a failure) starts the switchover cooldown only. A
  // replica made writable afterwards is still fenced at once.
  RemediationConfig c = Config(/*enabled=*/true);
  c.fence_stray_primaries = true;
  c.switchover.action = "exec";
  c.switchover.command = {"/bin/true"};
  c.switchover.timeout = std::chrono::milliseconds(500);
  Harness h(c, Orders(), /*auto_rounds=*/1);
  const HttpReply r =
      h.api->Switchover(Bearer(), R"({"db_cluster": "orders", "candidate": "orders-mysql-1"})");
  ASSERT_EQ(Json(r)["result"], "failure") << r.body;

  const std::vector<Member> bad = OrdersWithWritableReplica();
  h.servers.Set(bad);
  h.remediator->OnTopology(std::make_shared<const Topology>(Analyze(bad, AnalysisOptions{})));
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (h.remediator->Status().recent.size() < 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const RemediationStatus status = h.remediator->Status();
  ASSERT_THAT(status.recent, SizeIs(2)) << h.Log();
  EXPECT_EQ(status.recent[1].action, "fence");
  EXPECT_EQ(status.recent[1].trigger, "auto:writable_replica");
  EXPECT_THAT(status.held_back, SizeIs(0));
}

TEST(RemediatorTest, AFollowerHoldsBackAndAnswers503UntilItLeads) {
  RemediationConfig c = Config(/*enabled=*/true);
  c.fence_stray_primaries = true;
  std::atomic<bool> leads{false};
  const auto leadership = [&leads] {
    return Leadership{true, leads.load(), leads ? "exporter-1" : "exporter-0", "ns/lease",
                      "exporter-1"};
  };
  const std::vector<Member> bad = OrdersWithWritableReplica();
  Harness h(c, bad, /*auto_rounds=*/1, leadership);
  const HttpReply refused =
      h.api->Switchover(Bearer(), R"({"db_cluster": "orders", "candidate": "orders-mysql-1"})");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(Json(refused)["holder"], "exporter-0");
  EXPECT_EQ(h.api->Alerts(Bearer(), "{}").status, 503);
  for (int i = 0; i < 3; ++i) {
    h.remediator->OnTopology(std::make_shared<const Topology>(Analyze(bad, AnalysisOptions{})));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  RemediationStatus status = h.remediator->Status();
  EXPECT_THAT(status.recent, SizeIs(0)) << "a follower acted";
  EXPECT_EQ(h.servers.probes(), 0);
  ASSERT_THAT(status.held_back, SizeIs(1));
  EXPECT_THAT(status.held_back[0].reason, HasSubstr("held by exporter-0"));
  EXPECT_FALSE(status.leadership.leader);
  EXPECT_EQ(RemediationStatusJson(status)["leader"]["holder"], "exporter-0");
  const std::string log = h.Log();
  EXPECT_EQ(log.find("automatic action held back"), log.rfind("automatic action held back"))
      << "logged more than once:\n"
      << log;
  // Leadership arrives: the next round fences.
  leads = true;
  h.remediator->OnTopology(std::make_shared<const Topology>(Analyze(bad, AnalysisOptions{})));
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (h.remediator->Status().recent.empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  status = h.remediator->Status();
  ASSERT_THAT(status.recent, SizeIs(1)) << h.Log();
  EXPECT_EQ(status.recent[0].action, "fence");
  EXPECT_THAT(status.held_back, SizeIs(0));
}

TEST(RemediatorTest, AutomaticFencingOffOnlyReports) {
  RemediationConfig c = Config(/*enabled=*/true);
  c.fence_stray_primaries = false;
  const std::vector<Member> bad = OrdersWithWritableReplica();
  Harness h(c, bad, /*auto_rounds=*/1);
  for (int i = 0; i < 3; ++i) {
    h.remediator->OnTopology(std::make_shared<const Topology>(Analyze(bad, AnalysisOptions{})));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_THAT(h.remediator->Status().recent, SizeIs(0));
  EXPECT_EQ(h.servers.probes(), 0);
}

TEST(RemediatorTest, StatusIsPreSeededAndRendersAsJson) {
  Harness h(Config());
  const RemediationStatus s = h.remediator->Status();
  EXPECT_TRUE(s.present);
  EXPECT_EQ(s.actions_total.size(), 8u);
  for (const auto& [key, count] : s.actions_total) EXPECT_EQ(count, 0u);
  h.api->Switchover(Bearer(), R"({"db_cluster":"orders","candidate":"x"})");
  const nlohmann::json j = RemediationStatusJson(h.remediator->Status());
  EXPECT_EQ(j["dry_run"], true);
  ASSERT_THAT(j["units"], SizeIs(1));
  EXPECT_EQ(j["units"][0]["db_cluster"], "orders");
  EXPECT_EQ(j["units"][0]["last_actions"][0]["result"], "refused");
}

}  // namespace
}  // namespace dbtopo
