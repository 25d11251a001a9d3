// The topology page in headless Chromium (tests/browser/driver.js, over the
// DevTools protocol) against a real MariaDB primary with two replicas and a
// real Redis Cluster: the DOM shows roles, links, lag, slot ranges and
// findings; a broken link, a dual primary (both pods named) and a label that
// disagrees appear when the faults are injected and go when they clear, on
// the same page, without a reload; a Redis set's sentinels are listed beside
// it, marked while they name another server than the databases' primary.
// Screenshots of each stage are kept in
// $DBTOPO_ARTIFACTS_DIR (default: the build's test-artifacts/topology_page/).

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/exporter_process.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/redis_sentinels.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

std::string ArtifactsDir() {
  const char* dir = std::getenv("DBTOPO_ARTIFACTS_DIR");
  const std::string path = dir != nullptr && *dir != '\0' ? dir : DBTOPO_DEFAULT_ARTIFACTS_DIR;
  std::filesystem::create_directories(path);
  return path;
}

// Chromium with the page open, driven through driver.js's control server.
class Browser {
 public:
  Browser(const TempDir& dir, const std::string& url) : port_(FreePort()) {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"node", std::string(DBTOPO_BROWSER_DIR) + "/driver.js",
                                 "--chromium=chromium", "--url=" + url,
                                 "--port=" + std::to_string(port_),
                                 "--profile=" + dir.File("chromium-profile")},
        dir.File("browser.log"));
    process_->Start();
    const bool ready = PollUntil(
        [&] {
          return !process_->IsRunning() ||
                 process_->LogTail().find("driver ready") != std::string::npos;
        },
        seconds(60), std::chrono::milliseconds(100));
    if (!ready || !process_->IsRunning()) {
      throw std::runtime_error("the browser driver did not start (npm ci in tests/browser?):\n" +
                               process_->LogTail());
    }
  }

  /// The value of a JS expression in the page (JSON); throws on an error.
  json Eval(const std::string& expression) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(seconds(20));
    auto res = client.Post("/eval", expression, "text/plain");
    if (!res) throw std::runtime_error("browser driver unreachable");
    const json answer = json::parse(res->body);
    if (res->status != 200) throw std::runtime_error("eval failed: " + res->body);
    return answer.value("value", json());
  }

  /// Waits (up to `timeout`) until `expression` is true in the page. An
  /// expression that throws (what it looks into is not drawn yet: the first
  /// fetch of a slow exporter has not come back) counts as not yet.
  ::testing::AssertionResult WaitFor(const std::string& what, const std::string& expression,
                                     seconds timeout = seconds(30)) const {
    std::string last;
    const bool ok = PollUntil(
        [&] {
          try {
            const json value = Eval(expression);
            last = value.dump();
            return value == true;
          } catch (const std::runtime_error& e) {
            last = e.what();
            return false;
          }
        },
        timeout, std::chrono::milliseconds(250));
    if (ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "page never showed " << what << " (" << expression << " = " << last
           << ")\nstatus: " << Eval("document.getElementById('status').textContent").dump()
           << "\nfindings: " << Eval("document.getElementById('findings').textContent").dump();
  }

  void Screenshot(const std::string& name) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(seconds(30));
    const std::string path = ArtifactsDir() + "/" + name + ".png";
    auto res = client.Post("/screenshot", path, "text/plain");
    EXPECT_TRUE(res && res->status == 200) << "screenshot " << path;
    std::cout << "[ artifact ] " << path << "\n";
  }

 private:
  const int port_;
  std::unique_ptr<Process> process_;
};

// Prints what explains a failed test (the exporter's log, the servers) when
// the test ends with a failure; declared after what it reads.
class ExplainOnFailure {
 public:
  explicit ExplainOnFailure(std::function<std::string()> explain) : explain_(std::move(explain)) {}
  ~ExplainOnFailure() {
    if (::testing::Test::HasFailure()) std::cout << explain_() << std::endl;
  }
  ExplainOnFailure(const ExplainOnFailure&) = delete;
  ExplainOnFailure& operator=(const ExplainOnFailure&) = delete;

