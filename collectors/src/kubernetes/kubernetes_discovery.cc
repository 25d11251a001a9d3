// KubernetesDiscovery: one list+watch loop per (discover rule, namespace),
// feeding a PodStore that Targets() copies from.

#include "dbtopo/collectors/kubernetes_discovery.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "dbtopo/base/duration.h"
#include "dbtopo/base/log.h"
#include "dbtopo/base/mutex.h"
#include "dbtopo/kube/kube_client.h"
#include "dbtopo/kube/kubeconfig.h"
#include "kubernetes/discovery_streams.h"
#include "kubernetes/label_selector.h"
#include "kubernetes/pod_change_log.h"
#include "kubernetes/pod_parser.h"
#include "kubernetes/pod_store.h"

namespace dbtopo {

class KubernetesDiscovery::Impl {
 public:
  Impl(KubernetesConfig config, KubernetesDiscoveryOptions options,
       std::unique_ptr<kube::KubeClient> client, std::vector<kube::StreamSpec> streams)
      : config_(std::move(config)),
        options_(std::move(options)),
        client_(std::move(client)),
        streams_(std::move(streams)),
        store_(&config_, kube::StreamRules(streams_)),
        synced_(streams_.size(), false) {}

  ~Impl() { Stop(); }

  void Start() {
    Log(log::Level::kInfo, "kubernetes discovery starting",
        {{"server", client_->config().Describe()},
         {"streams", std::to_string(streams_.size())},
         {"context_namespace", client_->config().ns}});
    {
      MutexLock lock(&mutex_);
      running_ = static_cast<int>(streams_.size());
    }
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      threads_.emplace_back([this, i] {
        RunStream(i);
        MutexLock lock(&mutex_);
        --running_;
        cv_.NotifyAll();
      });
    }
  }

