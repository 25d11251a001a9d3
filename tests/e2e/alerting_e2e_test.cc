// End-to-end test of the alerting and dashboard path:
//
//   MariaDB primary + 2 replicas ─┐
//   Redis master + 1 replica      │
//     and 3 Redis Sentinels ──────┼─> dbtopo_exporter ─> prometheus ─> alertmanager ─> webhook
//   Redis Cluster (3 x 2 nodes) ──┘   (poll 1 s)         (scrape and      (group_wait 1 s)   (this
//                                                          rules 1 s, test) alerts/*.rules.yml)
//
// Everything runs on 127.0.0.1 on free ports with its data in temp dirs; every
// process is killed when the suite ends. The world is started once for the
// suite (SetUpTestSuite) and every test leaves it healthy again.
//
// What is checked:
// * every rule group of alerts/*.rules.yml is loaded and every rule evaluates
//   with health "ok";
// * on the healthy topology no alert is pending or firing, no alert expression
//   returns anything, and the webhook receives nothing;
// * a dual primary (a replica detached and made writable) fires
//   DbtopoDualPrimary after its `for:`, which reaches the webhook with the
//   right labels and annotations; fixing it delivers a "resolved" notification;
// * every dashboard parses and has the expected shape, and every panel query
//   (variables substituted) is accepted by the live Prometheus and returns
//   data: on the healthy topology, or, for the panels listed in
//   kFaultOnlyPanels, once the fault they exist to show has been injected.
//
// Scrape job name: DbtopoExporterDown selects up{job=~".*dbtopo.*"}, so the
// scrape job here is "dbtopo-exporter" (the name the ServiceMonitor in deploy/
// yields too); the test asserts that selector finds the exporter's target.
//
// On failure the test prints the Prometheus and Alertmanager logs, the
// webhook payloads, Prometheus' alerts, the exporter's dbtopo_ samples and log.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/exporter_process.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/prom_text.h"
#include "support/redis_sentinels.h"
#include "support/redis_servers.h"

#ifndef DBTOPO_SOURCE_DIR
#error "DBTOPO_SOURCE_DIR must name the repository root"
#endif
#ifndef DBTOPO_PROMETHEUS_BIN
#define DBTOPO_PROMETHEUS_BIN "prometheus"
#endif
#ifndef DBTOPO_ALERTMANAGER_BIN
#define DBTOPO_ALERTMANAGER_BIN "prometheus-alertmanager"
#endif

namespace dbtopo::testing {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The watched clusters. The MySQL one has a namespace (as discovered pods
// do), the Redis ones are static-config style (namespace "" = no label), so
// both label shapes go through the rules and the dashboards.
constexpr char kNamespace[] = "shop";
constexpr char kMysqlCluster[] = "orders";
constexpr char kRedisSet[] = "cache";
constexpr char kRedisCluster[] = "sessions";  // RedisClusterTopology names its pods sessions-*
constexpr int kPods = 3 + 2 + 3 + 6;  // mysql, redis, sentinels, redis cluster
constexpr char kScrapeJob[] = "dbtopo-exporter";

std::string SourceDir() { return DBTOPO_SOURCE_DIR; }

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

void Log(const std::string& line) { std::cout << "[ e2e      ] " << line << std::endl; }

std::string Fixed(double v, int digits = 1) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(digits);
  s << v;
  return s.str();
}

// ---------------------------------------------------------------------------
// HTTP

struct Http {
  int status = 0;
  std::string body;
  std::string error;
};

Http HttpGet(int port, const std::string& path, const httplib::Params& params = {},
             std::chrono::seconds timeout = 10s) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  Http out;
  auto r = params.empty() ? client.Get(path) : client.Get(path, params, httplib::Headers{});
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  return out;
}

/// GET returning JSON; throws with status and body when it is not 200 JSON.
json GetJson(int port, const std::string& path, const httplib::Params& params = {}) {
  Http r = HttpGet(port, path, params);
  if (r.status != 200) {
    throw std::runtime_error("GET " + path + " on :" + std::to_string(port) + ": status " +
                             std::to_string(r.status) + " " + r.error + "\n" + r.body);
  }
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("GET " + path + ": not JSON: " + r.body);
  return j;
}

// ---------------------------------------------------------------------------
// Webhook receiver: records every Alertmanager notification.

class WebhookReceiver {
 public:
  ~WebhookReceiver() { Stop(); }

  void Start() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      json payload = json::parse(req.body, nullptr, false);
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back({Clock::now(), payload.is_discarded() ? json(req.body) : payload});
      }
      res.status = 200;
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("webhook receiver: cannot bind");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    if (!PollUntil([this] { return server_.is_running(); }, 5s)) {
      throw std::runtime_error("webhook receiver did not start");
    }
  }
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }

  std::size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_.size();
  }
  /// Payloads received from index `from` on.
  std::vector<json> Since(std::size_t from) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<json> out;
    for (std::size_t i = from; i < received_.size(); ++i) out.push_back(received_[i].second);
    return out;
  }
  /// The first alert (from index `from` on) named `alertname` with `status`
  /// ("firing" / "resolved"), as {"payload": ..., "alert": ...}; null if none.
  json Find(const std::string& alertname, const std::string& status, std::size_t from) {
    for (const json& p : Since(from)) {
      if (!p.is_object() || !p.contains("alerts")) continue;
      for (const json& a : p["alerts"]) {
        if (a.value("status", "") == status && a.contains("labels") &&
            a["labels"].value("alertname", "") == alertname) {
          return json{{"payload", p}, {"alert", a}};
        }
      }
    }
    return nullptr;
  }
  std::string Dump() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    const auto t0 = received_.empty() ? Clock::now() : received_.front().first;
    for (const auto& [t, p] : received_) {
      out += "  +" + Fixed(std::chrono::duration<double>(t - t0).count()) + "s " + p.dump() + "\n";
    }
    return out.empty() ? "  (none)\n" : out;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::pair<Clock::time_point, json>> received_;
};

// ---------------------------------------------------------------------------
// Prometheus and Alertmanager processes.

class Daemon {
 public:
  Daemon(std::string name, const TempDir& dir) : name_(std::move(name)), dir_(dir) {}
  ~Daemon() { Stop(); }

