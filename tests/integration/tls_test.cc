// TLS to the databases, against real servers that accept nothing else:
// redis-server with --port 0 and --tls-port (client certificates required,
// a replica replicating over TLS), and mariadbd with
// require_secure_transport=ON. Certificates are made here with the openssl
// command: a CA, a server certificate for 127.0.0.1 and "db.example", a
// client certificate, and a second CA that signed nothing of theirs.
//
// Checked: the probes work over TLS (roles, links); a wrong CA or a wrong
// server name is dbtopo_up 0 with a clear TLS error in the topology API and
// the log (no secret); a switchover works over TLS, and with a wrong CA is
// refused with the TLS error before anything changes. A server that stalls
// the handshake, or one that speaks no TLS at all, is down with its own error
// within the probe timeout, and the round goes on for the others.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/drip_server.h"
#include "support/exporter_process.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/prom_text.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "tls-remediation-token-7";
constexpr char kMysqlPassword[] = "tls-exporter-pw-31";

class Certificates {
 public:
  Certificates() {
    Make("ca", "", "/CN=dbtopo test CA");
    Make("other-ca", "", "/CN=some other CA");
    Make("server", "ca", "/CN=db.example", "subjectAltName=IP:127.0.0.1,DNS:db.example");
    Make("client", "ca", "/CN=dbtopo exporter", "");
  }
  std::string File(const std::string& name) const { return dir_.File(name); }

 private:
  // name.key and name.pem: self-signed when `ca` is "", else signed by ca.
  void Make(const std::string& name, const std::string& ca, const std::string& subject,
            const std::string& san = "") {
    Run({"openssl", "genrsa", "-out", File(name + ".key"), "2048"});
    if (ca.empty()) {
      Run({"openssl", "req", "-x509", "-new", "-key", File(name + ".key"), "-days", "2", "-subj",
           subject, "-out", File(name + ".pem")});
      return;
    }
    Run({"openssl", "req", "-new", "-key", File(name + ".key"), "-subj", subject, "-out",
         File(name + ".csr")});
    std::vector<std::string> sign = {"openssl",
                                     "x509",
                                     "-req",
                                     "-in",
                                     File(name + ".csr"),
                                     "-CA",
                                     File(ca + ".pem"),
                                     "-CAkey",
                                     File(ca + ".key"),
                                     "-CAcreateserial",
                                     "-days",
                                     "2",
                                     "-out",
                                     File(name + ".pem")};
    if (!san.empty()) {
      WriteFile(File(name + ".ext"), san + "\n");
      sign.insert(sign.end(), {"-extfile", File(name + ".ext")});
    }
    Run(sign);
  }
  void Run(const std::vector<std::string>& argv) {
    const std::string log = File("openssl.log");
    if (RunCommand(argv, log) != 0) throw std::runtime_error("openssl failed:\n" + TailFile(log));
  }

  TempDir dir_{"dbtopo-certs"};
};

