#include "support/fake_kube_api.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <sstream>
#include <stdexcept>

namespace dbtopo::testing {
namespace {

using nlohmann::json;

json StatusJson(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

std::string ReasonFor(int code) {
  switch (code) {
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 410:
      return "Expired";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    default:
      return "Unknown";
  }
}

// One term of the fake's selector subset.
struct Term {
  std::string key;
  std::string op;  // "=", "!=", "exists", "!exists"
  std::string value;
};

bool ParseSelector(const std::string& text, std::vector<Term>* terms) {
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
    if (part.empty() || part.find('(') != std::string::npos ||
        part.find(' ') != std::string::npos) {
      return false;  // Set-based terms are not supported by the fake.
    }
    Term t;
    if (auto p = part.find("!="); p != std::string::npos) {
      t = {part.substr(0, p), "!=", part.substr(p + 2)};
    } else if (auto q = part.find("=="); q != std::string::npos) {
      t = {part.substr(0, q), "=", part.substr(q + 2)};
    } else if (auto e = part.find('='); e != std::string::npos) {
      t = {part.substr(0, e), "=", part.substr(e + 1)};
    } else if (part.front() == '!') {
      t = {part.substr(1), "!exists", ""};
    } else {
      t = {part, "exists", ""};
    }
    terms->push_back(t);
  }
  return true;
}

bool SelectorMatches(const std::vector<Term>& terms, const json& pod) {
  const json labels = pod["metadata"].value("labels", json::object());
  for (const Term& t : terms) {
    const bool has = labels.contains(t.key);
    const std::string value = has ? labels[t.key].get<std::string>() : "";
    if (t.op == "=" && !(has && value == t.value)) return false;
    if (t.op == "!=" && has && value == t.value) return false;
    if (t.op == "exists" && !has) return false;
    if (t.op == "!exists" && has) return false;
  }
  return true;
}

std::string Line(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}}.dump() + "\n";
}

}  // namespace

struct FakeKubeApi::Watcher {
  std::string ns;  // "" = all
  std::vector<Term> selector;
  bool bookmarks = false;
  std::deque<std::string> lines;
  bool end = false;  // End gracefully once `lines` are written.
  std::chrono::steady_clock::time_point deadline;
};