  /// Starts `argv` (which must listen on port()) and waits for /-/ready.
  void Start(std::vector<std::string> argv, std::chrono::seconds timeout = 60s) {
    process_ = std::make_unique<Process>(std::move(argv), dir_.File(name_ + ".log"));
    process_->Start();
    int last = 0;
    const bool ready = PollUntil(
        [&] {
          if (!process_->IsRunning()) return true;
          last = HttpGet(port_, "/-/ready", {}, 2s).status;
          return last == 200;
        },
        timeout, 100ms);
    if (!process_->IsRunning()) {
      throw std::runtime_error(name_ + " exited during startup: " + process_->CommandLine() +
                               "\n--- log ---\n" + LogTail());
    }
    if (!ready) {
      throw std::runtime_error(name_ + " not ready (last /-/ready " + std::to_string(last) +
                               ")\n--- log ---\n" + LogTail());
    }
  }
  void Stop() {
    if (process_ != nullptr) process_->Stop(5s);
  }
  int AllocatePort() { return port_ = FreePort(); }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string LogTail(std::size_t bytes = 6000) const {
    return process_ ? process_->LogTail(bytes) : "(not started)";
  }
  json Get(const std::string& path, const httplib::Params& params = {}) const {
    return GetJson(port_, path, params);
  }

 private:
  std::string name_;
  const TempDir& dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// ---------------------------------------------------------------------------
// The rule files, read independently of Prometheus.

struct RuleSpec {
  std::string file;
  std::string group;
  std::string alert;
  std::chrono::seconds for_{0};
};

/// Prometheus duration ("30s", "1m", "1h30m") in seconds.
std::chrono::seconds ParseDuration(const std::string& text) {
  static const std::regex part("([0-9]+)(ms|s|m|h|d|w|y)");
  long long total_ms = 0;
  std::size_t consumed = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), part); it != std::sregex_iterator();
       ++it) {
    const long long n = std::stoll((*it)[1]);
    const std::string unit = (*it)[2];
    const long long ms = unit == "ms"  ? 1
                         : unit == "s" ? 1000
                         : unit == "m" ? 60'000
                         : unit == "h" ? 3'600'000
                         : unit == "d" ? 86'400'000
                         : unit == "w" ? 604'800'000
                                       : 31'536'000'000LL;
    total_ms += n * ms;
    consumed += it->length();
  }
  if (consumed != text.size()) throw std::runtime_error("bad duration " + text);
  return std::chrono::seconds(total_ms / 1000);
}