// One redis-server reachable only over TLS, client certificates required.
class TlsRedis {
 public:
  TlsRedis(const Certificates& certs, const std::string& dir, const std::string& name)
      : certs_(certs), name_(name), dir_(dir + "/" + name), port_(FreePort()) {
    std::filesystem::create_directories(dir_);
  }
  void Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"redis-server",
                                     "--port",
                                     "0",
                                     "--tls-port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--dir",
                                     dir_,
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--tls-cert-file",
                                     certs_.File("server.pem"),
                                     "--tls-key-file",
                                     certs_.File("server.key"),
                                     "--tls-ca-cert-file",
                                     certs_.File("ca.pem"),
                                     "--tls-auth-clients",
                                     "yes",
                                     "--tls-replication",
                                     "yes"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(argv, dir_ + "/redis.log");
    process_->Start();
    if (!PollUntil([&] { return Cli({"PING"}) == "PONG"; }, std::chrono::seconds(20))) {
      throw std::runtime_error(name_ + " did not start:\n" + process_->LogTail());
    }
  }
  // redis-cli over TLS with the client certificate; its output, trimmed.
  std::string Cli(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"redis-cli", "--tls",
                                     "--cacert",  certs_.File("ca.pem"),
                                     "--cert",    certs_.File("client.pem"),
                                     "--key",     certs_.File("client.key"),
                                     "-p",        std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string out = dir_ + "/cli.out";
    std::filesystem::remove(out);  // The command's output is appended.
    RunCommand(argv, out, std::chrono::seconds(10));
    std::string text = TailFile(out);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  const Certificates& certs_;
  std::string name_, dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

// `tls:` with the CA `ca`, the client certificate when `client_cert`, and
// `name` as server_name unless "".
std::map<std::string, std::string> Tls(const Certificates& certs, const std::string& ca,
                                       const std::string& name, bool client_cert) {
  std::map<std::string, std::string> tls = {{"ca_file", certs.File(ca + ".pem")}};
  if (client_cert) {
    tls["cert_file"] = certs.File("client.pem");
    tls["key_file"] = certs.File("client.key");
  }
  if (!name.empty()) tls["server_name"] = name;
  return tls;
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs_ = new Certificates();
    servers_dir_ = new TempDir("dbtopo-tls-servers");
    redis0_ = new TlsRedis(*certs_, servers_dir_->path(), "redis-0");
    redis1_ = new TlsRedis(*certs_, servers_dir_->path(), "redis-1");
    redis0_->Start();
    redis1_->Start({"--replicaof", "127.0.0.1", std::to_string(redis0_->port())});
    mysql_ = new MariadbServer("mysql-0", servers_dir_->path(), 1);
    mysql_->AddArgs({"--ssl-ca=" + certs_->File("ca.pem"),
                     "--ssl-cert=" + certs_->File("server.pem"),
                     "--ssl-key=" + certs_->File("server.key")});
    mysql_->Start();
    mysql_->Execute(std::string("CREATE USER 'exporter'@'%' IDENTIFIED BY '") + kMysqlPassword +
                    "'; GRANT SLAVE MONITOR, BINLOG MONITOR, PROCESS, SELECT ON *.* TO "
                    "'exporter'@'%'; SET GLOBAL require_secure_transport = ON");
  }
  static void TearDownTestSuite() {
    delete mysql_;
    delete redis1_;
    delete redis0_;
    delete servers_dir_;
    delete certs_;
  }
  // A redis cluster `name` whose members are reached over TLS with a client
  // certificate, verified against `ca` and `server_name` ("" = the host).
  static ClusterSpec TlsRedisSpec(const std::string& name, const std::string& ca,
                                  const std::string& server_name, std::vector<MemberSpec> members) {
    ClusterSpec redis;
    redis.name = name;
    redis.engine = "redis";
    redis.tls = Tls(*certs_, ca, server_name, /*client_cert=*/true);
    redis.members = std::move(members);
    return redis;
  }
  void Run(const std::string& ca, const std::string& name) {
    const ClusterSpec redis =
        TlsRedisSpec("cache", ca, name,
                     {{"redis-0", redis0_->address(), {}}, {"redis-1", redis1_->address(), {}}});
    ClusterSpec mysql;
    mysql.name = "orders";
    mysql.engine = "mysql";
    mysql.username = "exporter";
    mysql.password = kMysqlPassword;
    mysql.tls = Tls(*certs_, ca, "", /*client_cert=*/false);
    mysql.members = {{"mysql-0", mysql_->address(), {}}};
    StartExporter({redis, mysql});
  }
  void StartExporter(std::vector<ClusterSpec> clusters) {
    WriteFile(dir_.File("token"), kToken, 0600);
    ExporterOptions options;
    options.poll_interval = "1s";
    options.probe_timeout = "1s";
    options.clusters = std::move(clusters);
    options.extra_yaml = "remediation:\n  enabled: true\n  token_file: \"" + dir_.File("token") +
                         "\"\n  switchover: {action: native, timeout: 20s}\n";
    exporter_.Start(options);
  }
  HttpResult Switchover(const std::string& candidate, const std::string& db_cluster = "cache") {
    return exporter_.Post(
        "/api/v1/switchover",
        R"({"db_cluster":")" + db_cluster + R"(","candidate":")" + candidate + "\"}", kToken);
  }
  void TearDown() override {
    EXPECT_THAT(exporter_.Log(), Not(HasSubstr(kMysqlPassword)));
    if (HasFailure()) std::cout << exporter_.LogTail();
  }

  static Certificates* certs_;
  static TempDir* servers_dir_;
  static TlsRedis *redis0_, *redis1_;
  static MariadbServer* mysql_;
  TempDir dir_{"dbtopo-tls-exporter"};
  ExporterProcess exporter_{dir_};
};
Certificates* TlsTest::certs_ = nullptr;
TempDir* TlsTest::servers_dir_ = nullptr;
TlsRedis* TlsTest::redis0_ = nullptr;
TlsRedis* TlsTest::redis1_ = nullptr;
MariadbServer* TlsTest::mysql_ = nullptr;

