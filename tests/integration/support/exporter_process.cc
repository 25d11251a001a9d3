#include "support/exporter_process.h"

#include <httplib.h>

#include <cstdlib>
#include <iostream>
#include <regex>
#include <sstream>
#include <stdexcept>

#ifndef DBTOPO_EXPORTER_BIN
#define DBTOPO_EXPORTER_BIN "dbtopo_exporter"
#endif

namespace dbtopo::testing {
namespace {

/// A YAML double-quoted scalar.
std::string Quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string ExporterBinary() {
  const char* env = std::getenv("DBTOPO_EXPORTER_BIN");
  if (env != nullptr && *env != '\0') return env;
  return DBTOPO_EXPORTER_BIN;
}

std::string WriteExporterConfig(const ExporterOptions& options, const std::string& dir) {
  std::ostringstream yaml;
  yaml << "poll_interval: " << options.poll_interval << "\n"
       << "probe_timeout: " << options.probe_timeout << "\n"
       << "clusters:\n";
  for (const ClusterSpec& cluster : options.clusters) {
    const std::string password_file = dir + "/" + cluster.name + ".password";
    WriteFile(password_file, cluster.password, 0600);
    yaml << "  - name: " << Quote(cluster.name) << "\n"
         << "    engine: " << Quote(cluster.engine) << "\n";
    if (!cluster.ns.empty()) yaml << "    namespace: " << Quote(cluster.ns) << "\n";
    if (!cluster.component.empty()) yaml << "    component: " << Quote(cluster.component) << "\n";
    yaml << "    credentials:\n"
         << "      username: " << Quote(cluster.username) << "\n"
         << "      password_file: " << Quote(password_file) << "\n";
    if (!cluster.replication_username.empty()) {
      const std::string repl_file = dir + "/" + cluster.name + ".replication-password";
      WriteFile(repl_file, cluster.replication_password, 0600);
      yaml << "    replication_credentials:\n"
           << "      username: " << Quote(cluster.replication_username) << "\n"
           << "      password_file: " << Quote(repl_file) << "\n";
    }
    if (!cluster.tls.empty()) {
      yaml << "    tls:\n";
      for (const auto& [k, v] : cluster.tls) yaml << "      " << k << ": " << Quote(v) << "\n";
    }
    yaml << "    members:\n";
    for (const MemberSpec& member : cluster.members) {
      yaml << "      - pod: " << Quote(member.pod) << "\n"
           << "        address: " << Quote(member.address) << "\n";
      if (member.labels.empty()) {
        yaml << "        labels: {}\n";
      } else {
        yaml << "        labels:\n";
        for (const auto& [k, v] : member.labels) {
          yaml << "          " << Quote(k) << ": " << Quote(v) << "\n";
        }
      }
    }
  }
  yaml << options.extra_yaml;
  return yaml.str();
}

ExporterProcess::~ExporterProcess() { Stop(); }

void ExporterProcess::Start(const ExporterOptions& options) {
  if (IsRunning()) throw std::logic_error("ExporterProcess::Start: already running");
  config_path_ = dir_.File("exporter.yaml");
  log_path_ = dir_.File("exporter.log");
  WriteFile(config_path_, WriteExporterConfig(options, dir_.path()));
  port_ = FreePort();
  https_ca_file_ = options.https_ca_file;
  std::vector<std::string> argv = {ExporterBinary(), "--config.file=" + config_path_,
                                   "--web.listen-address=" + address(),
                                   "--log.level=" + options.log_level};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  process_ = std::make_unique<Process>(argv, log_path_, options.env);
  process_->Start();

  int last_status = 0;
  std::string last_error;
  bool ready = PollUntil(
      [&] {
        if (!process_->IsRunning()) return true;
        HttpResult r = Get("/-/ready", std::chrono::seconds(2));
        last_status = r.status;
        last_error = r.error;
        return r.status == 200;
      },
      options.ready_timeout, std::chrono::milliseconds(50));
  if (!process_->IsRunning()) {
    throw std::runtime_error("dbtopo_exporter exited during startup (status " +
                             std::to_string(process_->exit_status().value_or(-1)) +
                             "): " + process_->CommandLine() + "\n--- log ---\n" + LogTail() +
                             "\n--- config ---\n" + ReadFile(config_path_));
  }
  if (!ready) {
    throw std::runtime_error("dbtopo_exporter not ready after " +
                             std::to_string(options.ready_timeout.count()) +
                             " ms (last /-/ready status " + std::to_string(last_status) + " " +
                             last_error + ")\n--- log ---\n" + LogTail());
  }
}

void ExporterProcess::Stop() {
  if (process_ == nullptr) return;
  process_->Stop(std::chrono::seconds(5));
  CheckSanitizerReports();
}

void ExporterProcess::CheckSanitizerReports() {
  // In a sanitized build (scripts/sanitized.sh) the exporter writes its
  // reports to stderr, which is the log; the test would not see them.
  if (sanitizer_reported_) return;
  const std::string log = Log();
  static const std::regex kSummary(R"(SUMMARY: \w+Sanitizer[^\n]*)");
  std::smatch match;
  if (!std::regex_search(log, match, kSummary)) return;
  sanitizer_reported_ = true;
  const std::size_t at = log.find("==ERROR") != std::string::npos ? log.find("==ERROR")
                         : log.find("WARNING: ThreadSanitizer") != std::string::npos
                             ? log.find("WARNING: ThreadSanitizer")
                             : static_cast<std::size_t>(match.position(0));
  ADD_FAILURE() << "the exporter reported " << match.str(0) << "\n"
                << log.substr(at > 200 ? at - 200 : 0, 12000);
}

std::string ExporterProcess::address() const { return "127.0.0.1:" + std::to_string(port_); }

namespace {

/// Status and body of `response`, or its transport error.
HttpResult ResultOf(const httplib::Result& response) {
  HttpResult result;
  if (!response) {
    result.error = httplib::to_string(response.error());
    return result;
  }
  result.status = response->status;
  result.body = response->body;
  return result;
}

}  // namespace

void ExporterProcess::Configure(httplib::Client& client, std::chrono::milliseconds timeout) const {
  if (!https_ca_file_.empty()) {
    client.set_ca_cert_path(https_ca_file_.c_str());
    client.enable_server_certificate_verification(true);
  }
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
}

std::string ExporterProcess::BaseUrl() const {
  return (https_ca_file_.empty() ? "http://" : "https://") + address();
}

HttpResult ExporterProcess::Get(const std::string& path, std::chrono::milliseconds timeout) const {
  httplib::Client client(BaseUrl());
  Configure(client, timeout);
  return ResultOf(client.Get(path));
}

HttpResult ExporterProcess::Post(const std::string& path, const std::string& body,
                                 const std::string& token,
                                 std::chrono::milliseconds timeout) const {
  httplib::Client client(BaseUrl());
  Configure(client, timeout);
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  return ResultOf(client.Post(path, headers, body, "application/json"));
}

::testing::AssertionResult ExporterProcess::WaitForFindings(const std::set<std::string>& expected,
                                                            std::chrono::milliseconds timeout,
                                                            Metrics* last) const {
  std::string names;
  for (const std::string& x : expected) names += (names.empty() ? "" : ", ") + x;
  return WaitFor(
      "findings == {" + names + "}", [&](const Metrics& m) { return m.FindingKeys() == expected; },
      timeout, last);
}

std::string ExporterProcess::ScrapeText() const {
  HttpResult r = Get("/metrics");
  if (r.status != 200) {
    throw std::runtime_error("GET /metrics: status " + std::to_string(r.status) + " " + r.error +
                             "\n" + r.body + "\n--- exporter log ---\n" + LogTail());
  }
  return r.body;
}

Metrics ExporterProcess::Scrape() const { return Metrics::Parse(ScrapeText()); }

::testing::AssertionResult ExporterProcess::RestartBetweenRounds(
    const std::function<void()>& restart, std::chrono::milliseconds max_restart,
    std::chrono::milliseconds timeout, Metrics* next) const {
  auto rounds_of = [](const Metrics& m) {
    return m.Value("dbtopo_poll_rounds_total", {}).value_or(0);
  };
  const double rounds = rounds_of(Scrape());
  if (!PollUntil([&] { return rounds_of(Scrape()) > rounds; }, timeout,
                 std::chrono::milliseconds(20))) {
    return ::testing::AssertionFailure() << "no poll round within the timeout";
  }
  const auto start = std::chrono::steady_clock::now();
  restart();
  const auto took = std::chrono::steady_clock::now() - start;
  std::cout << "[ restart  ] took " << std::chrono::duration<double>(took).count() << " s\n";
  if (took > max_restart) {
    return ::testing::AssertionFailure()
           << "the restart outlasted the gap between rounds; nothing was shown";
  }
  return WaitFor(
      "the next round", [&](const Metrics& x) { return rounds_of(x) >= rounds + 2; }, timeout,
      next);
}

nlohmann::json ExporterProcess::Topology() const {
  HttpResult r = Get("/api/v1/topology");
  if (r.status != 200) {
    throw std::runtime_error("GET /api/v1/topology: status " + std::to_string(r.status) + " " +
                             r.error + "\n" + r.body);
  }
  return nlohmann::json::parse(r.body);
}

::testing::AssertionResult ExporterProcess::WaitFor(
    const std::string& what, const std::function<bool(const Metrics&)>& predicate,
    std::chrono::milliseconds timeout, Metrics* last, std::chrono::milliseconds interval) const {
  const auto start = std::chrono::steady_clock::now();
  Metrics metrics;
  std::string scrape_error;
  bool ok = PollUntil(
      [&] {
        HttpResult r = Get("/metrics");
        if (r.status != 200) {
          scrape_error = "GET /metrics: status " + std::to_string(r.status) + " " + r.error;
          return false;
        }
        scrape_error.clear();
        metrics = Metrics::Parse(r.body);
        return predicate(metrics);
      },
      timeout, interval);
  if (last != nullptr) *last = metrics;
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (ok) {
    return ::testing::AssertionSuccess() << what << " after " << waited << " s";
  }
  return ::testing::AssertionFailure()
         << "timed out after " << waited << " s waiting for: " << what << "\n"
         << (scrape_error.empty() ? "" : scrape_error + "\n")
         << "--- last scrape (dbtopo_ samples) ---\n"
         << metrics.Dump() << "--- exporter log tail ---\n"
         << LogTail(6000);
}

std::string ExporterProcess::LogTail(std::size_t max_bytes) const {
  return TailFile(log_path_, max_bytes);
}

std::string ExporterProcess::Log() const { return ReadFile(log_path_); }

}  // namespace dbtopo::testing