  void Stop() {
    {
      MutexLock lock(&mutex_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.NotifyAll();
    // A request that was just starting when Cancel() ran may miss it: cancel
    // again until every thread has left.
    MutexLock lock(&mutex_);
    while (running_ > 0) {
      lock.Unlock();
      client_->Cancel();
      lock.Lock();
      cv_.WaitFor(lock, std::chrono::milliseconds(100),
                  [this]() DBTOPO_REQUIRES(mutex_) { return running_ == 0; });
    }
    lock.Unlock();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
  }

  std::vector<DiscoveredTarget> Targets() { return store_.Targets(); }

  bool WaitForSync(std::chrono::milliseconds timeout) {
    MutexLock lock(&mutex_);
    return cv_.WaitFor(lock, timeout, [this]() DBTOPO_REQUIRES(mutex_) {
      return stop_ || std::all_of(synced_.begin(), synced_.end(), [](bool s) { return s; });
    }) && !stop_;
  }

  std::string Describe() const { return client_->config().Describe(); }

 private:
  using Fields = log::KeyValues;
  enum class WatchEnd { kStopped, kClosed, kExpired, kBroken };
  struct WatchOutcome {
    WatchEnd end = WatchEnd::kClosed;
    kube::Problem problem;  // Why, for kExpired and kBroken.
    int events = 0;
  };

  void Log(log::Level level, const std::string& msg, const Fields& fields) {
    log::To(options_.log, level, msg, fields);
  }

  bool Stopping() {
    MutexLock lock(&mutex_);
    return stop_;
  }

  // Sleeps `delay` unless stopped first; false when stopped.
  bool Sleep(std::chrono::milliseconds delay) {
    MutexLock lock(&mutex_);
    return !cv_.WaitFor(lock, delay, [this]() DBTOPO_REQUIRES(mutex_) { return stop_; });
  }

  Fields StreamFields(std::size_t i) const {
    const kube::StreamSpec& s = streams_[i];
    return {{"namespace", s.ns.empty() ? "(all)" : s.ns},
            {"engine", EngineName(config_.discover[s.rule].engine)},
            {"selector", s.selector.ToString()}};
  }

  static Fields With(Fields fields,
                     std::initializer_list<std::pair<std::string, std::string>> more) {
    fields.insert(fields.end(), more.begin(), more.end());
    return fields;
  }

  // One line for an error status from the API server, with what happens next.
  void LogHttpProblem(std::size_t i, const char* op, const kube::Problem& p,
                      const std::string& known_pods, std::chrono::milliseconds retry_in) {
    Log(p.level, p.msg,
        With(StreamFields(i), {{"op", op},
                               {"detail", p.detail},
                               {"server", client_->config().server},
                               {"known_pods", known_pods},
                               {"retry_in", FormatDuration(retry_in)}}));
  }

  void LogPodChange(std::size_t i, const std::optional<kube::PodInfo>& before,
                    const std::optional<kube::PodInfo>& after, bool quiet) {
    kube::LogPodChange(options_.log, config_.discover[streams_[i].rule], config_, before, after,
                       quiet);
  }

  // Lists every page; on success replaces the stream's pods and sets *rv.
  bool List(std::size_t i, std::string* rv, kube::Problem* problem) {
    const kube::StreamSpec& s = streams_[i];
    std::vector<kube::PodInfo> pods;
    std::string continue_token;
    int dropped = 0;
    while (true) {
      std::string path =
          s.base_path + "?limit=" + std::to_string(options_.list_page_size) + s.selector_param;
      if (!continue_token.empty()) path += "&continue=" + kube::UrlEncode(continue_token);
      kube::HttpResult r = client_->Get(path, options_.request_timeout);
      if (r.cancelled || Stopping()) return false;
      if (r.status == 0) {
        problem->detail = "cannot reach API server " + client_->config().server + ": " + r.error;
        return false;
      }
      if (r.status != 200) {
        *problem = kube::ExplainApiError(*client_, r.status, r.body, path);
        return false;
      }
      auto parsed = kube::ParsePodList(r.body);
      if (!parsed) {
        problem->detail = "bad PodList from " + path + ": " + parsed.error().message;
        return false;
      }
      kube::PodList& list = *parsed;
      for (kube::PodInfo& pod : list.items) {
        // The API server applied the selector; check anyway.
        if (!s.selector.Matches(pod.labels) || (!s.ns.empty() && pod.ns != s.ns)) {
          ++dropped;
          continue;
        }
        pods.push_back(std::move(pod));
      }
      *rv = list.resource_version;
      continue_token = list.continue_token;
      if (continue_token.empty()) break;
    }
    if (dropped > 0) {
      Log(log::Level::kWarn, "kubernetes list returned pods outside the selector; ignored",
          With(StreamFields(i), {{"ignored", std::to_string(dropped)}}));
    }
    const std::size_t count = pods.size();
    std::map<std::string, kube::PodInfo> old;
    std::map<std::string, kube::PodInfo> fresh;
    for (const kube::PodInfo& pod : pods) fresh[pod.Key()] = pod;
    bool first;
    {
      MutexLock lock(&mutex_);
      first = !synced_[i];
    }
    old = store_.Replace(i, std::move(pods));
    for (const auto& [key, pod] : fresh) {
      auto it = old.find(key);
      LogPodChange(i, it == old.end() ? std::nullopt : std::optional(it->second), pod, first);
    }
    for (const auto& [key, pod] : old) {
      if (!fresh.contains(key)) LogPodChange(i, pod, std::nullopt, first);
    }
    std::size_t targets = 0;
    for (const auto& [key, pod] : fresh) {
      targets += kube::PodToTarget(pod, config_.discover[s.rule], config_).target.has_value();
    }
    Log(log::Level::kInfo, "kubernetes list ok",
        With(StreamFields(i), {{"pods", std::to_string(count)},
                               {"targets", std::to_string(targets)},
                               {"resource_version", *rv}}));
    {
      MutexLock lock(&mutex_);
      synced_[i] = true;
    }
    cv_.NotifyAll();
    return true;
  }

  void Apply(std::size_t i, const kube::WatchEvent& event) {
    const kube::StreamSpec& s = streams_[i];
    const kube::PodInfo& pod = event.pod;
    const bool belongs = s.selector.Matches(pod.labels) && (s.ns.empty() || pod.ns == s.ns);
    if (event.type == kube::WatchEvent::Type::kDeleted || !belongs) {
      if (auto before = store_.Remove(i, pod.Key())) LogPodChange(i, before, std::nullopt, false);
      return;
    }
    auto before = store_.Upsert(i, pod);
    LogPodChange(i, before, pod, false);
  }

  WatchOutcome Watch(std::size_t i, std::string* rv) {
    const kube::StreamSpec& s = streams_[i];
    const std::string path =
        s.base_path + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + kube::UrlEncode(*rv) +
        "&timeoutSeconds=" + std::to_string(options_.watch_timeout.count()) + s.selector_param;
    WatchOutcome out;
    bool expired = false;
    std::string problem;  // From the stream's content.
    auto on_line = [&](std::string_view line) {
      if (Stopping()) return false;
      auto parsed = kube::ParseWatchEvent(line);
      if (!parsed) {
        problem = "bad watch event: " + parsed.error().message;
        return false;
      }
      const kube::WatchEvent& event = *parsed;
      ++out.events;
      switch (event.type) {
        case kube::WatchEvent::Type::kAdded:
        case kube::WatchEvent::Type::kModified:
        case kube::WatchEvent::Type::kDeleted:
          Apply(i, event);
          if (!event.resource_version.empty()) *rv = event.resource_version;
          return true;
        case kube::WatchEvent::Type::kBookmark:
          *rv = event.resource_version;
          return true;
        case kube::WatchEvent::Type::kError:
          if (event.status.code == 410) {
            expired = true;
            problem = "410 Gone: " + event.status.message;
          } else {
            problem = "ERROR event " + std::to_string(event.status.code) + " " +
                      event.status.reason + ": " + event.status.message;
          }
          return false;
      }
      return true;
    };
    kube::HttpResult r =
        client_->Stream(path, options_.request_timeout + options_.watch_timeout, on_line);
    if (r.cancelled || Stopping()) {
      out.end = WatchEnd::kStopped;
    } else if (expired) {
      out.end = WatchEnd::kExpired;
      out.problem.detail = problem;
    } else if (!problem.empty()) {
      out.end = WatchEnd::kBroken;
      out.problem.detail = problem;
    } else if (r.status == 0) {
      out.end = WatchEnd::kBroken;
      out.problem.detail = "cannot reach API server " + client_->config().server + ": " + r.error;
    } else if (r.status == 410) {
      out.end = WatchEnd::kExpired;
      out.problem.detail = "HTTP 410 Gone";
    } else if (r.status != 200) {
      out.end = WatchEnd::kBroken;
      out.problem = kube::ExplainApiError(*client_, r.status, r.body, path);
    } else if (!r.error.empty()) {
      out.end = WatchEnd::kBroken;
      out.problem.detail = "stream broke: " + r.error;
    }
    return out;
  }

  void RunStream(std::size_t i) {
    kube::Backoff backoff(options_.initial_backoff, options_.max_backoff);
    std::string rv;
    bool need_list = true;
    while (!Stopping()) {
      if (need_list) {
        kube::Problem problem;
        if (!List(i, &rv, &problem)) {
          if (Stopping()) return;
          const auto delay = backoff.Next();
          const std::string known = std::to_string(store_.PodCount(i));
          if (problem.http) {
            LogHttpProblem(i, "list", problem, known, delay);
          } else {
            Log(log::Level::kWarn,
                "kubernetes list failed, keeping " + known + " known pods; retrying in " +
                    FormatDuration(delay),
                With(StreamFields(i), {{"reason", problem.detail}}));
          }
          if (!Sleep(delay)) return;
          continue;
        }
        need_list = false;
      }
      const auto started = std::chrono::steady_clock::now();
      WatchOutcome w = Watch(i, &rv);
      const auto lasted = std::chrono::steady_clock::now() - started;
      if (w.events > 0 || lasted >= std::chrono::seconds(10)) backoff.Reset();
      switch (w.end) {
        case WatchEnd::kStopped:
          return;
        case WatchEnd::kClosed:
          // Normal end (timeoutSeconds): resume from rv. A server that closes
          // at once every time gets the backoff rather than a busy loop.
          Log(log::Level::kDebug, "kubernetes watch closed by the server, resuming",
              With(StreamFields(i), {{"resource_version", rv}}));
          if (lasted < std::chrono::seconds(1) && w.events == 0 && !Sleep(backoff.Next())) return;
          break;
        case WatchEnd::kExpired:
          Log(log::Level::kInfo, "kubernetes watch expired, re-listing",
              With(StreamFields(i), {{"reason", w.problem.detail}}));
          need_list = true;
          break;
        case WatchEnd::kBroken: {
          const auto delay = backoff.Next();
          const std::string known = std::to_string(store_.PodCount(i));
          if (w.problem.http) {
            LogHttpProblem(i, "watch", w.problem, known, delay);
          } else {
            Log(log::Level::kWarn,
                "kubernetes watch broken, re-listing in " + FormatDuration(delay),
                With(StreamFields(i), {{"reason", w.problem.detail}, {"known_pods", known}}));
          }
          need_list = true;
          if (!Sleep(delay)) return;
          break;
        }
      }
    }
  }

  KubernetesConfig config_;
  KubernetesDiscoveryOptions options_;
  std::unique_ptr<kube::KubeClient> client_;
  std::vector<kube::StreamSpec> streams_;
  kube::PodStore store_;
  Mutex mutex_;
  CondVar cv_;
  bool stop_ DBTOPO_GUARDED_BY(mutex_) = false;
  int running_ DBTOPO_GUARDED_BY(mutex_) = 0;
  std::vector<bool> synced_ DBTOPO_GUARDED_BY(mutex_);
  std::vector<std::thread> threads_;
};

KubernetesDiscovery::KubernetesDiscovery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KubernetesDiscovery::~KubernetesDiscovery() { Stop(); }
std::vector<DiscoveredTarget> KubernetesDiscovery::Targets() { return impl_->Targets(); }
bool KubernetesDiscovery::WaitForSync(std::chrono::milliseconds timeout) {
  return impl_->WaitForSync(timeout);
}
void KubernetesDiscovery::Stop() { impl_->Stop(); }
std::string KubernetesDiscovery::Describe() const { return impl_->Describe(); }

Status CheckKubernetesConfig(const KubernetesConfig& config) {
  auto prepared =
      kube::Prepare(config, KubernetesDiscoveryOptions{}, /*connect_offline_only=*/true);
  if (!prepared) return prepared.error();
  return {};
}

Result<std::unique_ptr<KubernetesDiscovery>> MakeKubernetesDiscovery(
    const KubernetesConfig& config, const KubernetesDiscoveryOptions& options) {
  auto prepared = kube::Prepare(config, options, /*connect_offline_only=*/false);
  if (!prepared) return prepared.error();
  auto impl = std::make_unique<KubernetesDiscovery::Impl>(
      config, options, std::move(prepared->client), std::move(prepared->streams));
  impl->Start();
  return std::make_unique<KubernetesDiscovery>(std::move(impl));
}

}  // namespace dbtopo