std::vector<std::string> RuleFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() + "/alerts")) {
    const std::string name = e.path().filename().string();
    if (name.size() > 10 && name.ends_with(".rules.yml")) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<RuleSpec> LoadRuleSpecs(const std::vector<std::string>& files) {
  std::vector<RuleSpec> out;
  for (const std::string& file : files) {
    YAML::Node root = YAML::LoadFile(file);
    for (const YAML::Node& group : root["groups"]) {
      for (const YAML::Node& rule : group["rules"]) {
        if (!rule["alert"]) continue;
        RuleSpec r;
        r.file = file;
        r.group = group["name"].as<std::string>();
        r.alert = rule["alert"].as<std::string>();
        if (rule["for"]) r.for_ = ParseDuration(rule["for"].as<std::string>());
        out.push_back(r);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Prometheus / Alertmanager configuration.

std::string PrometheusConfig(const std::vector<std::string>& rule_files, int exporter_port,
                             int alertmanager_port) {
  std::ostringstream y;
  y << "global:\n"
       "  scrape_interval: 1s\n"
       "  scrape_timeout: 1s\n"
       "  evaluation_interval: 1s\n"
       "rule_files:\n";
  for (const std::string& f : rule_files) y << "  - \"" << f << "\"\n";
  y << "alerting:\n"
       "  alertmanagers:\n"
       "    - api_version: v2\n"
       "      static_configs:\n"
       "        - targets: [\"127.0.0.1:"
    << alertmanager_port
    << "\"]\n"
       "scrape_configs:\n"
       "  - job_name: \""
    << kScrapeJob
    << "\"\n"
       "    static_configs:\n"
       "      - targets: [\"127.0.0.1:"
    << exporter_port << "\"]\n";
  return y.str();
}

std::string AlertmanagerConfig(const std::string& webhook_url) {
  return "route:\n"
         "  receiver: e2e-webhook\n"
         "  group_by: [alertname, namespace, db_cluster, component]\n"
         "  group_wait: 1s\n"
         "  group_interval: 1s\n"
         "  repeat_interval: 24h\n"
         "receivers:\n"
         "  - name: e2e-webhook\n"
         "    webhook_configs:\n"
         "      - url: \"" +
         webhook_url +
         "\"\n"
         "        send_resolved: true\n";
}

// ---------------------------------------------------------------------------
// Dashboards.

struct DashTarget {
  std::string file;   ///< "dbtopo-mysql.json"
  std::string row;    ///< title of the row the panel is under ("" if none)
  std::string panel;  ///< panel title
  std::string type;   ///< panel type
  std::string ref;    ///< refId
  std::string expr;
  std::string Where() const { return file + " / " + panel + " / " + ref; }
};

struct Dashboard {
  std::string file;
  json doc;
};

std::vector<Dashboard> LoadDashboards() {
  std::vector<Dashboard> out;
  for (const auto& e : std::filesystem::directory_iterator(SourceDir() + "/dashboards")) {
    if (e.path().extension() != ".json") continue;
    Dashboard d;
    d.file = e.path().filename().string();
    d.doc = json::parse(ReadFile(e.path().string()), nullptr, false);
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.file < b.file; });
  return out;
}

void CollectTargets(const std::string& file, const json& panels, std::string row,
                    std::vector<DashTarget>* out) {
  if (!panels.is_array()) return;
  for (const json& p : panels) {
    if (p.value("type", "") == "row") {
      row = p.value("title", "");
      CollectTargets(file, p.value("panels", json::array()), row, out);  // collapsed rows
      continue;
    }
    for (const json& t : p.value("targets", json::array())) {
      out->push_back({file, row, p.value("title", ""), p.value("type", ""), t.value("refId", ""),
                      t.value("expr", "")});
    }
  }
}

std::vector<DashTarget> AllTargets(const std::vector<Dashboard>& dashboards) {
  std::vector<DashTarget> out;
  for (const Dashboard& d : dashboards) {
    if (!d.doc.is_discarded())
      CollectTargets(d.file, d.doc.value("panels", json::array()), "", &out);
  }
  return out;
}

const std::vector<std::string> kVariables = {"datasource", "namespace", "db_cluster", "component",
                                             "pod"};

/// Values of Grafana's built-in interval variables for the queries.
const std::map<std::string, std::string> kBuiltins = {
    {"__rate_interval", "1m"}, {"__interval", "15s"}, {"__interval_ms", "15000"},
    {"__range", "1h"},         {"__range_s", "3600"}, {"__range_ms", "3600000"},
    {"__auto", "15s"}};

/// A choice of dashboard variable values.
struct View {
  std::string name;
  std::map<std::string, std::string> vars;
};

View OrdersView() {
  return {"orders",
          {{"namespace", kNamespace},
           {"db_cluster", kMysqlCluster},
           {"component", "mysql"},
           {"pod", ".*"}}};
}
View CacheView() {
  return {"cache",
          {{"namespace", ""}, {"db_cluster", kRedisSet}, {"component", "redis"}, {"pod", ".*"}}};
}
View SessionsView() {
  return {
      "sessions",
      {{"namespace", ""}, {"db_cluster", kRedisCluster}, {"component", "shard-0"}, {"pod", ".*"}}};
}
View SentinelsView() {
  return {"sentinels",
          {{"namespace", ""},
           {"db_cluster", kRedisSet},
           {"component", "redis-sentinel"},
           {"pod", ".*"}}};
}
View AllView() {
  return {"all", {{"namespace", ".*"}, {"db_cluster", ".*"}, {"component", ".*"}, {"pod", ".*"}}};
}

/// `view` with the pod variable set to one real replica of its cluster
/// (a replica has the most per-pod series: links, lag, channel errors).
View ReplicaPodView(View view) {
  const std::string pod = view.name == "orders"      ? "mysql-1"
                          : view.name == "cache"     ? RedisReplicationSet::Pod(1)
                          : view.name == "sentinels" ? RedisSentinels::Pod(0)
                                                     : "sessions-shard-0-1";
  view.name += "/pod=" + pod;
  view.vars["pod"] = pod;
  return view;
}

/// The view a panel is read in: the Redis dashboard's replication row shows
/// the replication set, its Sentinel row the set's sentinels, its other rows
/// the Redis Cluster; the overview and MySQL dashboards the MariaDB cluster.
View ViewFor(const DashTarget& t) {
  if (t.file == "dbtopo-redis.json") {
    if (t.row == "Redis replication") return CacheView();
    return t.row == "Redis Sentinel" ? SentinelsView() : SessionsView();
  }
  return OrdersView();
}

/// Substitutes $var, ${var}, ${var:fmt}, [[var]] and the built-ins. Unknown
/// names are appended to `unknown`.
std::string Substitute(const std::string& expr, const std::map<std::string, std::string>& vars,
                       std::set<std::string>* unknown = nullptr) {
  static const std::regex var(R"(\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+))");
  std::string out;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), var); it != std::sregex_iterator();
       ++it) {
    const std::smatch& m = *it;
    const std::string name = m[1].matched ? m[1].str() : m[2].matched ? m[2].str() : m[3].str();
    out += expr.substr(last, m.position() - last);
    last = m.position() + m.length();
    if (auto v = vars.find(name); v != vars.end()) {
      out += v->second;
    } else if (auto b = kBuiltins.find(name); b != kBuiltins.end()) {
      out += b->second;
    } else {
      if (unknown != nullptr) unknown->insert(name);
      out += m.str();
    }
  }
  return out + expr.substr(last);
}

// ---- which panels need which state ----

enum class Phase { kHealthy, kDualPrimary, kBrokenReplica, kRedisNodeFailure };

const char* PhaseName(Phase p) {
  switch (p) {
    case Phase::kHealthy:
      return "healthy";
    case Phase::kDualPrimary:
      return "dual primary";
    case Phase::kBrokenReplica:
      return "broken replica";
    case Phase::kRedisNodeFailure:
      return "redis cluster node failure";
  }
  return "?";
}

/// Panels that return nothing on a healthy topology, by design, and the fault
/// under which the test requires them to return data. Every other panel must
/// return data on the healthy demo topology. The healthy check also asserts
/// that these return nothing then, so this list cannot go stale silently.
struct FaultOnlyPanel {
  const char* file;
  const char* panel;
  Phase phase;
  const char* why;
};
const FaultOnlyPanel kFaultOnlyPanels[] = {
    {"dbtopo-overview.json", "Active findings by kind", Phase::kDualPrimary,
     "dbtopo_finding has a series per active finding only; a healthy topology has none"},
    {"dbtopo-overview.json", "Findings by kind over time", Phase::kDualPrimary,
     "dbtopo_finding has a series per active finding only"},
    {"dbtopo-overview.json", "Active findings", Phase::kDualPrimary,
     "dbtopo_finding has a series per active finding only"},
    {"dbtopo-mysql.json", "Last replication errors", Phase::kBrokenReplica,
     "filters errno > 0; every Last_IO/SQL_Errno is 0 while replication is healthy"},
    {"dbtopo-redis.json", "Nodes by flag", Phase::kRedisNodeFailure,
     "filters counts > 0; a healthy cluster has no node flagged fail/pfail/handshake/noaddr "
     "and no disconnected link"},
};

/// Panels over a metric the exporter only exposes when a feature is on.
/// They must be accepted; data is required once the exporter exposes the
/// metric (it then is a bug for the panel to be empty).
struct OptionalPanel {
  const char* file;
  const char* panel;
  const char* metric;
  const char* why;
};
const OptionalPanel kOptionalPanels[] = {
    {"dbtopo-overview.json", "Remediation actions", "dbtopo_remediation_actions_total",
     "counter of the remediation hook; not exposed by an exporter without remediation"},
};

const FaultOnlyPanel* FaultOnly(const DashTarget& t) {
  for (const auto& f : kFaultOnlyPanels) {
    if (t.file == f.file && t.panel == f.panel) return &f;
  }
  return nullptr;
}
const OptionalPanel* Optional(const DashTarget& t) {
  for (const auto& f : kOptionalPanels) {
    if (t.file == f.file && t.panel == f.panel) return &f;
  }
  return nullptr;
}

// ---- values of query results ----

std::vector<double> Values(const json& result) {
  std::vector<double> out;
  for (const json& s : result) {
    if (s.contains("value")) out.push_back(std::stod(s["value"][1].get<std::string>()));
  }
  return out;
}
std::optional<double> MaxValue(const json& result) {
  auto v = Values(result);
  if (v.empty()) return std::nullopt;
  return *std::max_element(v.begin(), v.end());
}
bool HasSeries(const json& result, const std::map<std::string, std::string>& labels,
               std::optional<double> value = std::nullopt) {
  for (const json& s : result) {
    bool match = true;
    for (const auto& [k, v] : labels) match = match && s["metric"].value(k, "") == v;
    if (match && value && std::stod(s["value"][1].get<std::string>()) != *value) match = false;
    if (match) return true;
  }
  return false;
}

/// Value checks on top of "returns data": what the panel must show in a phase.
struct ValueCheck {
  std::string file, panel, ref;
  Phase phase;
  std::string what;
  std::function<bool(const json&)> ok;
};

std::vector<ValueCheck> ValueChecks() {
  auto eq = [](double want) {
    return [want](const json& r) { return MaxValue(r) == want && Values(r).size() == 1; };
  };
  auto at_least = [](double want) {
    return [want](const json& r) { return MaxValue(r).value_or(-1) >= want; };
  };
  const std::string ov = "dbtopo-overview.json", my = "dbtopo-mysql.json", rd = "dbtopo-redis.json";
  return {
      {ov, "Pods watched", "A", Phase::kHealthy, "== 3 (orders)", eq(3)},
      {ov, "Targets down", "A", Phase::kHealthy, "== 0", eq(0)},
      {ov, "Units with a dual primary", "A", Phase::kHealthy, "== 0", eq(0)},
      {ov, "Primaries per unit (database)", "A", Phase::kHealthy, "== 1", eq(1)},
      {ov, "Seconds since last poll", "A", Phase::kHealthy, "< 10",
       [](const json& r) { return MaxValue(r).value_or(1e9) < 10; }},
      {my, "Broken replication threads", "A", Phase::kHealthy, "== 0", eq(0)},
      {my, "Max replication lag", "A", Phase::kHealthy, "in [0, 60)",
       [](const json& r) {
         auto v = MaxValue(r);
         return v && *v >= 0 && *v < 60;
       }},
      {rd, "Uncovered slots", "A", Phase::kHealthy, "== 0", eq(0)},
      {rd, "Views consistent", "A", Phase::kHealthy, "== 1", eq(1)},
      {rd, "Failed nodes", "A", Phase::kHealthy, "== 0", eq(0)},

      {ov, "Units with a dual primary", "A", Phase::kDualPrimary, "== 1", eq(1)},
      {my, "Units with a dual primary", "A", Phase::kDualPrimary, "== 1", eq(1)},
      {my, "Dual primary", "A", Phase::kDualPrimary, "== 1", eq(1)},
      {ov, "Primaries per unit (database)", "A", Phase::kDualPrimary, "== 2", eq(2)},
      {ov, "Active critical findings", "A", Phase::kDualPrimary, ">= 1", at_least(1)},
      {ov, "Active findings", "A", Phase::kDualPrimary, "has kind=dual_primary",
       [](const json& r) {
         return HasSeries(r, {{"kind", "dual_primary"}, {"severity", "critical"}});
       }},

      {my, "Broken replication threads", "A", Phase::kBrokenReplica, "== 1", eq(1)},
      {my, "Last replication errors", "A", Phase::kBrokenReplica,
       "has pod=mysql-2 thread=sql errno 1062",
       [](const json& r) {
         return HasSeries(r, {{"pod", "mysql-2"}, {"thread", "sql"}}, 1062);
       }},

      {rd, "Failed nodes", "A", Phase::kRedisNodeFailure, ">= 1", at_least(1)},
      {rd, "Nodes by flag", "A", Phase::kRedisNodeFailure, "has flag=fail",
       [](const json& r) {
         return HasSeries(r, {{"flag", "fail"}});
       }},
  };
}

// ---------------------------------------------------------------------------
// The world.

struct World {
  Clock::time_point started = Clock::now();
  MariadbTopology mysql;
  RedisReplicationSet redis;
  RedisSentinels sentinels{redis.exporter_password()};
  RedisClusterTopology redis_cluster;
  WebhookReceiver webhook;
  TempDir dir{"dbtopo-e2e"};
  ExporterProcess exporter{dir};
  Daemon alertmanager{"alertmanager", dir};
  Daemon prometheus{"prometheus", dir};
  std::vector<std::string> rule_files;
  std::vector<RuleSpec> rules;
  bool faults_injected = false;

  void Start() {
    auto t = Clock::now();
    auto lap = [&](const std::string& what) {
      Log(what + " " + Fixed(Since(t)) + " s");
      t = Clock::now();
    };
    rule_files = RuleFiles();
    if (rule_files.empty()) throw std::runtime_error("no alerts/*.rules.yml in " + SourceDir());
    rules = LoadRuleSpecs(rule_files);

    mysql.Start(2);
    lap("mariadb primary + 2 replicas up");
    redis.Start(1);
    lap("redis master + replica up");
    sentinels.Start(3, redis.server(0).port(), 1);
    lap("3 redis sentinels up");
    redis_cluster.Start();
    lap("redis cluster (3 masters, 3 replicas) up");

    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";  // the exporter rejects probe_timeout > poll_interval
    options.log_level = "info";
    ClusterSpec orders = mysql.ToClusterSpec(kMysqlCluster);
    orders.ns = kNamespace;
    options.clusters.push_back(orders);
    options.clusters.push_back(redis.ToClusterSpec(kRedisSet));
    options.clusters.push_back(sentinels.ToClusterSpec(kRedisSet));
    for (ClusterSpec& s : redis_cluster.ToClusterSpecs(kRedisCluster))
      options.clusters.push_back(s);
    exporter.Start(options);
    lap("exporter ready on " + exporter.address());

    webhook.Start();
    alertmanager.AllocatePort();
    WriteFile(dir.File("alertmanager.yml"), AlertmanagerConfig(webhook.url()));
    std::filesystem::create_directories(dir.File("alertmanager-data"));
    alertmanager.Start({DBTOPO_ALERTMANAGER_BIN, "--config.file=" + dir.File("alertmanager.yml"),
                        "--storage.path=" + dir.File("alertmanager-data"),
                        "--web.listen-address=" + alertmanager.address(),
                        "--cluster.listen-address=", "--log.level=debug"});
    lap("alertmanager ready on " + alertmanager.address());

    prometheus.AllocatePort();
    WriteFile(dir.File("prometheus.yml"),
              PrometheusConfig(rule_files, exporter.port(), alertmanager.port()));
    prometheus.Start({DBTOPO_PROMETHEUS_BIN, "--config.file=" + dir.File("prometheus.yml"),
                      "--storage.tsdb.path=" + dir.File("prometheus-data"),
                      "--web.listen-address=" + prometheus.address(), "--log.level=info"});
    lap("prometheus ready on " + prometheus.address());
  }

  // ---- Prometheus queries ----

  /// data.result of an instant query; std::nullopt (and `error`) when the
  /// query is rejected.
  std::optional<json> Query(const std::string& expr, std::string* error = nullptr) {
    Http r = HttpGet(prometheus.port(), "/api/v1/query", {{"query", expr}});
    json j = json::parse(r.body, nullptr, false);
    if (r.status == 200 && !j.is_discarded() && j.value("status", "") == "success") {
      return j["data"]["result"];
    }
    if (error != nullptr) {
      *error = "status " + std::to_string(r.status) + " " + r.error + " " +
               (j.is_discarded() ? r.body : j.value("errorType", "") + ": " + j.value("error", ""));
    }
    return std::nullopt;
  }
  /// The value of a one-series query, or std::nullopt.
  std::optional<double> Scalar(const std::string& expr) {
    auto r = Query(expr);
    if (!r || r->size() != 1) return std::nullopt;
    return MaxValue(*r);
  }

  /// Prometheus' active alerts (pending and firing).
  json Alerts() { return prometheus.Get("/api/v1/alerts")["data"]["alerts"]; }
  static std::string AlertsText(const json& alerts) {
    std::string out;
    for (const json& a : alerts) {
      out += "  " + a.value("state", "?") + " " + a["labels"].dump() +
             " value=" + a.value("value", "") + "\n";
    }
    return out.empty() ? "  (none)\n" : out;
  }
  std::set<std::string> AlertNames(const std::string& state) {
    std::set<std::string> out;
    for (const json& a : Alerts()) {
      if (a.value("state", "") == state) out.insert(a["labels"].value("alertname", ""));
    }
    return out;
  }

  const RuleSpec& Rule(const std::string& alert) const {
    for (const RuleSpec& r : rules) {
      if (r.alert == alert) return r;
    }
    throw std::runtime_error("no rule " + alert + " in alerts/*.rules.yml");
  }

  // ---- healthy baseline ----

  static bool HealthyMetrics(const Metrics& m) {
    if (m.Count("dbtopo_up") != static_cast<std::size_t>(kPods)) return false;
    for (const Sample& s : m.Find("dbtopo_up")) {
      if (s.value != 1) return false;
    }
    return m.Count("dbtopo_finding") == 0 &&
           m.Is("dbtopo_cluster_primaries",
                {{"namespace", kNamespace}, {"db_cluster", kMysqlCluster}, {"component", "mysql"}},
                1);
  }

  /// The exporter reports every pod up and no finding, and Prometheus has
  /// scraped that state.
  ::testing::AssertionResult WaitHealthy(std::chrono::seconds timeout = 60s) {
    auto r =
        exporter.WaitFor("healthy topology: every pod up, no finding", HealthyMetrics, timeout);
    if (!r) return r;
    std::string last;
    const bool ok = PollUntil(
        [&] {
          auto up = Scalar("count(dbtopo_up == 1)");
          auto findings = Query("dbtopo_finding");
          last = "count(dbtopo_up == 1) = " + (up ? Fixed(*up, 0) : "none") +
                 ", dbtopo_finding: " + (findings ? findings->dump() : "query failed");
          return up == kPods && findings && findings->empty();
        },
        30s, 250ms);
    if (!ok)
      return ::testing::AssertionFailure() << "Prometheus never saw the healthy state: " << last;
    return ::testing::AssertionSuccess();
  }

  // ---- diagnostics ----

  std::string Diagnostics() {
    std::ostringstream out;
    out << "===== webhook payloads =====\n" << webhook.Dump();
    try {
      out << "===== prometheus /api/v1/alerts =====\n" << AlertsText(Alerts());
    } catch (const std::exception& e) {
      out << "prometheus alerts failed: " << e.what() << "\n";
    }
    try {
      out << "===== alertmanager /api/v2/alerts =====\n"
          << alertmanager.Get("/api/v2/alerts").dump() << "\n";
    } catch (const std::exception& e) {
      out << "alertmanager alerts failed: " << e.what() << "\n";
    }
    out << "===== prometheus log =====\n" << prometheus.LogTail(8000);
    out << "===== alertmanager log =====\n" << alertmanager.LogTail(8000);
    try {
      out << "===== exporter /metrics (dbtopo_) =====\n" << exporter.Scrape().Dump();
    } catch (const std::exception& e) {
      out << "scrape failed: " << e.what() << "\n";
    }
    out << "===== exporter log =====\n" << exporter.LogTail(6000);
    try {
      out << "===== mariadb =====\n" << mysql.Describe();
    } catch (const std::exception& e) {
      out << "describe failed: " << e.what() << "\n";
    }
    return out.str();
  }
};

// ---------------------------------------------------------------------------
// Fixture

class AlertingE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto t = Clock::now();
    world_ = std::make_unique<World>();
    try {
      world_->Start();
      Log("world up in " + Fixed(Since(t)) + " s");
    } catch (const std::exception& e) {
      setup_error_ = e.what();
      setup_diagnostics_ = world_->Diagnostics();
      world_.reset();
    }
  }
  static void TearDownTestSuite() {
    if (world_) Log("suite done, " + Fixed(Since(world_->started)) + " s since start");
    world_.reset();
  }

  void SetUp() override {
    start_ = Clock::now();
    if (world_ == nullptr) {
      FAIL() << "setting up the e2e world failed: " << setup_error_ << "\n" << setup_diagnostics_;
    }
  }
  void TearDown() override {
    if (world_ != nullptr && HasFailure()) std::cout << world_->Diagnostics();
    Log(std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + " took " +
        Fixed(Since(start_)) + " s");
  }

  World& w() { return *world_; }

  /// Every target whose required phase is `phase` returns data in its view;
  /// value checks of `phase` hold. In the healthy phase also: every query is
  /// accepted in the all-values view and the fault-only panels are empty.
  void CheckPanels(Phase phase) {
    const std::vector<Dashboard> dashboards = LoadDashboards();
    const std::vector<DashTarget> targets = AllTargets(dashboards);
    ASSERT_FALSE(targets.empty());
    const std::string exporter_metrics = w().exporter.ScrapeText();
    int checked = 0, with_data = 0;
    for (const DashTarget& t : targets) {
      const FaultOnlyPanel* fault = FaultOnly(t);
      const OptionalPanel* optional = Optional(t);
      const Phase needs = fault ? fault->phase : Phase::kHealthy;
      const View view = ViewFor(t);
      const std::string expr = Substitute(t.expr, view.vars);
      std::string error;
      std::optional<json> result = w().Query(expr, &error);
      if (!result) {
        ADD_FAILURE() << t.Where() << " [" << view.name << "]: query rejected: " << error << "\n"
                      << expr;
        continue;
      }
      ++checked;
      if (!result->empty()) ++with_data;
      if (optional != nullptr) {
        const bool exposed =
            exporter_metrics.find(std::string("\n") + optional->metric) != std::string::npos;
        if (phase == Phase::kHealthy) {
          if (exposed) {
            EXPECT_FALSE(result->empty()) << t.Where() << ": the exporter exposes "
                                          << optional->metric << " but the panel is empty\n"
                                          << expr;
          } else {
            Log("not required to have data (" + std::string(optional->why) + "): " + t.Where());
          }
        }
        continue;
      }
      if (needs == phase) {
        EXPECT_FALSE(result->empty())
            << t.Where() << " [" << view.name << "] returns no data in phase '" << PhaseName(phase)
            << "'" << (fault ? std::string(" (fault-only: ") + fault->why + ")" : "") << "\n"
            << expr;
      } else if (phase == Phase::kHealthy && fault != nullptr) {
        EXPECT_TRUE(result->empty())
            << t.Where() << " is listed as fault-only (" << fault->why
            << ") but returns data on the healthy topology; update kFaultOnlyPanels\n"
            << result->dump();
      }
      if (phase == Phase::kHealthy) {
        // Grafana's default selection: "All" (.*) for every variable.
        std::string all_error;
        std::optional<json> all = w().Query(Substitute(t.expr, AllView().vars), &all_error);
        EXPECT_TRUE(all.has_value()) << t.Where() << " [all]: query rejected: " << all_error;
        if (all && !fault) {
          EXPECT_FALSE(all->empty()) << t.Where() << " [all]: no data";
        }
        // One pod selected.
        const View one = ReplicaPodView(view);
        std::string pod_error;
        std::optional<json> pod = w().Query(Substitute(t.expr, one.vars), &pod_error);
        EXPECT_TRUE(pod.has_value())
            << t.Where() << " [" << one.name << "]: query rejected: " << pod_error;
        if (pod && !fault) {
          EXPECT_FALSE(pod->empty()) << t.Where() << " [" << one.name << "]: no data";
        }
      }
    }
    int values = 0;
    for (const ValueCheck& c : ValueChecks()) {
      if (c.phase != phase) continue;
      auto it = std::find_if(targets.begin(), targets.end(), [&](const DashTarget& t) {
        return t.file == c.file && t.panel == c.panel && t.ref == c.ref;
      });
      if (it == targets.end()) {
        ADD_FAILURE() << "value check names a missing panel: " << c.file << " / " << c.panel;
        continue;
      }
      const std::string expr = Substitute(it->expr, ViewFor(*it).vars);
      std::optional<json> r = w().Query(expr);
      ++values;
      EXPECT_TRUE(r && c.ok(*r)) << it->Where() << " [" << ViewFor(*it).name << "] in phase '"
                                 << PhaseName(phase) << "' should be " << c.what << ", got "
                                 << (r ? r->dump() : "query error") << "\n"
                                 << expr;
    }
    Log(std::string("dashboards, phase '") + PhaseName(phase) + "': " + std::to_string(checked) +
        " queries accepted, " + std::to_string(with_data) + " with data, " +
        std::to_string(values) + " value checks");
  }

  static std::unique_ptr<World> world_;
  static std::string setup_error_;
  static std::string setup_diagnostics_;
  Clock::time_point start_;
};

