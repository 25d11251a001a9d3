// dbtopo_exporter: discovery -> probes -> analysis -> snapshot -> HTTP.

#include <signal.h>

#include <array>
#include <iostream>
#include <thread>
#include <utility>

#include "config.h"
#include "dbtopo/collectors/kubernetes_discovery.h"
#include "flags.h"
#include "http_server.h"
#include "log.h"
#include "metrics_text.h"
#include "poller.h"
#include "web_config.h"

namespace dbtopo {
namespace {

// Kubernetes discovery logs through the exporter's logger. log::Write takes an
// initializer_list, so a run-time field list goes through a fixed-size
// writer per length (discovery lines carry at most 8 fields).
using DiscoveryFields = std::vector<std::pair<std::string, std::string>>;
using DiscoveryWriter = void (*)(log::Level, const std::string&, const DiscoveryFields&);

template <std::size_t... I>
void WriteDiscoveryFields(log::Level level, const std::string& msg, const DiscoveryFields& f,
                          std::index_sequence<I...>) {
  log::Write(level, msg, {log::Field{f[I].first, f[I].second}...});
}
template <std::size_t N>
void WriteDiscoveryLog(log::Level level, const std::string& msg, const DiscoveryFields& f) {
  WriteDiscoveryFields(level, msg, f, std::make_index_sequence<N>{});
}
template <std::size_t... N>
constexpr std::array<DiscoveryWriter, sizeof...(N)> DiscoveryWriters(std::index_sequence<N...>) {
  return {&WriteDiscoveryLog<N>...};
}

void LogDiscovery(DiscoveryLogLevel level, const std::string& msg, const DiscoveryFields& fields) {
  static constexpr auto kWriters = DiscoveryWriters(std::make_index_sequence<11>{});
  const log::Level to = level == DiscoveryLogLevel::kDebug  ? log::Level::kDebug
                        : level == DiscoveryLogLevel::kInfo ? log::Level::kInfo
                        : level == DiscoveryLogLevel::kWarn ? log::Level::kWarn
                                                            : log::Level::kError;
  kWriters[std::min(fields.size(), kWriters.size() - 1)](to, msg, fields);
}

int Run(const Flags& flags) {
  log::Level level;
  log::Format format;
  if (!log::ParseLevel(flags.log_level, &level)) {
    std::cerr << "invalid --log.level \"" << flags.log_level << "\" (debug, info, warn, error)\n";
    return 1;
  }
  if (!log::ParseFormat(flags.log_format, &format)) {
    std::cerr << "invalid --log.format \"" << flags.log_format << "\" (logfmt, json)\n";
    return 1;
  }
  log::Init(level, format);

  auto loaded = LoadConfig(flags.config_file);
  if (auto* error = std::get_if<ConfigError>(&loaded)) {
    if (flags.check_config) {
      std::cerr << "invalid config: " << error->ToString() << "\n";
    } else {
      log::Error("invalid config", {{"err", error->ToString()}});
    }
    return 1;
  }
  const Config config = std::get<Config>(std::move(loaded));
  WebConfig web_config;
  if (!flags.web_config_file.empty()) {
    auto web = LoadWebConfig(flags.web_config_file);
    if (auto* error = std::get_if<std::string>(&web)) {
      std::cerr << "invalid web config: " << *error << "\n";
      return 1;
    }
    web_config = std::get<WebConfig>(std::move(web));
  }
  std::size_t members = 0;
  for (const auto& cluster : config.clusters) members += cluster.members.size();
  if (config.kubernetes) {
    // Selectors and (unless it is the in-cluster default) the kubeconfig.
    if (std::string problem = CheckKubernetesConfig(*config.kubernetes); !problem.empty()) {
      if (flags.check_config) {
        std::cerr << "invalid config: " << flags.config_file << ": " << problem << "\n";
      } else {
        log::Error("invalid kubernetes config", {{"err", problem}});
      }
      return 1;
    }
  }
  if (flags.check_config) {
    std::cout << "config OK: " << flags.config_file << ": " << config.clusters.size()
              << " clusters, " << members << " static members";
    if (config.kubernetes) {
      std::cout << ", kubernetes discovery with " << config.kubernetes->discover.size()
                << " rules";
    }
    std::cout << "\n";
    return 0;
  }

  // Block the stop signals before any thread starts; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  SnapshotStore store;
  HttpServer http(&store, web_config);
  std::string error;
  if (!http.Bind(flags.listen_address, &error)) {
    log::Error("cannot start HTTP server", {{"err", error}});
    return 1;
  }
  log::Info("starting dbtopo_exporter",
            {{"version", kExporterVersion},
             {"config", flags.config_file},
             {"clusters", std::to_string(config.clusters.size())},
             {"members", std::to_string(members)},
             {"poll_interval", std::to_string(config.poll_interval.count()) + "ms"},
             {"probe_timeout", std::to_string(config.probe_timeout.count()) + "ms"},
             {"listen", flags.listen_address},
             {"port", std::to_string(http.port())},
             {"tls", web_config.tls() ? "true" : "false"}});

  std::vector<std::unique_ptr<Discovery>> discoveries;
  discoveries.push_back(std::make_unique<StaticDiscovery>(StaticTargets(config)));
  if (config.kubernetes) {
    KubernetesDiscoveryOptions options;
    options.log = LogDiscovery;
    std::string problem;
    auto kubernetes = MakeKubernetesDiscovery(*config.kubernetes, options, &problem);
    if (kubernetes == nullptr) {
      log::Error("cannot start kubernetes discovery", {{"err", problem}});
      return 1;
    }
    // Let the first round see the pods; a slow or failing API server only
    // delays it (discovery keeps retrying in the background).
    if (!kubernetes->WaitForSync(std::chrono::seconds(10))) {
      log::Warn("kubernetes discovery has not listed every namespace yet; polling what is known",
                {{"server", kubernetes->Describe()}});
    }
    discoveries.push_back(std::move(kubernetes));
  }
  CombinedDiscovery discovery(std::move(discoveries));
  Poller poller(PollerOptions{config.poll_interval, config.probe_timeout, config.max_concurrency,
                              config.analysis},
                &discovery, MakeProbe, &store);
  std::jthread poll_thread([&poller](std::stop_token stop) { poller.Run(stop); });
  std::thread signal_thread([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log::Info("stopping", {{"signal", std::to_string(signal_number)}});
    http.Stop();
  });
  http.Serve();
  poll_thread.request_stop();
  poll_thread.join();
  // Serve() can also return on its own (listen failure); wake the signal thread.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  log::Info("stopped");
  return 0;
}

}  // namespace
}  // namespace dbtopo

int main(int argc, char** argv) {
  auto parsed = dbtopo::ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::cerr << "dbtopo_exporter: " << *error << "\n";
    return 2;
  }
  const auto& flags = std::get<dbtopo::Flags>(parsed);
  if (flags.help) {
    std::cout << dbtopo::Usage();
    return 0;
  }
  if (flags.version) {
    std::cout << "dbtopo_exporter " << dbtopo::kExporterVersion << "\n";
    return 0;
  }
  return dbtopo::Run(flags);
}