 private:
  std::function<std::string()> explain_;
};

// JS: the unit block of orders/mysql, and things inside it.
const std::string kUnit = "document.querySelector('details.unit[data-unit=\"/orders/mysql\"]')";
std::string Node(const std::string& pod) {
  return kUnit + ".querySelector('g.node[data-pod=\"" + pod + "\"]')";
}
std::string EdgeTo(const std::string& pod) {
  return kUnit + ".querySelector('g.edge[data-to=\"" + pod + "\"]')";
}
std::string FindingRow(const std::string& kind) {
  return "document.querySelector('tr.finding[data-kind=\"" + kind + "\"]')";
}

class TopologyPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mysql_.Start(2);
    redis_.Start();
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    options.clusters.push_back(mysql_.ToClusterSpec("orders"));
    for (const ClusterSpec& spec : redis_.ToClusterSpecs("sessions")) {
      options.clusters.push_back(spec);
    }
    exporter_.Start(options);
    browser_ = std::make_unique<Browser>(dir_, "http://" + exporter_.address() + "/");
  }

  void TearDown() override {
    if (!HasFailure()) return;
    if (browser_ != nullptr) browser_->Screenshot("failure");
    std::cout << "exporter log:\n" << exporter_.LogTail() << "\nMariaDB:\n" << mysql_.Describe();
  }

  TempDir dir_;
  MariadbTopology mysql_;
  RedisClusterTopology redis_;
  ExporterProcess exporter_{dir_};
  std::unique_ptr<Browser> browser_;
};

TEST_F(TopologyPageTest, ShowsTheTopologyAndFollowsFaultsWithoutAReload) {
  const Browser& page = *browser_;
  // Healthy: one primary above two replicas, links up with their lag.
  ASSERT_TRUE(page.WaitFor("the MySQL unit with its primary",
                           Node("mysql-0") + "?.classList.contains('role-primary') === true"));
  page.Eval("window.__same_page = 42");
  EXPECT_EQ(page.Eval(kUnit + ".querySelectorAll('g.node').length"), 3);
  EXPECT_EQ(page.Eval(Node("mysql-1") + ".dataset.role"), "replica");
  ASSERT_TRUE(
      page.WaitFor("both links up", EdgeTo("mysql-1") + ".classList.contains('link-up') && " +
                                        EdgeTo("mysql-2") + ".classList.contains('link-up')"));
  EXPECT_EQ(page.Eval(EdgeTo("mysql-1") + ".dataset.from"), "mysql-0");
  EXPECT_TRUE(page.Eval(EdgeTo("mysql-2") + ".querySelector('text.lag').textContent")
                  .get<std::string>()
                  .starts_with("lag "));
  // The Redis Cluster: three shards side by side with their slot ranges.
  ASSERT_TRUE(page.WaitFor(
      "three Redis Cluster shards with slots",
      "document.querySelectorAll('details.unit[data-unit=\"/sessions\"] .shard').length === 3 && "
      "[...document.querySelectorAll('details.unit[data-unit=\"/sessions\"] .slots')]"
      ".map(e => e.textContent).join(' ').includes('slots 0-5460')"));
  EXPECT_NE(page.Eval("document.getElementById('last-round').textContent")
                .get<std::string>()
                .find("round "),
            std::string::npos);
  page.Screenshot("1-healthy");

  // A stopped SQL thread: the link to mysql-2 is drawn broken.
  mysql_.StopSql(2);
  ASSERT_TRUE(page.WaitFor("mysql-2's link broken",
                           EdgeTo("mysql-2") + "?.classList.contains('link-broken') === true"));
  EXPECT_TRUE(page.Eval(FindingRow("replication_broken") + " !== null").get<bool>());
  page.Screenshot("2-broken-link");

  // A second writable server: a dual primary, both pods named; mysql-1's
  // label (secondary) now disagrees with what it is.
  mysql_.DetachAndMakeWritable(1);
  ASSERT_TRUE(page.WaitFor("a dual primary", FindingRow("dual_primary") + " !== null"));
  const std::string message =
      page.Eval(FindingRow("dual_primary") + ".textContent").get<std::string>();
  EXPECT_NE(message.find("mysql-0"), std::string::npos) << message;
  EXPECT_NE(message.find("mysql-1"), std::string::npos) << message;
  EXPECT_EQ(page.Eval(FindingRow("dual_primary") + ".dataset.severity"), "critical");
  ASSERT_TRUE(page.WaitFor("mysql-1 drawn as a primary with its label disagreeing",
                           Node("mysql-1") + "?.classList.contains('role-primary') && " +
                               Node("mysql-1") +
                               ".querySelector('.label-badge.mismatch') !== null"));
  EXPECT_EQ(page.Eval(kUnit + ".open"), true) << "a unit with a critical finding is open";
  EXPECT_EQ(page.Eval("document.querySelector('details.unit').dataset.unit"), "/orders/mysql")
      << "the unit with a critical finding comes first";
  page.Screenshot("3-dual-primary");

  // Cleared: mysql-1 back to a read-only replica, mysql-2 replicating again.
  mysql_.server(1).Execute("SET GLOBAL read_only=1");
  mysql_.PointAt(1, "127.0.0.1", mysql_.primary().port());
  mysql_.RestartReplication(2);
  ASSERT_TRUE(page.WaitFor("the faults cleared",
                           FindingRow("dual_primary") + " === null && " +
                               FindingRow("replication_broken") + " === null && " +
                               EdgeTo("mysql-2") + "?.classList.contains('link-up') === true && " +
                               Node("mysql-1") + "?.dataset.role === 'replica'",
                           seconds(45)));
  EXPECT_EQ(page.Eval("window.__same_page"), 42) << "the page was reloaded";
  page.Screenshot("4-cleared");
}