std::unique_ptr<World> AlertingE2eTest::world_;
std::string AlertingE2eTest::setup_error_;
std::string AlertingE2eTest::setup_diagnostics_;

// ---------------------------------------------------------------------------
// Alerting

TEST_F(AlertingE2eTest, EveryRuleGroupLoadsAndEvaluatesOk) {
  std::set<std::string> expected_groups, expected_alerts;
  for (const RuleSpec& r : w().rules) {
    expected_groups.insert(r.group);
    expected_alerts.insert(r.alert);
  }
  ASSERT_FALSE(expected_alerts.empty());

  // Every rule has been evaluated at least once with the data present: an
  // evaluation before the first scrape sees no series and cannot fail.
  ASSERT_TRUE(PollUntil(
      [&] {
        return w().Scalar("up{job=\"" + std::string(kScrapeJob) + "\"}") == 1 &&
               w().Scalar("count(dbtopo_up)") == kPods;
      },
      30s, 250ms))
      << "Prometheus has not scraped every pod's series";
  auto last_evaluations = [&](const json& groups) {
    std::map<std::string, std::string> out;
    for (const json& g : groups) {
      for (const json& r : g["rules"]) {
        out[g.value("name", "") + "/" + r.value("name", "")] = r.value("lastEvaluation", "");
      }
    }
    return out;
  };
  json groups = w().prometheus.Get("/api/v1/rules")["data"]["groups"];
  const auto with_data = last_evaluations(groups);
  const bool evaluated = PollUntil(
      [&] {
        groups = w().prometheus.Get("/api/v1/rules")["data"]["groups"];
        for (const auto& [rule, at] : last_evaluations(groups)) {
          auto before = with_data.find(rule);
          if (before != with_data.end() && before->second == at) return false;
        }
        return true;
      },
      30s, 250ms);
  ASSERT_TRUE(evaluated) << "rules not all evaluated again:\n" << groups.dump(2);

  std::set<std::string> loaded_groups, loaded_alerts;
  int rules = 0;
  for (const json& g : groups) {
    const std::string group = g.value("name", "");
    loaded_groups.insert(group);
    EXPECT_THAT(w().rule_files, ::testing::Contains(g.value("file", ""))) << group;
    EXPECT_EQ(g.value("interval", 0.0), 1.0) << group << ": evaluation_interval not applied";
    for (const json& r : g["rules"]) {
      ++rules;
      const std::string name = r.value("name", "");
      if (r.value("type", "") == "alerting") loaded_alerts.insert(name);
      EXPECT_EQ(r.value("health", ""), "ok")
          << group << "/" << name << ": lastError " << r.value("lastError", "") << "\n"
          << r.value("query", "");
      EXPECT_EQ(r.value("lastError", ""), "") << group << "/" << name;
    }
  }
  EXPECT_EQ(loaded_groups, expected_groups);
  EXPECT_EQ(loaded_alerts, expected_alerts);
  Log(std::to_string(loaded_groups.size()) + " groups, " + std::to_string(rules) +
      " rules, all health ok");

  // Prometheus talks to our Alertmanager.
  json ams = w().prometheus.Get("/api/v1/alertmanagers")["data"]["activeAlertmanagers"];
  ASSERT_EQ(ams.size(), 1u) << ams.dump();
  EXPECT_THAT(ams[0].value("url", ""), ::testing::HasSubstr(w().alertmanager.address()));
}

