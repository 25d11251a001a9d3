#pragma once

// A minimal Kubernetes API client over cpp-httplib: GET a path (a list) or
// stream one (a watch, newline-delimited JSON), over http or https with the
// kubeconfig's CA / insecure / client certificate, and a bearer token re-read
// from its file whenever the file changes (service account tokens rotate).
//
// Each request opens its own connection, so a list and a watch can run on
// different threads. Cancel() aborts every request in flight (and fails the
// following ones fast) so a watch blocked on a quiet stream can be stopped.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "dbtopo/base/mutex.h"
#include "dbtopo/base/result.h"
#include "dbtopo/kube/kubeconfig.h"

namespace httplib {
class ClientImpl;
}

namespace dbtopo::kube {

/// Outcome of one request.
struct HttpResult {
  /// HTTP status; 0 when the request failed before a status arrived.
  int status = 0;
  /// Response body (Get; for Stream only when the status is not 200, up to 64 KiB).
  std::string body;
  /// Transport error ("Connection", "Read", "SSLServerVerification", ...) when
  /// status is 0 or the stream broke after the status; "" otherwise.
  std::string error;
  /// True when the request was aborted by Cancel().
  bool cancelled = false;
};

/// The bearer token of a KubeConfig: a static value, or a file re-read when
/// its inode, size or mtime changes (checked on every request: one stat()).
class BearerToken {
 public:
  BearerToken(Secret static_token, std::string file)
      : static_token_(std::move(static_token)), file_(std::move(file)) {}

  /// The current token ("" when none). Re-reads the file when it changed;
  /// keeps the last good value when the file cannot be read.
  Secret Current();
  /// Forces a re-read on the next Current() (after a 401).
  void Invalidate();
  /// Number of times the file was (re)loaded; for tests.
  int loads() const { return loads_; }

 private:
  Secret static_token_;
  std::string file_;
  Mutex mutex_;
  Secret cached_ DBTOPO_GUARDED_BY(mutex_);
  std::string stamp_ DBTOPO_GUARDED_BY(mutex_);  // "ino:size:mtime_ns" of the loaded file
  std::atomic<int> loads_{0};
};

class KubeClient {
 public:
  /// Timeouts applied to every request.
  struct Options {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds write_timeout{10000};
  };

  /// Parses the TLS material of `config` (CA bundle, client certificate and
  /// key) once. Returns an error naming the bad field and its origin.
  static Result<std::unique_ptr<KubeClient>> Create(KubeConfig config, Options options);
  static Result<std::unique_ptr<KubeClient>> Create(KubeConfig config) {
    return Create(std::move(config), Options{});
  }
  ~KubeClient();

  /// GET `path_and_query` (e.g. "/api/v1/pods?limit=500"); the whole body is
  /// returned. `read_timeout` bounds every wait for data.
  HttpResult Get(const std::string& path_and_query, std::chrono::milliseconds read_timeout);

  /// GET `path_and_query` and call `on_line` for every non-empty line of a 200
  /// response as it arrives; `on_line` returns false to stop reading. Returns
  /// when the server ends the response, the connection breaks, `read_timeout`
  /// passes without data, `on_line` says stop, or Cancel() is called.
  HttpResult Stream(const std::string& path_and_query, std::chrono::milliseconds read_timeout,
                    const std::function<bool(std::string_view line)>& on_line);

  /// POST `body` (e.g. a JSON object to create) to `path_and_query`; the
  /// whole response body is returned (e.g. the created object or a Status).
  HttpResult Post(const std::string& path_and_query, const std::string& body,
                  const std::string& content_type, std::chrono::milliseconds read_timeout);

  /// PUT `body` (a whole object to replace, with the resourceVersion it is
  /// based on: a stale one gets 409 Conflict) to `path_and_query`.
  HttpResult Put(const std::string& path_and_query, const std::string& body,
                 const std::string& content_type, std::chrono::milliseconds read_timeout);

  /// Aborts requests in flight; later requests fail at once with cancelled.
  void Cancel();

  const KubeConfig& config() const { return config_; }
  BearerToken& token() { return token_; }

 private:
  struct Tls;
  KubeClient(KubeConfig config, Options options, std::unique_ptr<Tls> tls);
  std::unique_ptr<httplib::ClientImpl> NewClient(std::chrono::milliseconds read_timeout);
  /// One request: GET when `post_body` is null, else POST it (PUT if `put`).
  HttpResult Run(const std::string& path_and_query, std::chrono::milliseconds read_timeout,
                 const std::function<bool(std::string_view line)>* on_line,
                 const std::string* post_body = nullptr, const std::string& content_type = "",
                 bool put = false);

  KubeConfig config_;
  Options options_;
  std::unique_ptr<Tls> tls_;
  BearerToken token_;
  Mutex active_mutex_;
  std::set<httplib::ClientImpl*> active_ DBTOPO_GUARDED_BY(active_mutex_);
  std::atomic<bool> cancelled_{false};
};

/// Percent-encodes a query parameter value (everything but A-Za-z0-9-._~).
std::string UrlEncode(std::string_view value);

}  // namespace dbtopo::kube
