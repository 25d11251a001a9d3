#include "config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace dbtopo {
namespace {

ConfigError ExpectError(const std::string& yaml) {
  auto result = ParseConfig(yaml, "dbtopo.yml");
  EXPECT_TRUE(!result.ok()) << yaml;
  if (!result.ok()) return result.error();
  return {};
}

Config ExpectOk(const std::string& yaml) {
  auto result = ParseConfig(yaml, "dbtopo.yml");
  if (!result.ok()) ADD_FAILURE() << result.error().ToString();
  return result.ok() ? result.value() : Config{};
}

constexpr char kMinimal[] = R"(
poll_interval: 5s
probe_timeout: 2s
clusters:
  - name: orders
    engine: mysql
    credentials: {username: exporter, password_env: DBTOPO_TEST_PW}
    members:
      - {pod: orders-mysql-0, address: 10.0.0.5:3306, labels: {kubeblocks.io/role: primary}}
      - {pod: orders-mysql-1, address: "10.0.0.6", labels: {kubeblocks.io/role: Secondary}}
)";

TEST(ConfigTest, ParsesTheDesignExample) {
  setenv("DBTOPO_TEST_PW", "s3cret", 1);
  Config config = ExpectOk(kMinimal);
  EXPECT_EQ(config.poll_interval, std::chrono::seconds(5));
  EXPECT_EQ(config.probe_timeout, std::chrono::seconds(2));
  ASSERT_EQ(config.clusters.size(), 1u);
  const ClusterConfig& c = config.clusters[0];
  EXPECT_EQ(c.name, "orders");
  EXPECT_EQ(c.component, "mysql");  // defaults to the engine name
  EXPECT_EQ(c.credentials->username, "exporter");
  EXPECT_EQ(c.credentials->password.Reveal(), "s3cret");
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[1].host, "10.0.0.6");
  EXPECT_EQ(c.members[1].port, 3306);  // engine default

  auto targets = StaticTargets(config);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].target.labelled_role, Role::kPrimary);
  EXPECT_EQ(targets[1].target.labelled_role, Role::kReplica);  // case-insensitive
  EXPECT_EQ(targets[1].target.role_label_value, "Secondary");
  EXPECT_EQ(targets[0].target.unit, (UnitId{"", "orders", "mysql"}));
}