TEST_F(AlertingE2eTest, HealthyTopologyFiresNoAlert) {
  ASSERT_TRUE(w().WaitHealthy());

  // The exporter-down rule can see the exporter's scrape target (it selects
  // on the job name): it is silent because the target is up, not because
  // the selector matches nothing.
  auto up = w().Query("up{job=~\".*dbtopo.*\"}");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->size(), 1u) << "DbtopoExporterDown's selector does not find the exporter: "
                            << up->dump();
  EXPECT_EQ(MaxValue(*up), 1);

  // At startup absent(dbtopo_exporter_build_info) may be briefly pending
  // (a rule evaluated before the first scrape); wait for that to clear, then
  // require silence for 5 consecutive evaluations.
  json alerts;
  const bool quiet = PollUntil([&] { return (alerts = w().Alerts()).empty(); }, 30s, 250ms);
  EXPECT_TRUE(quiet) << "alerts on the healthy topology:\n" << World::AlertsText(alerts);
  for (int i = 0; i < 5 && quiet; ++i) {
    SleepFor(1s);
    alerts = w().Alerts();
    EXPECT_TRUE(alerts.empty()) << "alerts on the healthy topology:\n" << World::AlertsText(alerts);
  }

  // Stronger than the alert state (which `for:` delays): no alerting
  // expression returns anything right now.
  json groups = w().prometheus.Get("/api/v1/rules")["data"]["groups"];
  int exprs = 0;
  for (const json& g : groups) {
    for (const json& r : g["rules"]) {
      if (r.value("type", "") != "alerting") continue;
      ++exprs;
      std::string error;
      auto result = w().Query(r.value("query", ""), &error);
      ASSERT_TRUE(result) << r.value("name", "") << ": " << error;
      EXPECT_TRUE(result->empty())
          << r.value("name", "") << " would fire on the healthy topology: " << result->dump()
          << "\n"
          << r.value("query", "");
    }
  }
  Log(std::to_string(exprs) + " alert expressions return nothing on the healthy topology");

  EXPECT_TRUE(w().alertmanager.Get("/api/v2/alerts").empty());
  if (!w().faults_injected) {
    EXPECT_EQ(w().webhook.Count(), 0u) << "notifications without a fault:\n" << w().webhook.Dump();
  }
}