json PodJson(const FakePod& pod, const std::string& resource_version, const std::string& uid) {
  const std::string ts = "2024-05-01T10:00:00Z";
  const std::string ready = pod.ready ? "True" : "False";
  std::string component = pod.name;
  if (auto it = pod.labels.find("apps.kubeblocks.io/component-name"); it != pod.labels.end()) {
    component = it->second;
  }
  json metadata = {
      {"name", pod.name},
      {"generateName", pod.name.substr(0, pod.name.rfind('-') + 1)},
      {"namespace", pod.ns},
      {"uid", uid},
      {"resourceVersion", resource_version},
      {"creationTimestamp", ts},
      {"labels", pod.labels},
      {"annotations", {{"apps.kubeblocks.io/component-replicas", "2"}}},
      {"ownerReferences", json::array({{{"apiVersion", "workloads.kubeblocks.io/v1"},
                                        {"kind", "InstanceSet"},
                                        {"name", component},
                                        {"uid", "00000000-0000-4000-8000-000000000001"},
                                        {"controller", true},
                                        {"blockOwnerDeletion", true}}})}};
  json containers = json::array(
      {{{"name", "mysql"},
        {"image", "docker.io/apecloud/mysql:8.0.33"},
        {"ports",
         json::array(
             {{{"name", pod.port_name}, {"containerPort", pod.port}, {"protocol", "TCP"}}})},
        {"resources", json::object()},
        {"terminationMessagePath", "/dev/termination-log"},
        {"imagePullPolicy", "IfNotPresent"}},
       {{"name", "metrics"},
        {"image", "docker.io/apecloud/agamotto:0.1.2"},
        {"ports",
         json::array(
             {{{"name", "http-metrics"}, {"containerPort", 9104}, {"protocol", "TCP"}}})}}});
  json status = {
      {"phase", pod.phase},
      {"conditions",
       json::array({{{"type", "Initialized"}, {"status", "True"}, {"lastTransitionTime", ts}},
                    {{"type", "Ready"}, {"status", ready}, {"lastTransitionTime", ts}},
                    {{"type", "ContainersReady"}, {"status", ready}, {"lastTransitionTime", ts}},
                    {{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", ts}}})},
      {"hostIP", "172.18.0.2"},
      {"startTime", ts},
      {"qosClass", "Burstable"},
      {"containerStatuses", json::array({{{"name", "mysql"},
                                          {"ready", pod.ready},
                                          {"restartCount", 0},
                                          {"started", pod.phase == "Running"},
                                          {"image", "docker.io/apecloud/mysql:8.0.33"},
                                          {"state", {{"running", {{"startedAt", ts}}}}}}})}};
  if (!pod.ip.empty()) {
    status["podIP"] = pod.ip;
    status["podIPs"] = json::array({{{"ip", pod.ip}}});
  }
  return {{"kind", "Pod"},
          {"apiVersion", "v1"},
          {"metadata", metadata},
          {"spec",
           {{"containers", containers},
            {"restartPolicy", "Always"},
            {"serviceAccountName", "kb-" + component},
            {"nodeName", "kind-control-plane"}}},
          {"status", status}};
}

std::string KubeconfigYaml(const std::string& server, const std::string& user_yaml,
                           const std::string& cluster_yaml_extra, const std::string& ns) {
  auto indent = [](const std::string& text, const std::string& prefix) {
    std::string out;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) out += prefix + line + "\n";
    return out;
  };
  return "apiVersion: v1\n"
         "kind: Config\n"
         "clusters:\n"
         "- name: fake\n"
         "  cluster:\n"
         "    server: " +
         server + "\n" + indent(cluster_yaml_extra, "    ") +
         "users:\n"
         "- name: tester\n"
         "  user:\n" +
         (user_yaml.empty() ? "    {}\n" : indent(user_yaml, "    ")) +
         "contexts:\n"
         "- name: fake-ctx\n"
         "  context:\n"
         "    cluster: fake\n"
         "    user: tester\n"
         "    namespace: " +
         ns +
         "\n"
         "current-context: fake-ctx\n";
}

FakeKubeApi::FakeKubeApi() = default;

FakeKubeApi::~FakeKubeApi() { Stop(); }

std::string FakeKubeApi::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void FakeKubeApi::Start(int port) {
  tls_ = false;
  Serve(port);
}

void FakeKubeApi::StartTls(const TlsFiles& files, int port) {
  tls_ = true;
  tls_files_ = files;
  Serve(port);
}

void FakeKubeApi::SetStatefulSetReplicas(const std::string& ns, const std::string& name,
                                         int replicas) {
  std::lock_guard lock(mutex_);
  statefulset_replicas_[ns + "/" + name] = replicas;
}

void FakeKubeApi::Serve(int port) {
  if (server_ != nullptr) throw std::logic_error("FakeKubeApi already running");
  std::unique_ptr<httplib::Server> server;
  if (tls_) {
    server = std::make_unique<httplib::SSLServer>(
        tls_files_.cert_file.c_str(), tls_files_.key_file.c_str(),
        tls_files_.client_ca_file.empty() ? nullptr : tls_files_.client_ca_file.c_str());
  } else {
    server = std::make_unique<httplib::Server>();
  }
  if (!server->is_valid()) throw std::runtime_error("FakeKubeApi: bad TLS files");
  server->set_keep_alive_timeout(1);
  server->Get("/api/v1/pods", [this](const httplib::Request& req, httplib::Response& res) {
    Handle(req, res, "");
  });
  server->Get(R"(/api/v1/namespaces/([^/]+)/pods)",
              [this](const httplib::Request& req, httplib::Response& res) {
                Handle(req, res, req.matches[1]);
              });
  server->Get(R"(/apis/apps/v1/namespaces/([^/]+)/statefulsets/([^/]+))",
              [this](const httplib::Request& req, httplib::Response& res) {
                std::lock_guard lock(mutex_);
                requests_.push_back("GET " + req.path);
                const std::string ns = req.matches[1], name = req.matches[2];
                auto it = statefulset_replicas_.find(ns + "/" + name);
                if (it == statefulset_replicas_.end()) {
                  res.status = 404;
                  res.set_content(R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
                                  R"("reason":"NotFound","code":404})",
                                  "application/json");
                  return;
                }
                const nlohmann::json statefulset = {
                    {"apiVersion", "apps/v1"},
                    {"kind", "StatefulSet"},
                    {"metadata", {{"name", name}, {"namespace", ns}}},
                    {"spec", {{"replicas", it->second}, {"serviceName", name}}},
                    {"status", {{"replicas", it->second}}}};
                res.set_content(statefulset.dump(), "application/json");
              });
  leases_.Register(server.get());
  if (port == 0) {
    port_ = server->bind_to_any_port("127.0.0.1");
  } else {
    // The old socket may linger briefly after a restart.
    bool bound = false;
    for (int attempt = 0; attempt < 50 && !bound; ++attempt) {
      bound = server->bind_to_port("127.0.0.1", port);
      if (!bound) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    port_ = bound ? port : -1;
  }
  if (port_ <= 0)
    throw std::runtime_error("FakeKubeApi: cannot bind 127.0.0.1:" + std::to_string(port));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = false;
  }
  httplib::Server* raw = server.get();
  server_ = std::move(server);
  thread_ = std::thread([raw] { raw->listen_after_bind(); });
  // Wait until it accepts.
  for (int i = 0; i < 200 && !raw->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void FakeKubeApi::Stop() {
  if (server_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  std::lock_guard<std::mutex> lock(mutex_);
  watchers_.clear();
}

void FakeKubeApi::Restart() {
  const int port = port_;
  Stop();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    compacted_rv_ = rv_;
    history_.clear();
  }
  Serve(port);
}

void FakeKubeApi::RequireToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mutex_);
  token_ = token;
}

bool FakeKubeApi::Matches(const Watcher& watcher, const json& pod) const {
  if (pod.is_null()) return false;
  if (!watcher.ns.empty() && pod["metadata"]["namespace"] != watcher.ns) return false;
  return SelectorMatches(watcher.selector, pod);
}

std::vector<std::string> FakeKubeApi::EventLines(const Watcher& watcher, const Event& event) const {
  const bool before = Matches(watcher, event.before);
  const bool after = Matches(watcher, event.after);
  if (event.type == "DELETED") {
    if (before || after) return {Line("DELETED", event.after)};
    return {};
  }
  if (after) return {Line(before ? event.type : "ADDED", event.after)};
  if (before) return {Line("DELETED", event.after)};  // Stopped matching.
  return {};
}

void FakeKubeApi::EmitLocked(const std::string& type, const json& before, const json& after) {
  Event event{rv_, type, before, after};
  for (auto& watcher : watchers_) {
    for (std::string& line : EventLines(*watcher, event)) watcher->lines.push_back(std::move(line));
  }
  history_.push_back(std::move(event));
  cv_.notify_all();
}

void FakeKubeApi::Upsert(const FakePod& pod) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string key = pod.ns + "/" + pod.name;
  ++rv_;
  if (!uids_.contains(key)) {
    char uid[64];
    std::snprintf(uid, sizeof(uid), "6f1c2a4e-0000-4000-8000-%012lld",
                  static_cast<long long>(next_uid_++));
    uids_[key] = uid;
  }
  json object = PodJson(pod, std::to_string(rv_), uids_[key]);
  auto it = pods_.find(key);
  json before = it == pods_.end() ? json() : it->second;
  pods_[key] = object;
  EmitLocked(before.is_null() ? "ADDED" : "MODIFIED", before, object);
}

void FakeKubeApi::Delete(const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string key = ns + "/" + name;
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  ++rv_;
  json before = it->second;
  json last = before;
  last["metadata"]["resourceVersion"] = std::to_string(rv_);
  last["metadata"]["deletionTimestamp"] = "2024-05-01T11:00:00Z";
  pods_.erase(it);
  uids_.erase(key);
  EmitLocked("DELETED", before, last);
}

void FakeKubeApi::Bookmark() {
  std::lock_guard<std::mutex> lock(mutex_);
  const json object = {{"kind", "Pod"},
                       {"apiVersion", "v1"},
                       {"metadata",
                        {{"resourceVersion", std::to_string(rv_)},
                         {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
  for (auto& watcher : watchers_) {
    if (watcher->bookmarks) watcher->lines.push_back(Line("BOOKMARK", object));
  }
  cv_.notify_all();
}

void FakeKubeApi::ExpireWatches() {
  std::lock_guard<std::mutex> lock(mutex_);
  compacted_rv_ = rv_;
  history_.clear();
  for (auto& watcher : watchers_) {
    watcher->lines.push_back(
        Line("ERROR", StatusJson(410, "Expired", "too old resource version: watch expired")));
    watcher->end = true;
  }
  cv_.notify_all();
}

void FakeKubeApi::FailNextRequests(int status, int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  fail_status_ = status;
  fail_count_ = count;
}

std::vector<std::string> FakeKubeApi::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}
int FakeKubeApi::list_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return list_requests_;
}
int FakeKubeApi::watch_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return watch_requests_;
}
int FakeKubeApi::unauthorized_requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_requests_;
}
int FakeKubeApi::open_watches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(watchers_.size());
}
std::int64_t FakeKubeApi::resource_version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rv_;
}

void FakeKubeApi::Handle(const httplib::Request& req, httplib::Response& res,
                         const std::string& ns) {
  auto param = [&](const char* name) {
    return req.has_param(name) ? req.get_param_value(name) : std::string();
  };
  auto fail = [&](int code, const std::string& message) {
    res.status = code;
    res.set_content(StatusJson(code, ReasonFor(code), message).dump(), "application/json");
  };
  const bool watch = param("watch") == "1" || param("watch") == "true";
  std::unique_lock<std::mutex> lock(mutex_);
  std::string query;
  for (const auto& [key, value] : req.params)
    query += (query.empty() ? "" : "&") + key + "=" + value;
  requests_.push_back("GET " + req.path + (query.empty() ? "" : "?" + query));
  (watch ? watch_requests_ : list_requests_)++;

  if (!token_.empty() && req.get_header_value("Authorization") != "Bearer " + token_) {
    ++unauthorized_requests_;
    return fail(401, "Unauthorized");
  }
  if (fail_count_ > 0) {
    --fail_count_;
    return fail(fail_status_, "injected failure");
  }
  std::vector<Term> selector;
  if (!ParseSelector(param("labelSelector"), &selector)) {
    return fail(400, "unable to parse requirement: fake supports =, ==, != and exists only");
  }
  auto watcher = std::make_shared<Watcher>();
  watcher->ns = ns;
  watcher->selector = selector;

  if (!watch) {
    std::int64_t offset = 0;
    if (const std::string token = param("continue"); !token.empty()) {
      const auto colon = token.find(':');
      offset = std::stoll(token.substr(0, colon));
      if (std::stoll(token.substr(colon + 1)) < compacted_rv_) {
        return fail(410, "The provided continue parameter is too old");
      }
    }
    const std::int64_t limit = param("limit").empty() ? 0 : std::stoll(param("limit"));
    json items = json::array();
    std::int64_t index = 0;
    std::string next;
    for (const auto& [key, pod] : pods_) {
      if (!Matches(*watcher, pod)) continue;
      if (index++ < offset) continue;
      if (limit > 0 && static_cast<std::int64_t>(items.size()) == limit) {
        next = std::to_string(index - 1) + ":" + std::to_string(rv_);
        break;
      }
      json item = pod;
      item.erase("kind");
      item.erase("apiVersion");
      items.push_back(item);
    }
    json metadata = {{"resourceVersion", std::to_string(rv_)}};
    if (!next.empty()) metadata["continue"] = next;
    res.set_content(
        json{{"kind", "PodList"}, {"apiVersion", "v1"}, {"metadata", metadata}, {"items", items}}
            .dump(),
        "application/json");
    return;
  }

  watcher->bookmarks =
      param("allowWatchBookmarks") == "true" || param("allowWatchBookmarks") == "1";
  const std::string rv_text = param("resourceVersion");
  const std::int64_t timeout =
      param("timeoutSeconds").empty() ? 1800 : std::stoll(param("timeoutSeconds"));
  watcher->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  if (rv_text.empty() || rv_text == "0") {
    for (const auto& [key, pod] : pods_) {
      if (Matches(*watcher, pod)) watcher->lines.push_back(Line("ADDED", pod));
    }
  } else if (std::stoll(rv_text) < compacted_rv_) {
    watcher->lines.push_back(
        Line("ERROR", StatusJson(410, "Expired",
                                 "too old resource version: " + rv_text + " (" +
                                     std::to_string(compacted_rv_) + ")")));
    watcher->end = true;
  } else {
    const std::int64_t from = std::stoll(rv_text);
    for (const Event& event : history_) {
      if (event.rv <= from) continue;
      for (std::string& line : EventLines(*watcher, event)) watcher->lines.push_back(line);
    }
  }
  watchers_.push_back(watcher);
  lock.unlock();

  res.status = 200;
  res.set_chunked_content_provider(
      "application/json",
      [this, watcher](std::size_t, httplib::DataSink& sink) {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait_for(lock, std::chrono::milliseconds(100),
                     [&] { return stopping_ || !watcher->lines.empty() || watcher->end; });
        if (stopping_) return false;  // Cut the connection: no final chunk.
        while (!watcher->lines.empty()) {
          std::string line = std::move(watcher->lines.front());
          watcher->lines.pop_front();
          lock.unlock();
          if (!sink.write(line.data(), line.size())) return false;
          lock.lock();
        }
        if (watcher->end || std::chrono::steady_clock::now() >= watcher->deadline) {
          watcher->end = true;
          lock.unlock();
          sink.done();
        }
        return true;
      },
      [this, watcher](bool) {
        std::lock_guard<std::mutex> lock(mutex_);
        watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), watcher), watchers_.end());
      });
}

}  // namespace dbtopo::testing