TEST(ConfigTest, ErrorsNameLineAndKey) {
  ConfigError e = ExpectError("clusters:\n  - name: a\n    engine: mysq\n    members: []\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.key, "clusters[0].engine");
  EXPECT_NE(e.message.find("mysq"), std::string::npos);
  EXPECT_EQ(e.ToString().rfind("dbtopo.yml:3: clusters[0].engine: ", 0), 0u) << e.ToString();
}

TEST(ConfigTest, RejectsUnknownKeysWithTheirPath) {
  ConfigError e = ExpectError(
      "clusters:\n  - name: a\n    engine: mysql\n    members:\n"
      "      - {pod: p, adress: 1.2.3.4}\n");
  EXPECT_EQ(e.key, "clusters[0].members[0].adress");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(ExpectError("pol_interval: 5s\n").key, "pol_interval");
}

TEST(ConfigTest, RejectsBadValues) {
  EXPECT_EQ(ExpectError("poll_interval: 5x\n").key, "poll_interval");
  EXPECT_EQ(ExpectError("poll_interval: 1s\nprobe_timeout: 2s\nclusters: []\n").key,
            "probe_timeout");
  EXPECT_EQ(ExpectError("clusters: []\n").key, "clusters");
  EXPECT_EQ(ExpectError("clusters:\n  - {name: a, engine: mysql, members: "
                        "[{pod: p, address: 'h:99999'}]}\n")
                .key,
            "clusters[0].members[0].address");
  EXPECT_EQ(ExpectError("clusters:\n  - {name: a, engine: mysql, members: "
                        "[{pod: p, address: h}, {pod: p, address: g}]}\n")
                .key,
            "clusters[0].members[1].pod");
  EXPECT_EQ(ExpectError("role_values: {leader: boss}\nclusters: []\n").key, "role_values.leader");
  EXPECT_EQ(ExpectError("clusters: [\n").line > 0, true);  // YAML syntax error keeps a line
}

TEST(ConfigTest, ValuesThatPassedAndThenMisbehavedAreErrors) {
  auto member = [](const std::string& address) {
    return "clusters:\n  - {name: a, engine: mysql, members: [{pod: p, address: '" + address +
           "'}]}\n";
  };
  ConfigError e = ExpectError(member("127.0.0.1:"));
  EXPECT_EQ(e.key, "clusters[0].members[0].address");
  EXPECT_NE(e.message.find("missing port"), std::string::npos) << e.message;
  e = ExpectError(member("::1"));
  EXPECT_NE(e.message.find("brackets"), std::string::npos) << e.message;
  EXPECT_EQ(ExpectOk(member("[::1]:3307")).clusters[0].members[0].port, 3307);

  e = ExpectError("poll_interval: 3000000h\nprobe_timeout: 1s\nclusters: []\n");
  EXPECT_EQ(e.key, "poll_interval");
  EXPECT_NE(e.message.find("24h"), std::string::npos);

  // The conflicting default is named as such, with a line.
  e = ExpectError("poll_interval: 1s\nclusters: []\n");
  EXPECT_EQ(e.key, "poll_interval");
  EXPECT_EQ(e.line, 1);
  EXPECT_NE(e.message.find("default probe_timeout (2s)"), std::string::npos) << e.message;

  e = ExpectError(
      "clusters:\n  - {name: a, engine: mysql, members: "
      "[{pod: p, address: 'h:3306'}, {pod: q, address: 'h'}]}\n");
  EXPECT_EQ(e.key, "clusters[0].members[1].address");
  EXPECT_NE(e.message.find("duplicate address h:3306"), std::string::npos);

  e = ExpectError(
      "clusters:\n  - name: a\n    engine: mysql\n"
      "    credentials: {username: u, password_file: /tmp}\n"
      "    members: [{pod: p, address: h}]\n");
  EXPECT_EQ(e.key, "clusters[0].credentials.password_file");
  EXPECT_NE(e.message.find("is a directory"), std::string::npos);
}

TEST(ConfigTest, DuplicateKeysAreErrorsWithTheSecondLine) {
  // yaml-cpp keeps both and a lookup returns the first: the reader's last
  // value would be silently ignored.
  ConfigError e = ExpectError("poll_interval: 5s\nprobe_timeout: 1s\npoll_interval: 10s\n");
  EXPECT_EQ(e.key, "poll_interval");
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("duplicate key"), std::string::npos) << e.message;
  e = ExpectError(
      "clusters:\n  - name: a\n    engine: mysql\n    members:\n"
      "      - pod: p\n        address: h\n        address: g\n");
  EXPECT_EQ(e.key, "clusters[0].members[0].address");
  EXPECT_EQ(e.line, 7);
}

TEST(ConfigTest, WrongShapesNameTheirKeyAndLine) {
  // Each of these was a bare yaml-cpp "bad conversion" or "invalid node".
  ConfigError e = ExpectError("poll_interval: [5s]\n");
  EXPECT_EQ(e.key, "poll_interval");
  EXPECT_EQ(e.line, 1);
  EXPECT_NE(e.message.find("must be a string"), std::string::npos) << e.message;
  e = ExpectError("? [a, b]\n: 1\n");
  EXPECT_EQ(e.line, 1);
  EXPECT_NE(e.message.find("key must be a plain string"), std::string::npos) << e.message;
  e = ExpectError(
      "clusters:\n  - name: a\n    engine: mysql\n"
      "    members: [{pod: p, address: h, labels: {{x: 1}: v}}]\n");
  EXPECT_EQ(e.key, "clusters[0].members[0].labels");
  EXPECT_EQ(e.line, 4);
  e = ExpectError("remediation:\n  alert_actions:\n    DbtopoNoPrimary: [fence]\n");
  EXPECT_EQ(e.key, "remediation.alert_actions.DbtopoNoPrimary");
  EXPECT_EQ(e.line, 3);
  for (const ConfigError& bad : {ExpectError("clusters: {a: 1}\n"), ExpectError("- 1\n- 2\n")}) {
    EXPECT_EQ(bad.message.find("conversion"), std::string::npos) << bad.ToString();
    EXPECT_EQ(bad.message.find("invalid node"), std::string::npos) << bad.ToString();
  }
}