TEST_F(AlertingE2eTest, DualPrimaryFiresReachesWebhookAndResolves) {
  World& W = w();
  const RuleSpec& rule = W.Rule("DbtopoDualPrimary");
  ASSERT_TRUE(W.WaitHealthy());
  const std::size_t before = W.webhook.Count();
  // The stopped link is a fact too, but pages only after its longer for:.
  const std::set<std::string> allowed_pending = {"DbtopoDualPrimary", "DbtopoRoleLabelMismatch",
                                                 "DbtopoReplicationBroken"};

  const auto t0 = Clock::now();
  W.faults_injected = true;
  // Replication stopped, not removed: it takes writes that reach nobody.
  W.mysql.StopAndMakeWritable(1);
  Log("injected dual primary: mysql-1 replication stopped and writable");
  ASSERT_TRUE(W.exporter.WaitFor("exporter: dual primary in orders", [](const Metrics& m) {
    return m.Is("dbtopo_cluster_dual_primary",
                {{"namespace", kNamespace}, {"db_cluster", kMysqlCluster}, {"component", "mysql"}},
                1);
  }));
  const bool pending = PollUntil(
      [&] {
        auto names = W.AlertNames("pending");
        return names.count("DbtopoDualPrimary") ||
               W.AlertNames("firing").count("DbtopoDualPrimary");
      },
      20s, 200ms);
  ASSERT_TRUE(pending) << "DbtopoDualPrimary never became pending:\n"
                       << World::AlertsText(W.Alerts());
  Log("DbtopoDualPrimary pending after " + Fixed(Since(t0)) +
      " s (for: " + std::to_string(rule.for_.count()) + "s)");

  // While the `for:` runs: the dashboards' dual-primary panels, and every
  // selector of every rule matching something (a typo in a metric or label
  // name would leave a rule silent forever). dbtopo_finding{kind=...} is
  // checked by name: most kinds need faults this test does not inject.
  CheckPanels(Phase::kDualPrimary);
  {
    static const std::regex selector(R"(\b(dbtopo_[a-z0-9_]+|up)\b(\{[^}]*\})?)");
    json groups = W.prometheus.Get("/api/v1/rules")["data"]["groups"];
    std::set<std::string> selectors;
    for (const json& g : groups) {
      for (const json& r : g["rules"]) {
        const std::string q = r.value("query", "");
        for (auto it = std::sregex_iterator(q.begin(), q.end(), selector);
             it != std::sregex_iterator(); ++it) {
          std::string s = (*it)[1].str() == "dbtopo_finding" ? "dbtopo_finding" : it->str();
          selectors.insert(s);
        }
      }
    }
    for (const std::string& s : selectors) {
      auto r = W.Query("count(last_over_time(" + s + "[10m]))");
      EXPECT_TRUE(r && !r->empty()) << "rule selector " << s << " has never matched a series";
    }
    Log(std::to_string(selectors.size()) + " rule selectors all match series");
  }

  // Firing, delivered through Alertmanager to the webhook.
  json hit;
  const bool fired = PollUntil(
      [&] {
        hit = W.webhook.Find("DbtopoDualPrimary", "firing", before);
        return !hit.is_null();
      },
      rule.for_ + 60s, 250ms);
  ASSERT_TRUE(fired) << "DbtopoDualPrimary did not reach the webhook within for + 60 s\n"
                     << World::AlertsText(W.Alerts());
  const double fire_s = Since(t0);
  Log("DbtopoDualPrimary firing at the webhook after " + Fixed(fire_s) + " s");
  EXPECT_GE(fire_s, static_cast<double>(rule.for_.count())) << "fired before its for: elapsed";

  const json& alert = hit["alert"];
  const std::map<std::string, std::string> want_labels = {{"alertname", "DbtopoDualPrimary"},
                                                          {"severity", "critical"},
                                                          {"namespace", kNamespace},
                                                          {"db_cluster", kMysqlCluster},
                                                          {"component", "mysql"}};
  using LabelMap = std::map<std::string, std::string>;
  EXPECT_EQ(alert["labels"].get<LabelMap>(), want_labels)
      << "unit alerts aggregate by (namespace, db_cluster, component): " << alert.dump(2);
  const json& ann = alert["annotations"];
  EXPECT_EQ(ann.value("summary", ""), std::string("Split brain: more than one primary in ") +
                                          kNamespace + "/" + kMysqlCluster + "/mysql");
  EXPECT_THAT(ann.value("description", ""),
              ::testing::HasSubstr(std::string(kNamespace) + "/" + kMysqlCluster + "/mysql"));
  EXPECT_THAT(ann.value("runbook_url", ""), ::testing::EndsWith("runbook.md#dbtopodualprimary"));
  EXPECT_EQ(hit["payload"].value("status", ""), "firing");
  EXPECT_EQ(hit["payload"].value("receiver", ""), "e2e-webhook");

  // Nothing else was notified, nothing else fired; pending only the known.
  for (const json& p : W.webhook.Since(before)) {
    for (const json& a : p["alerts"]) {
      EXPECT_EQ(a["labels"].value("alertname", ""), "DbtopoDualPrimary")
          << "unexpected notification: " << a.dump();
    }
  }
  EXPECT_EQ(W.AlertNames("firing"), std::set<std::string>{"DbtopoDualPrimary"});
  for (const std::string& name : W.AlertNames("pending")) {
    EXPECT_TRUE(allowed_pending.count(name)) << "unexpected pending alert " << name;
  }

  // Fix: read-only again, replicating from the primary.
  const std::size_t before_fix = W.webhook.Count();
  const auto t1 = Clock::now();
  W.mysql.server(1).Execute("SET GLOBAL read_only=1; START SLAVE");
  W.mysql.WaitInSync({1});
  Log("fixed: mysql-1 read-only and replicating from mysql-0");
  json resolved;
  const bool got_resolved = PollUntil(
      [&] {
        resolved = W.webhook.Find("DbtopoDualPrimary", "resolved", before_fix);
        return !resolved.is_null();
      },
      60s, 250ms);
  ASSERT_TRUE(got_resolved) << "no resolved notification within 60 s of the fix";
  Log("DbtopoDualPrimary resolved at the webhook " + Fixed(Since(t1)) + " s after the fix");
  EXPECT_EQ(resolved["payload"].value("status", ""), "resolved");
  EXPECT_EQ(resolved["alert"]["labels"].get<LabelMap>(), want_labels);
  EXPECT_EQ(resolved["alert"].value("startsAt", ""), alert.value("startsAt", ""));
  EXPECT_GT(resolved["alert"].value("endsAt", ""), resolved["alert"].value("startsAt", ""));

  json alerts;
  EXPECT_TRUE(PollUntil([&] { return (alerts = W.Alerts()).empty(); }, 20s, 250ms))
      << "alerts left after the fix:\n"
      << World::AlertsText(alerts);
  EXPECT_TRUE(W.WaitHealthy());
}