TEST_F(TlsTest, ProbesAndASwitchoverWorkOverTls) {
  ASSERT_NO_FATAL_FAILURE(Run("ca", "db.example"));
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "every target up over TLS, the Redis link up, no finding",
      [](const Metrics& m) {
        return m.Count("dbtopo_up") == 3 && m.Is("dbtopo_up", {{"pod", "redis-0"}}, 1) &&
               m.Is("dbtopo_up", {{"pod", "redis-1"}}, 1) &&
               m.Is("dbtopo_up", {{"pod", "mysql-0"}}, 1) &&
               m.Is("dbtopo_replication_link_up", {{"pod", "redis-1"}}, 1) &&
               m.Count("dbtopo_finding") == 0;
      },
      std::chrono::seconds(30), &m));
  EXPECT_TRUE(m.Is("dbtopo_role", {{"pod", "mysql-0"}, {"role", "primary"}}, 1)) << m.Dump();
  const HttpResult r = Switchover("redis-1");
  ASSERT_EQ(r.status, 200) << r.body << r.error;
  EXPECT_THAT(r.body, HasSubstr("\"result\":\"success\""));
  EXPECT_EQ(redis1_->Cli({"ROLE"}).substr(0, 6), "master");
  EXPECT_TRUE(exporter_.WaitFor("the switched set seen over TLS", [](const Metrics& m) {
    return m.Is("dbtopo_role", {{"pod", "redis-1"}, {"role", "primary"}}, 1) &&
           m.Is("dbtopo_replication_link_up", {{"pod", "redis-0"}}, 1);
  }));
  // Back as it was, for the other tests.
  ASSERT_EQ(Switchover("redis-0").status, 200);
}

// A MariaDB primary and replica that replicate over TLS (their `repl` and
// `exporter` users REQUIRE SSL): after a switchover through the API, the
// demoted primary replicates from the new one, over TLS. The demoted server
// had no MASTER_SSL of its own, so this holds only if the re-point asks for
// it.
TEST_F(TlsTest, MysqlSwitchoverKeepsReplicationOverTls) {
  MariadbTopology topo;
  topo.UseTls(certs_->File("ca.pem"), certs_->File("server.pem"), certs_->File("server.key"));
  topo.Start(1);
  for (int i = 0; i < topo.size(); ++i) {
    topo.server(i).Execute(
        "SET SESSION sql_log_bin=0; GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, RELOAD ON "
        "*.* TO 'exporter'@'%'");
  }
  ClusterSpec spec = topo.ToClusterSpec("shop");
  spec.tls = Tls(*certs_, "ca", "", /*client_cert=*/false);
  spec.replication_username = MariadbTopology::kReplUser;
  spec.replication_password = topo.repl_password();
  for (MemberSpec& m : spec.members) m.labels.clear();
  StartExporter({spec});
  ASSERT_TRUE(exporter_.WaitFor("mysql-1's link up over TLS", [](const Metrics& m) {
    return m.Is("dbtopo_replication_link_up", {{"pod", "mysql-1"}}, 1);
  }));
  const HttpResult r = Switchover("mysql-1", "shop");
  ASSERT_EQ(r.status, 200) << r.body << r.error << "\n" << topo.Describe();
  EXPECT_THAT(r.body, HasSubstr("MASTER_SSL=1"));
  EXPECT_TRUE(exporter_.WaitFor("mysql-0 replicating from mysql-1", [](const Metrics& m) {
    return m.Is("dbtopo_role", {{"pod", "mysql-1"}, {"role", "primary"}}, 1) &&
           m.Is("dbtopo_replication_link_up", {{"pod", "mysql-0"}}, 1);
  })) << topo.Describe();
  const Row status = topo.ReplicaStatus(0);
  EXPECT_EQ(status.at("Slave_IO_Running"), "Yes") << topo.Describe();
  EXPECT_EQ(status.at("Master_SSL_Allowed"), "Yes");
  EXPECT_EQ(status.at("Master_Port"), std::to_string(topo.server(1).port()));
}

