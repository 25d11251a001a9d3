// dbtopo_exporter: discovery -> probes -> analysis -> snapshot -> HTTP.

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <thread>
#include <utility>

#include "config.h"
#include "dbtopo/base/log.h"
#include "dbtopo/collectors/kubernetes_discovery.h"
#include "dbtopo/remediation/leader_election.h"
#include "dbtopo/remediation/remediator.h"
#include "flags.h"
#include "http_server.h"
#include "metrics_text.h"
#include "poller.h"
#include "sharding.h"
#include "web_config.h"

namespace dbtopo {
namespace {

// The remediation hook: dry run unless remediation.enabled. Credentials stay
// in Discovery; replication users come from clusters[].replication_credentials.
// This replica's holderIdentity: the pod name (Downward API), else the hostname.
std::string ReplicaIdentity() {
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') return pod;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') return host;
  return "dbtopo-exporter-" + std::to_string(::getpid());
}

// remediation.leader_election: on by default when remediation acts and
// Kubernetes is configured. Returns false (logged) when it cannot be set up.
// A shard's remediator is elected on the shard's own Lease.
bool StartLeaderElection(const Config& config, std::optional<int> shard,
                         std::shared_ptr<KubeApi>* kube, std::unique_ptr<LeaderElector>* elector) {
  LeaderElectionConfig election = config.remediation.leader_election;
  if (!election.enabled.value_or(config.remediation.enabled && config.kubernetes.has_value())) {
    return true;
  }
  if (*kube == nullptr) {
    auto made = MakeKubeApi(config.kubernetes ? config.kubernetes->kubeconfig : "");
    if (!made) {
      log::Error("cannot set up the Kubernetes API for leader election",
                 {{"err", made.error().message}});
      return false;
    }
    *kube = std::move(made).value();
  }
  if (election.ns.empty()) {
    const char* pod_ns = std::getenv("POD_NAMESPACE");
    election.ns = pod_ns != nullptr && *pod_ns != '\0' ? pod_ns : (*kube)->Namespace();
    if (election.ns.empty()) election.ns = "default";
  }
  if (shard) election.lease_name += "-shard-" + std::to_string(*shard);
  election.identity = ReplicaIdentity();
  *elector = std::make_unique<LeaderElector>(std::move(election), *kube, nullptr);
  (*elector)->Start();
  return true;
}

std::unique_ptr<Remediator> MakeRemediator(const Config& config, Discovery* discovery,
                                           Poller* poller, std::optional<int> shard,
                                           std::unique_ptr<LeaderElector>* elector) {
  RemediatorOptions options;
  // Re-reads share the probe workers; a new record shows without a round.
  options.pool = &poller->pool();
  options.on_status_change = [poller] { poller->RefreshRemediation(); };
  options.config = config.remediation;
  options.discovery = discovery;
  options.analysis = config.analysis;
  options.probe_timeout = config.probe_timeout;
  std::map<UnitId, std::shared_ptr<const Credentials>> replication;
  for (const ClusterConfig& c : config.clusters) {
    if (c.replication_credentials) {
      replication[{c.ns, c.name, c.component}] = c.replication_credentials;
    }
  }
  options.replication_credentials = [replication](const UnitId& unit) {
    auto it = replication.find(unit);
    return it == replication.end() ? nullptr : it->second;
  };
  if (config.remediation.switchover.action == "kubeblocks") {
    auto kube = MakeKubeApi(config.kubernetes ? config.kubernetes->kubeconfig : "");
    if (!kube) {
      log::Error("cannot set up the Kubernetes API for remediation",
                 {{"err", kube.error().message}});
      return nullptr;
    }
    options.kube = std::move(kube).value();
  }
  if (!StartLeaderElection(config, shard, &options.kube, elector)) return nullptr;
  if (*elector != nullptr) {
    options.leadership = [e = elector->get()] { return e->Current(); };
  }
  return std::make_unique<Remediator>(std::move(options));
}

// --shard / --total-shards; logged errors make it return nullptr.
std::unique_ptr<ShardKeeper> StartSharding(const Config& config, const ShardFlags& flags,
                                           ShardedDiscovery* discovery) {
  std::shared_ptr<KubeApi> kube;
  std::string ns;
  if (!flags.total) {
    auto made = MakeKubeApi(config.kubernetes ? config.kubernetes->kubeconfig : "");
    if (!made) {
      log::Error("cannot set up the Kubernetes API for --total-shards=auto",
                 {{"err", made.error().message}});
      return nullptr;
    }
    kube = std::move(made).value();
    const char* pod_ns = std::getenv("POD_NAMESPACE");
    ns = pod_ns != nullptr && *pod_ns != '\0' ? pod_ns : kube->Namespace();
    if (ns.empty()) ns = "default";
  }
  auto made_keeper =
      ShardKeeper::Make(flags, ReplicaIdentity(), std::move(kube), ns, discovery, nullptr);
  if (!made_keeper) {
    log::Error("cannot resolve this exporter's shard", {{"err", made_keeper.error().message}});
    return nullptr;
  }
  std::unique_ptr<ShardKeeper> keeper = std::move(made_keeper).value();
  const ShardAssignment shard = keeper->Current();
  log::Info("watching one shard of the clusters",
            {{"shard", std::to_string(shard.index)}, {"total", std::to_string(shard.total)}});
  return keeper;
}

// Why the process stops before serving: the exit code (the reason is
// already printed or logged).
struct Exit {
  int code;
};

// What the flags name, loaded and checked.
struct Loaded {
  ShardFlags shard_flags;
  Config config;
  WebConfig web_config;
  std::size_t static_members = 0;
};

Status InitLogging(const Flags& flags) {
  log::Level level;
  log::Format format;
  if (!log::ParseLevel(flags.log_level, &level)) {
    return Error{"invalid --log.level \"" + flags.log_level + "\" (debug, info, warn, error)"};
  }
  if (!log::ParseFormat(flags.log_format, &format)) {
    return Error{"invalid --log.format \"" + flags.log_format + "\" (logfmt, json)"};
  }
  log::Init(level, format);
  return {};
}

// A config problem goes to stderr for --check-config, to the log otherwise.
Exit ConfigProblem(const Flags& flags, const std::string& what, const std::string& problem) {
  if (flags.check_config) {
    std::cerr << "invalid config: " << problem << "\n";
  } else {
    log::Error(what, {{"err", problem}});
  }
  return Exit{1};
}

// Everything --check-config checks, so that it fails where a start would.
Result<Loaded, Exit> Load(const Flags& flags) {
  Loaded out;
  auto parsed_shards = ParseShardFlags(flags.shard, flags.total_shards);
  if (!parsed_shards) {
    std::cerr << parsed_shards.error().message << "\n";
    return Exit{1};
  }
  out.shard_flags = *parsed_shards;
  auto loaded = LoadConfig(flags.config_file);
  if (!loaded) return ConfigProblem(flags, "invalid config", loaded.error().ToString());
  out.config = std::move(loaded).value();
  if (!flags.web_config_file.empty()) {
    auto web = LoadWebConfig(flags.web_config_file);
    if (!web) {
      std::cerr << "invalid web config: " << web.error().message << "\n";
      return Exit{1};
    }
    out.web_config = std::move(web).value();
  }
  std::string host;
  int port = 0;
  if (!ParseListenAddress(flags.listen_address, &host, &port)) {
    std::cerr << "invalid --web.listen-address \"" << flags.listen_address
              << "\" (want host:port, :port or [v6]:port)\n";
    return Exit{1};
  }
  for (const auto& cluster : out.config.clusters) out.static_members += cluster.members.size();
  if (out.config.kubernetes) {
    // Selectors and (unless it is the in-cluster default) the kubeconfig.
    if (Status checked = CheckKubernetesConfig(*out.config.kubernetes); !checked) {
      return ConfigProblem(flags, "invalid kubernetes config",
                           flags.config_file + ": " + checked.error().message);
    }
  }
  return out;
}

void PrintConfigOk(const Flags& flags, const Loaded& loaded) {
  std::cout << "config OK: " << flags.config_file << ": " << loaded.config.clusters.size()
            << " clusters, " << loaded.static_members << " static members";
  if (loaded.config.kubernetes) {
    std::cout << ", kubernetes discovery with " << loaded.config.kubernetes->discover.size()
              << " rules";
  }
  std::cout << "\n";
}

// Starts Kubernetes discovery and lets the first round see the pods; a slow
// or failing API server only delays it (discovery keeps retrying in the
// background). No thread waits for the stop signals yet, so this polls for
// them: a stop signal is Exit{0}.
Result<std::unique_ptr<KubernetesDiscovery>, Exit> StartKubernetes(const KubernetesConfig& config,
                                                                   const sigset_t& stop_signals) {
  auto made = MakeKubernetesDiscovery(config, KubernetesDiscoveryOptions{});
  if (!made) {
    log::Error("cannot start kubernetes discovery", {{"err", made.error().message}});
    return Exit{1};
  }
  std::unique_ptr<KubernetesDiscovery> kubernetes = std::move(made).value();
  const auto sync_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!kubernetes->WaitForSync(std::chrono::milliseconds(100))) {
    timespec no_wait{0, 0};
    if (const int signal_number = sigtimedwait(&stop_signals, nullptr, &no_wait);
        signal_number > 0) {
      log::Info("stopping", {{"signal", std::to_string(signal_number)}});
      return Exit{0};
    }
    if (std::chrono::steady_clock::now() >= sync_deadline) {
      log::Warn("kubernetes discovery has not listed every namespace yet; polling what is known",
                {{"server", kubernetes->Describe()}});
      break;
    }
  }
  return kubernetes;
}