TEST(ConfigTest, MissingPasswordSourcesAreClearErrors) {
  unsetenv("DBTOPO_TEST_NOPE");
  ConfigError e = ExpectError(
      "clusters:\n  - name: a\n    engine: mysql\n"
      "    credentials: {username: u, password_env: DBTOPO_TEST_NOPE}\n"
      "    members: [{pod: p, address: h}]\n");
  EXPECT_EQ(e.key, "clusters[0].credentials.password_env");
  EXPECT_NE(e.message.find("DBTOPO_TEST_NOPE"), std::string::npos);

  e = ExpectError(
      "clusters:\n  - name: a\n    engine: mysql\n"
      "    credentials: {username: u, password_file: /nonexistent/pw}\n"
      "    members: [{pod: p, address: h}]\n");
  EXPECT_EQ(e.key, "clusters[0].credentials.password_file");
  EXPECT_NE(e.message.find("/nonexistent/pw"), std::string::npos);
}

TEST(ConfigTest, PasswordFileIsRelativeToTheConfigAndTrimmed) {
  const auto dir = std::filesystem::temp_directory_path() / "dbtopo_config_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "pw") << "hunter2\n";
  std::ofstream(dir / "c.yml") << "clusters:\n  - name: a\n    engine: redis\n"
                                  "    credentials: {password_file: pw}\n"
                                  "    members: [{pod: p, address: 'h:7000'}]\n";
  auto result = LoadConfig((dir / "c.yml").string());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  const Config& config = result.value();
  EXPECT_EQ(config.clusters[0].credentials->password.Reveal(), "hunter2");
  EXPECT_EQ(config.clusters[0].members[0].port, 7000);
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, KubernetesSectionAllowsNoStaticClusters) {
  Config config = ExpectOk(R"(
kubernetes:
  namespaces: [default, prod]
  role_values: {Leader: primary, follower: replica}
  discover:
    - engine: mysql
      label_selector: app.kubernetes.io/managed-by=kubeblocks
      port_name: mysql
)");
  ASSERT_TRUE(config.kubernetes);
  EXPECT_EQ(config.kubernetes->namespaces.size(), 2u);
  EXPECT_EQ(config.kubernetes->role_label, "kubeblocks.io/role");
  EXPECT_EQ(config.kubernetes->role_values.at("leader"), Role::kPrimary);
  ASSERT_EQ(config.kubernetes->discover.size(), 1u);
  EXPECT_EQ(config.kubernetes->discover[0].port_name, "mysql");
  EXPECT_EQ(ExpectError("kubernetes: {discover: [{engine: pg, label_selector: a=b}]}\n").key,
            "kubernetes.discover[0].engine");
}

TEST(ConfigTest, Thresholds) {
  Config config = ExpectOk(
      "thresholds: {replication_lag: 1m30s, replication_lag_bytes: 1024}\n"
      "clusters: [{name: a, engine: mysql, members: [{pod: p, address: h}]}]\n");
  EXPECT_DOUBLE_EQ(config.analysis.max_replication_lag_seconds, 90);
  EXPECT_EQ(config.analysis.max_replication_lag_bytes, 1024);
}

}  // namespace
}  // namespace dbtopo