TEST_F(TlsTest, WrongCaIsDownWithATlsErrorAndRefusesASwitchover) {
  ASSERT_NO_FATAL_FAILURE(Run("other-ca", ""));
  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "every target down",
      [](const Metrics& m) {
        return m.Count("dbtopo_up") == 3 && m.Is("dbtopo_up", {{"pod", "redis-0"}}, 0) &&
               m.Is("dbtopo_up", {{"pod", "redis-1"}}, 0) &&
               m.Is("dbtopo_up", {{"pod", "mysql-0"}}, 0);
      },
      std::chrono::seconds(30), &m));
  const std::string topology = exporter_.Topology().dump();
  // The servers' chain ends at a CA the other CA file does not hold.
  EXPECT_THAT(topology, HasSubstr("TLS handshake: certificate verify failed: self-signed "
                                  "certificate in certificate chain (server name 127.0.0.1)"));
  EXPECT_THAT(topology,
              HasSubstr("TLS/SSL error: self-signed certificate in certificate chain"));  // MySQL
  EXPECT_THAT(exporter_.Log(), HasSubstr("certificate verify failed"));
  const HttpResult r = Switchover("redis-1");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_THAT(r.body, HasSubstr("certificate verify failed"));
  EXPECT_EQ(redis0_->Cli({"ROLE"}).substr(0, 6), "master") << "nothing changed";
}

TEST_F(TlsTest, WrongServerNameIsDownWithATlsError) {
  ASSERT_NO_FATAL_FAILURE(Run("ca", "cache.other.example"));
  ASSERT_TRUE(exporter_.WaitFor("the Redis targets down", [](const Metrics& m) {
    return m.Is("dbtopo_up", {{"pod", "redis-0"}}, 0) && m.Is("dbtopo_up", {{"pod", "redis-1"}}, 0);
  }));
  EXPECT_THAT(exporter_.Topology().dump(),
              HasSubstr("certificate verify failed: hostname mismatch (server name "
                        "cache.other.example)"));
}

// One TLS record header promising 16 KiB of handshake, then bytes of it: a
// client waiting for the ServerHello never gets a whole record.
const std::string kStalledServerHello =
    std::string("\x16\x03\x03\x40\x00\x02", 6) + std::string(200, '\x01');

TEST_F(TlsTest, AStalledHandshakeOrAPlainServerIsDownWithinTheProbeTimeout) {
  DripServer stall(kStalledServerHello, std::chrono::milliseconds(100));
  RedisServer plain("plain-0", servers_dir_->path(), /*cluster=*/false, "plain-exporter-pw");
  plain.Start();
  StartExporter({TlsRedisSpec("cache", "ca", "", {{"redis-0", redis0_->address(), {}}}),
                 TlsRedisSpec("stalled", "ca", "",
                              {{"stall-0", "127.0.0.1:" + std::to_string(stall.port()), {}}}),
                 TlsRedisSpec("plaintext", "ca", "", {{"plain-0", plain.address(), {}}})});

  Metrics m;
  ASSERT_TRUE(exporter_.WaitFor(
      "the TLS server up, the staller and the plain server down",
      [](const Metrics& m) {
        return m.Is("dbtopo_up", {{"pod", "redis-0"}}, 1) &&
               m.Is("dbtopo_up", {{"pod", "stall-0"}}, 0) &&
               m.Is("dbtopo_up", {{"pod", "plain-0"}}, 0);
      },
      std::chrono::seconds(30), &m));
  // The deadline covers the handshake: probe_timeout is 1 s (loose bound for
  // scheduling; without a deadline the drip would last 20 s).
  const auto stall_probe = m.Value("dbtopo_probe_duration_seconds", {{"pod", "stall-0"}});
  ASSERT_TRUE(stall_probe.has_value()) << m.Dump();
  EXPECT_LT(*stall_probe, 1.5);
  EXPECT_LT(m.Value("dbtopo_poll_duration_seconds", {}).value_or(99), 1.5);
  std::map<std::string, std::string> errors;
  const nlohmann::json topology = exporter_.Topology();
  for (const auto& cluster : topology["clusters"]) {
    for (const auto& member : cluster["members"]) {
      errors[member["pod"].get<std::string>()] = member["error"].get<std::string>();
    }
  }
  std::cout << "[ tls      ] stalled: " << errors["stall-0"]
            << "\n[ tls      ] plain: " << errors["plain-0"] << "\n";
  // The staller sent bytes of a record; the plain server sent nothing.
  EXPECT_EQ(errors["stall-0"], "TLS handshake: timeout after 1000ms");
  EXPECT_EQ(errors["plain-0"],
            "TLS handshake: timeout after 1000ms with no answer to the ClientHello (does this "
            "port speak TLS?)");
  EXPECT_EQ(errors["redis-0"], "");
  EXPECT_GE(stall.connections(), 1);
}

}  // namespace
}  // namespace dbtopo::testing