TEST_F(TopologyPageTest, FiltersAreKeptInTheUrlAndStaleDataIsSaidSo) {
  const Browser& page = *browser_;
  ASSERT_TRUE(page.WaitFor("the units", kUnit + " !== null"));
  page.Eval(
      "history.replaceState(null, '', '?db_cluster=sessions'); window.dispatchEvent(new "
      "Event('popstate'))");
  ASSERT_TRUE(page.WaitFor("only the Redis Cluster after the next refresh",
                           kUnit + " === null && document.querySelector("
                                   "'details.unit[data-unit=\"/sessions\"]') !== null"));
  EXPECT_EQ(page.Eval("document.getElementById('filter-db_cluster').value"), "sessions");
  // The exporter stops: the page says it is unreachable and keeps the data.
  exporter_.Stop();
  ASSERT_TRUE(page.WaitFor("the exporter unreachable",
                           "document.getElementById('unreachable') !== null", seconds(20)));
  EXPECT_EQ(page.Eval("document.querySelector('details.unit[data-unit=\"/sessions\"]') !== null"),
            true);
  page.Screenshot("5-unreachable");
}

// 100 healthy units (each a real Redis master and two replicas, listed again
// under another name):
// all collapsed to one line, and a filter in the URL finds one of them.
TEST(TopologyPageScaleTest, AHundredUnitsStayUsable) {
  TempDir dir;
  RedisReplicationSet redis;
  redis.Start(2);
  ExporterOptions options;
  options.poll_interval = "1s";
  options.probe_timeout = "1s";
  for (int i = 0; i < 100; ++i)
    options.clusters.push_back(redis.ToClusterSpec("db-" + std::to_string(i)));
  ExporterProcess exporter(dir);
  exporter.Start(options);
  ExplainOnFailure explain([&] { return "exporter log:\n" + exporter.LogTail(); });
  Browser page(dir, "http://" + exporter.address() + "/");
  ASSERT_TRUE(
      page.WaitFor("100 units", "document.querySelectorAll('details.unit').length === 100"));
  EXPECT_EQ(page.Eval("document.querySelectorAll('details.unit[open]').length"), 0)
      << "healthy units are collapsed";
  EXPECT_EQ(page.Eval("document.getElementById('findings').textContent"), "No findings.");
  std::cout << "[ info     ] one render of 100 units: "
            << page.Eval(
                       "(() => { const t = performance.now(); window.dbtopoRender(); "
                       "return performance.now() - t; })()")
                   .dump()
            << " ms\n";
  page.Eval("history.replaceState(null, '', '?q=db-9')");
  ASSERT_TRUE(page.WaitFor("db-9 and db-90..99",
                           "document.querySelectorAll('details.unit').length === 11"));
  EXPECT_EQ(page.Eval("document.getElementById('shown').textContent"), "11 of 100 units");
  page.Eval("history.replaceState(null, '', '?db_cluster=db-42')");
  ASSERT_TRUE(
      page.WaitFor("only db-42",
                   "document.querySelectorAll('details.unit').length === 1 && "
                   "document.querySelector('details.unit').dataset.unit === '/db-42/redis'"));
  page.Screenshot("6-hundred-units-filtered");
}