// ---------------------------------------------------------------------------
// Dashboards

TEST_F(AlertingE2eTest, DashboardsAreWellFormed) {
  const std::vector<Dashboard> dashboards = LoadDashboards();
  ASSERT_FALSE(dashboards.empty());
  std::set<std::string> uids;
  for (const Dashboard& d : dashboards) {
    SCOPED_TRACE(d.file);
    ASSERT_FALSE(d.doc.is_discarded()) << "does not parse";
    ASSERT_TRUE(d.doc.is_object());
    EXPECT_TRUE(d.doc.contains("uid") && d.doc["uid"].is_string() && !d.doc["uid"].empty());
    EXPECT_TRUE(uids.insert(d.doc.value("uid", "")).second) << "duplicate uid";
    EXPECT_TRUE(d.doc.contains("title") && d.doc["title"].is_string() && !d.doc["title"].empty());
    EXPECT_TRUE(d.doc.contains("schemaVersion") && d.doc["schemaVersion"].is_number_integer());
    std::vector<std::string> names;
    for (const json& v : d.doc["templating"]["list"]) names.push_back(v.value("name", ""));
    EXPECT_EQ(names, kVariables);
  }
  std::map<std::string, std::string> vars;
  for (const std::string& v : kVariables) vars[v] = "x";
  for (const DashTarget& t : AllTargets(dashboards)) {
    EXPECT_FALSE(t.expr.empty()) << t.Where();
    std::set<std::string> unknown;
    Substitute(t.expr, vars, &unknown);
    EXPECT_TRUE(unknown.empty()) << t.Where() << " uses unknown variables "
                                 << ::testing::PrintToString(unknown);
  }
  // Every fault-only / optional / value-check entry names a real panel.
  const std::vector<DashTarget> targets = AllTargets(dashboards);
  auto exists = [&](const std::string& file, const std::string& panel) {
    return std::any_of(targets.begin(), targets.end(),
                       [&](const DashTarget& t) { return t.file == file && t.panel == panel; });
  };
  for (const auto& f : kFaultOnlyPanels) EXPECT_TRUE(exists(f.file, f.panel)) << f.panel;
  for (const auto& f : kOptionalPanels) EXPECT_TRUE(exists(f.file, f.panel)) << f.panel;
  for (const auto& c : ValueChecks()) EXPECT_TRUE(exists(c.file, c.panel)) << c.panel;
}