// Blocks SIGINT and SIGTERM (call before any thread starts: one thread
// waits for them) and ignores SIGPIPE. Returns the blocked set.
sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

void LogStart(const Flags& flags, const Loaded& loaded, int port) {
  const Config& config = loaded.config;
  log::Info("starting dbtopo_exporter",
            {{"version", kExporterVersion},
             {"config", flags.config_file},
             {"clusters", std::to_string(config.clusters.size())},
             {"members", std::to_string(loaded.static_members)},
             {"poll_interval", std::to_string(config.poll_interval.count()) + "ms"},
             {"probe_timeout", std::to_string(config.probe_timeout.count()) + "ms"},
             {"listen", flags.listen_address},
             {"port", std::to_string(port)},
             {"tls", loaded.web_config.tls() ? "true" : "false"}});
}

int Run(const Flags& flags) {
  if (Status logging = InitLogging(flags); !logging) {
    std::cerr << logging.error().message << "\n";
    return 1;
  }
  auto load = Load(flags);
  if (!load) return load.error().code;
  const Loaded& loaded = *load;
  const Config& config = loaded.config;
  const ShardFlags& shard_flags = loaded.shard_flags;
  if (flags.check_config) {
    PrintConfigOk(flags, loaded);
    return 0;
  }

  const sigset_t stop_signals = BlockStopSignals();

  SnapshotStore store;
  HttpServer http(&store, loaded.web_config);
  if (Status bound = http.Bind(flags.listen_address); !bound) {
    log::Error("cannot start HTTP server", {{"err", bound.error().message}});
    return 1;
  }
  LogStart(flags, loaded, http.port());

  std::vector<std::unique_ptr<Discovery>> discoveries;
  discoveries.push_back(std::make_unique<StaticDiscovery>(StaticTargets(config)));
  if (config.kubernetes) {
    auto kubernetes = StartKubernetes(*config.kubernetes, stop_signals);
    if (!kubernetes) return kubernetes.error().code;
    discoveries.push_back(std::move(kubernetes).value());
  }
  ShardedDiscovery discovery(std::make_unique<CombinedDiscovery>(std::move(discoveries)), {});
  std::unique_ptr<ShardKeeper> shards;
  if (shard_flags.sharded) {
    shards = StartSharding(config, shard_flags, &discovery);
    if (shards == nullptr) return 1;
  }
  Poller poller(PollerOptions{config.poll_interval, config.probe_timeout, config.max_concurrency,
                              config.analysis},
                &discovery, MakeProbe, &store);
  poller.SetShard([&discovery] { return discovery.Get(); });
  // Declared before the remediator, which reads it, so that it outlives it.
  std::unique_ptr<LeaderElector> elector;
  std::unique_ptr<Remediator> remediator = MakeRemediator(
      config, &discovery, &poller,
      shard_flags.sharded ? std::optional<int>(discovery.Get().index) : std::nullopt, &elector);
  if (remediator == nullptr) return 1;
  poller.SetRemediationHooks(
      [&remediator] { return remediator->Status(); },
      [&remediator](std::shared_ptr<const Snapshot> snapshot) {
        // Aliasing pointer: the topology lives as long as the snapshot.
        remediator->OnTopology(std::shared_ptr<const Topology>(snapshot, &snapshot->topology));
      });
  http.SetRemediator(remediator.get());
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
  // A clean shutdown hands the lease over at once.
  if (elector != nullptr) elector->Stop();
  // Serve() can also return on its own (listen failure); wake the signal thread.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  log::Info("stopped");
  return 0;
}

}  // namespace
}  // namespace dbtopo

int main(int argc, char** argv) {
  // Few malloc arenas: glibc gives each worker thread its own (up to 8 per
  // core), and at 10,000 targets their free lists held a third of the
  // resident memory. The threads allocate little; contention is not a cost.
  mallopt(M_ARENA_MAX, 2);
  auto parsed = dbtopo::ParseFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed) {
    std::cerr << "dbtopo_exporter: " << parsed.error().message << "\n";
    return 2;
  }
  const auto& flags = *parsed;
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
