#pragma once

// Runs the real dbtopo_exporter binary against test servers: writes its YAML
// config and password files into a temp dir, starts it on a free port, waits
// for /-/ready, and scrapes /metrics and /api/v1/topology.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/prom_text.h"

namespace httplib {
class Client;
}

namespace dbtopo::testing {

/// One `clusters[].members[]` entry of the config.
struct MemberSpec {
  std::string pod;
  std::string address;  ///< "host:port".
  std::map<std::string, std::string> labels;
};

/// One `clusters[]` entry. The password is written to a 0600 file and the
/// config only names that file (`credentials.password_file`).
struct ClusterSpec {
  std::string name;
  std::string engine = "mysql";
  /// `namespace:` and `component:`; omitted from the config when empty (the
  /// exporter then uses namespace "" and component = engine name).
  std::string ns;
  std::string component;
  std::string username;
  std::string password;
  /// `replication_credentials:` (remediation re-points replicas with it);
  /// omitted when replication_username is empty. The password goes to a
  /// 0600 file like `password`.
  std::string replication_username;
  std::string replication_password;
  /// `tls:` keys and values (ca_file, server_name...); omitted when empty.
  std::map<std::string, std::string> tls;
  std::vector<MemberSpec> members;
};

/// What goes into the exporter's config and command line.
struct ExporterOptions {
  std::string poll_interval = "1s";
  std::string probe_timeout = "2s";
  std::vector<ClusterSpec> clusters;
  std::string log_level = "debug";
  /// Appended verbatim to the YAML config (top level keys).
  std::string extra_yaml;
  /// Appended to the command line.
  std::vector<std::string> extra_args;
  /// Added to the exporter's environment (e.g. POD_NAME, KUBECONFIG).
  std::map<std::string, std::string> env;
  /// When the exporter serves HTTPS (a web config with tls_server_config):
  /// the CA that signed its certificate. Get() then speaks TLS and verifies.
  std::string https_ca_file;
  /// How long Start() waits for /-/ready.
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(30);
};

/// Status and body of an HTTP request; status 0 when the request failed.
struct HttpResult {
  int status = 0;
  std::string body;
  std::string error;  ///< Transport error when status is 0.
};

/// Path of the exporter binary: $DBTOPO_EXPORTER_BIN if set, else the one the
/// build baked in.
std::string ExporterBinary();

/// The YAML config for `options`; password files are written into `dir`.
std::string WriteExporterConfig(const ExporterOptions& options, const std::string& dir);

/// A running dbtopo_exporter. Stopped (SIGTERM) on destruction.
class ExporterProcess {
 public:
  /// Config, password files and the log go into `dir`, which must outlive this.
  explicit ExporterProcess(const TempDir& dir) : dir_(dir) {}
  ~ExporterProcess();
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  /// Writes the config, starts the exporter on 127.0.0.1:<free port> and waits
  /// until /-/ready answers 200. Throws (with the log tail) on failure.
  void Start(const ExporterOptions& options);
  /// SIGTERM, then SIGKILL after a grace period. In a sanitized build, a
  /// sanitizer report in the log is a test failure (reported once).
  void Stop();
  bool IsRunning() { return process_ != nullptr && process_->IsRunning(); }
  /// SIGKILL now (a crash: no clean shutdown, nothing released).
  void Kill() {
    if (process_ != nullptr) process_->Kill();
  }

  /// GET on the exporter, e.g. Get("/-/ready").
  HttpResult Get(const std::string& path,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  /// POST of the JSON `body` on the exporter, with `Authorization: Bearer
  /// <token>` unless `token` is empty. The timeout is long by default: a
  /// switchover answers when it is done.
  HttpResult Post(const std::string& path, const std::string& body, const std::string& token,
                  std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;
  /// Body of /metrics; throws when the request fails or does not return 200.
  std::string ScrapeText() const;
  /// Parsed /metrics.
  Metrics Scrape() const;
  /// GET /api/v1/topology as JSON; throws on failure.
  nlohmann::json Topology() const;

  /// Scrapes every `interval` until `predicate(metrics)` is true. On timeout
  /// the failure message names `what` and carries the last scrape's dbtopo_
  /// samples and the exporter log tail. `last`, when given, receives the last
  /// scrape (also on success).
  ::testing::AssertionResult WaitFor(
      const std::string& what, const std::function<bool(const Metrics&)>& predicate,
      std::chrono::milliseconds timeout = std::chrono::seconds(30), Metrics* last = nullptr,
      std::chrono::milliseconds interval = std::chrono::milliseconds(200)) const;

  /// WaitFor() until the active findings (Metrics::FindingKeys: "kind@pod",
  /// or "kind" for a unit finding) are exactly `expected`.
  ::testing::AssertionResult WaitForFindings(
      const std::set<std::string>& expected,
      std::chrono::milliseconds timeout = std::chrono::seconds(30), Metrics* last = nullptr) const;

  /// Runs `restart` right after a poll round completes, so that it falls
  /// between two rounds, then waits for the round after it and stores that
  /// scrape in `next`. Fails when `restart` takes longer than `max_restart`
  /// (it would then overlap a round and show nothing) or no round follows.
  ::testing::AssertionResult RestartBetweenRounds(const std::function<void()>& restart,
                                                  std::chrono::milliseconds max_restart,
                                                  std::chrono::milliseconds timeout,
                                                  Metrics* next) const;

  /// Last bytes of the exporter's log (stdout + stderr).
  std::string LogTail(std::size_t max_bytes = 8192) const;
  /// Whole log.
  std::string Log() const;
  const std::string& log_path() const { return log_path_; }
  const std::string& config_path() const { return config_path_; }
  int port() const { return port_; }
  /// "127.0.0.1:<port>".
  std::string address() const;

 private:
  void CheckSanitizerReports();
  /// "http://host:port", or https when the exporter serves TLS.
  std::string BaseUrl() const;
  /// TLS verification against https_ca_file and every timeout.
  void Configure(httplib::Client& client, std::chrono::milliseconds timeout) const;

  const TempDir& dir_;
  std::unique_ptr<Process> process_;
  bool sanitizer_reported_ = false;
  std::string log_path_;
  std::string config_path_;
  int port_ = 0;
  std::string https_ca_file_;  // "" = plain HTTP
};

}  // namespace dbtopo::testing