TEST_F(AlertingE2eTest, DashboardQueriesReturnDataOnHealthyTopology) {
  ASSERT_TRUE(w().WaitHealthy());
  // rate() over $__rate_interval needs two samples of the counters.
  ASSERT_TRUE(PollUntil(
      [&] {
        return w().Scalar("count_over_time(dbtopo_probe_failures_total[1m])").value_or(0) >= 3;
      },
      30s, 250ms));
  CheckPanels(Phase::kHealthy);

  // The variable queries (label_values(dbtopo_up{...}, label)) list the
  // demo topology's values.
  static const std::regex label_values(R"(^label_values\((.*),\s*(\w+)\)$)");
  for (const Dashboard& d : LoadDashboards()) {
    for (const json& v : d.doc["templating"]["list"]) {
      if (v.value("type", "") != "query") continue;
      const std::string q =
          v["query"].is_object() ? v["query"].value("query", "") : v.value("query", "");
      std::smatch m;
      ASSERT_TRUE(std::regex_match(q, m, label_values)) << d.file << ": " << q;
      for (const View& view : {OrdersView(), CacheView(), SessionsView()}) {
        const std::string selector = Substitute(m[1].str(), view.vars);
        const std::string label = m[2].str();
        json values = w().prometheus.Get("/api/v1/label/" + label + "/values",
                                         {{"match[]", selector}})["data"];
        std::string want = view.vars.at(label);
        if (label == "pod")
          want = view.name == "orders" ? "mysql-0" : view.name == "cache" ? "redis-0" : "";
        if (want.empty() || want == ".*") continue;  // "" (no namespace) is never a label value
        EXPECT_THAT(values.get<std::vector<std::string>>(), ::testing::Contains(want))
            << d.file << " variable " << label << " [" << view.name << "]: " << selector;
      }
    }
  }
}

TEST_F(AlertingE2eTest, BrokenReplicaShowsOnDashboards) {
  World& W = w();
  ASSERT_TRUE(W.WaitHealthy());
  W.faults_injected = true;
  W.mysql.InduceDuplicateKeyError(2);
  Log("injected: mysql-2 SQL thread stopped on a duplicate key (1062)");
  ASSERT_TRUE(PollUntil(
      [&] {
        return W.Scalar(
                   "max(dbtopo_replication_last_error_number{pod=\"mysql-2\",thread=\"sql\"})") ==
               1062;
      },
      30s, 250ms));
  CheckPanels(Phase::kBrokenReplica);

  // Repair: skip the conflicting transaction.
  W.mysql.server(2).Execute("STOP SLAVE; SET GLOBAL sql_slave_skip_counter=1; START SLAVE;");
  W.mysql.WaitInSync({2});
  EXPECT_TRUE(W.WaitHealthy());
}

TEST_F(AlertingE2eTest, RedisClusterNodeFailureShowsOnDashboards) {
  World& W = w();
  ASSERT_TRUE(W.WaitHealthy());
  W.faults_injected = true;
  RedisServer& replica = W.redis_cluster.node(W.redis_cluster.Shard(2)[1]);
  replica.Kill();
  Log("injected: killed redis cluster replica " + W.redis_cluster.Pod(W.redis_cluster.Shard(2)[1]));
  ASSERT_TRUE(PollUntil(
      [&] {
        return W.Scalar("max(dbtopo_redis_cluster_nodes{db_cluster=\"sessions\",flag=\"fail\"})")
                   .value_or(0) >= 1;
      },
      30s, 250ms))
      << W.redis_cluster.Describe();
  CheckPanels(Phase::kRedisNodeFailure);

  replica.Start();
  W.redis_cluster.WaitHealthy(6);
  EXPECT_TRUE(W.WaitHealthy());
}

}  // namespace
}  // namespace dbtopo::testing