namespace dbtopo {
namespace {

TEST(ConfigTest, RemediationSection) {
  setenv("DBTOPO_TEST_PW", "x", 1);
  const auto dir = std::filesystem::temp_directory_path() / "dbtopo_config_remediation";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token") << "t0ken\n";
  std::ofstream(dir / "c.yml") << R"(
remediation:
  enabled: true
  token_file: token
  fence_stray_primaries: true
  cooldown: 1m
  switchover: {action: native, max_lag: 5s, timeout: 30s}
  alert_actions: {DbtopoDualPrimary: fence}
clusters:
  - name: a
    engine: mysql
    credentials: {username: u, password_env: DBTOPO_TEST_PW}
    replication_credentials: {username: repl, password_env: DBTOPO_TEST_PW}
    members: [{pod: p, address: h}]
)";
  auto result = LoadConfig((dir / "c.yml").string());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  const Config& c = result.value();
  EXPECT_TRUE(c.remediation.enabled);
  EXPECT_EQ(c.remediation.token.Reveal(), "t0ken");
  EXPECT_TRUE(c.remediation.fence_stray_primaries);
  EXPECT_EQ(c.remediation.cooldown, std::chrono::minutes(1));
  EXPECT_EQ(c.remediation.switchover.max_lag, std::chrono::seconds(5));
  EXPECT_EQ(c.remediation.alert_actions.at("DbtopoDualPrimary"), "fence");
  ASSERT_TRUE(c.clusters[0].replication_credentials);
  EXPECT_EQ(c.clusters[0].replication_credentials->username, "repl");
  std::filesystem::remove_all(dir);

