// dbtopo_exporter: discovery -> probes -> analysis -> snapshot -> HTTP.

#include <signal.h>

#include <iostream>
#include <thread>

#include "config.h"
#include "flags.h"
#include "http_server.h"
#include "log.h"
#include "metrics_text.h"
#include "poller.h"
#include "web_config.h"

namespace dbtopo {
namespace {

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
  if (flags.check_config) {
    std::cout << "config OK: " << flags.config_file << ": " << config.clusters.size()
              << " clusters, " << members << " static members\n";
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

  StaticDiscovery discovery(StaticTargets(config));
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