// A Redis master with two replicas under three real sentinels: the unit shows
// what each sentinel names; a replica promoted behind their back marks every
// row (the databases report two primaries, the sentinels name one), and the
// marks go when Sentinel has turned it back into a replica.
TEST(TopologyPageSentinelTest, SentinelsAreShownBesideTheirUnit) {
  TempDir dir;
  RedisReplicationSet redis;
  redis.Start(2);
  RedisSentinels sentinels(redis.exporter_password());
  sentinels.Start(3, redis.server(0).port(), 2);
  ExporterOptions options;
  options.poll_interval = "1s";
  options.probe_timeout = "1s";
  options.clusters = {redis.ToClusterSpec("cache"), sentinels.ToClusterSpec("cache")};
  for (MemberSpec& m : options.clusters[0].members) m.labels.clear();
  ExporterProcess exporter(dir);
  exporter.Start(options);
  ExplainOnFailure explain([&] {
    std::string text = "exporter log:\n" + exporter.LogTail() + "\nsentinels' views:\n";
    for (const auto& unit : exporter.Topology().value("clusters", nlohmann::json::array())) {
      if (unit.contains("sentinels")) text += unit["sentinels"].dump() + "\n";
    }
    for (int i = 0; i < sentinels.size(); ++i) text += sentinels.LogTail(i);
    return text;
  });
  Browser page(dir, "http://" + exporter.address() + "/");
  const std::string rows =
      "document.querySelectorAll('details.unit[data-unit=\"/cache/redis\"] tr.sentinel";
  ASSERT_TRUE(page.WaitFor("three sentinels naming redis-0",
                           rows + "[data-agrees=\"true\"]').length === 3"));
  EXPECT_NE(page.Eval(rows + "')[0].textContent").get<std::string>().find("(redis-0)"),
            std::string::npos);
  const std::string sentinel_nodes =
      "document.querySelectorAll('details.unit[data-unit=\"/cache/redis-sentinel\"] "
      "g.node.role-sentinel')";
  EXPECT_EQ(page.Eval(sentinel_nodes + ".length"), 3) << "sentinels drawn as sentinels";
  EXPECT_EQ(page.Eval(sentinel_nodes + "[0].querySelector('text.role').textContent"),
            "sentinel · 1 master");
  page.Screenshot("7-sentinels");
  redis.Promote(2);
  ASSERT_TRUE(
      page.WaitFor("every sentinel row marked", rows + ".mismatch').length === 3", seconds(20)));
  page.Screenshot("8-sentinels-mismatch");
  ASSERT_TRUE(page.WaitFor("Sentinel converted redis-2 back",
                           rows + "[data-agrees=\"true\"]').length === 3", seconds(60)));
}

}  // namespace
}  // namespace dbtopo::testing