  auto bad = ParseConfig("remediation: {enabled: true}\nclusters: []\n", "x.yml");
  ASSERT_TRUE(!bad.ok());
  EXPECT_EQ(bad.error().key, "remediation.token_file");
  bad = ParseConfig("remediation: {switchover: {action: magic}}\nclusters: []\n", "x.yml");
  ASSERT_TRUE(!bad.ok());
  EXPECT_EQ(bad.error().key, "remediation.switchover.action");
}

TEST(ConfigTest, LeaderElection) {
  setenv("DBTOPO_TEST_PW", "x", 1);
  const std::string head = std::string(kMinimal) + "remediation:\n  leader_election:\n";
  // The first line of the leader_election mapping.
  const int first_line = static_cast<int>(std::count(head.begin(), head.end(), '\n')) + 1;
  Config c = ExpectOk(head +
                      "    lease_name: shard-0\n    namespace: monitoring\n"
                      "    lease_duration: 20s\n    renew_deadline: 12s\n    retry_period: 3s\n");
  const LeaderElectionConfig& e = c.remediation.leader_election;
  EXPECT_FALSE(e.enabled.has_value());  // decided at start: remediation.enabled + kubernetes
  EXPECT_EQ(e.lease_name, "shard-0");
  EXPECT_EQ(e.ns, "monitoring");
  EXPECT_EQ(e.lease_duration, std::chrono::seconds(20));
  EXPECT_EQ(e.renew_deadline, std::chrono::seconds(12));
  EXPECT_EQ(e.retry_period, std::chrono::seconds(3));
  EXPECT_EQ(ExpectOk(kMinimal).remediation.leader_election.lease_duration,
            std::chrono::seconds(15));                                // client-go's defaults
  ConfigError bad = ExpectError(head + "    lease_duration: 10s\n");  // renew_deadline 10s
  EXPECT_EQ(bad.key, "remediation.leader_election.renew_deadline");
  EXPECT_EQ(bad.line, first_line);
  EXPECT_EQ(ExpectError(head + "    retry_period: 10s\n").key,
            "remediation.leader_election.retry_period");
  EXPECT_EQ(ExpectError(head + "    retry_period: 0s\n").key,
            "remediation.leader_election.retry_period");
  EXPECT_EQ(ExpectError(head + "    lease_nme: x\n").key, "remediation.leader_election.lease_nme");
  EXPECT_EQ(ExpectError(head + "    enabled: maybe\n").key, "remediation.leader_election.enabled");
}

// `tls:` of a cluster. The TLS material is tests/unit/testdata/kube/tls/.
std::string TlsCluster(const std::string& engine, const std::string& tls) {
  return "clusters:\n  - name: a\n    engine: " + engine + "\n    tls: " + tls +
         "\n    members: [{pod: p, address: 'h:7000'}]\n";
}

std::string TlsFile(const std::string& name) {
  return std::string(DBTOPO_TLS_TESTDATA) + "/" + name;
}

TEST(ConfigTest, TlsOfAClusterReachesItsCredentials) {
  const Config c = ExpectOk(TlsCluster(
      "redis", "{ca_file: " + TlsFile("ca.crt") + ", cert_file: " + TlsFile("client.crt") +
                   ", key_file: " + TlsFile("client.key") + ", server_name: db.example}"));
  ASSERT_EQ(c.clusters.size(), 1u);
  const auto& tls = c.clusters[0].credentials->tls;
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(tls->ca_file, TlsFile("ca.crt"));
  EXPECT_EQ(tls->server_name, "db.example");
  EXPECT_FALSE(tls->insecure_skip_verify);
  EXPECT_EQ(StaticTargets(c)[0].credentials->tls, tls);
  // No tls: plain TCP.
  const Config plain = ExpectOk(
      "clusters:\n  - name: a\n    engine: redis\n    members: [{pod: p, address: h}]\n");
  ASSERT_EQ(plain.clusters.size(), 1u);
  EXPECT_EQ(plain.clusters[0].credentials->tls, nullptr);
}

TEST(ConfigTest, BadTlsNamesItsKey) {
  EXPECT_EQ(ExpectError(TlsCluster("redis", "{ca_file: /nonexistent/ca.pem}")).key,
            "clusters[0].tls.ca_file");
  const ConfigError device = ExpectError(TlsCluster("redis", "{ca_file: /dev/zero}"));
  EXPECT_EQ(device.key, "clusters[0].tls.ca_file");
  EXPECT_NE(device.message.find("not a regular file"), std::string::npos) << device.message;
  EXPECT_EQ(ExpectError(TlsCluster("redis", "{cert_file: " + TlsFile("client.crt") + "}")).key,
            "clusters[0].tls");
  EXPECT_EQ(ExpectError(TlsCluster("redis", "{verify: false}")).key, "clusters[0].tls.verify");
  const ConfigError mismatch =
      ExpectError(TlsCluster("redis", "{cert_file: " + TlsFile("server.crt") +
                                          ", key_file: " + TlsFile("client.key") + "}"));
  EXPECT_EQ(mismatch.key, "clusters[0].tls");
  EXPECT_NE(mismatch.message.find("tls.key_file"), std::string::npos) << mismatch.message;
  EXPECT_NE(mismatch.message.find("mismatch"), std::string::npos) << mismatch.message;
  // MariaDB Connector/C checks the host it connects to.
  const ConfigError name = ExpectError(TlsCluster("mysql", "{server_name: db.example}"));
  EXPECT_EQ(name.key, "clusters[0].tls.server_name");
  EXPECT_NE(name.message.find("not supported for engine mysql"), std::string::npos);
  EXPECT_EQ(ExpectError(TlsCluster("redis", "{insecure_skip_verify: maybe}")).key,
            "clusters[0].tls.insecure_skip_verify");
}

TEST(ConfigTest, SentinelFor) {
  const Config c = ExpectOk(
      "clusters:\n  - name: s\n    engine: redis-sentinel\n    sentinel_for: cache\n"
      "    members: [{pod: sentinel-0, address: h}]\n");
  const std::vector<DiscoveredTarget> targets = StaticTargets(c);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].target.sentinel_for, "cache");
  EXPECT_EQ(targets[0].target.port, 26379);
  EXPECT_EQ(targets[0].target.unit.component, "redis-sentinel");
  const ConfigError e = ExpectError(
      "clusters:\n  - name: c\n    engine: redis\n    sentinel_for: cache\n"
      "    members: [{pod: p, address: h}]\n");
  EXPECT_EQ(e.key, "clusters[0].sentinel_for");
  EXPECT_EQ(e.line, 4);
}

}  // namespace
}  // namespace dbtopo
