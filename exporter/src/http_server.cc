#include "http_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <thread>

#include "connection_pool.h"
#include "dbtopo/base/log.h"
#include "dbtopo/base/secret.h"
#include "dbtopo/remediation/remediator.h"
#include "deadline_http_server.h"
#include "gzip.h"
#include "metrics_text.h"
#include "remediation_api.h"
#include "topology_json.h"
#include "web_assets.h"

namespace dbtopo {
namespace {

constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

bool ParseListenAddress(const std::string& address, std::string* host, int* port) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = address.substr(colon + 1);
  if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5) {
    return false;
  }
  const int value = std::stoi(p);
  if (value > 65535) return false;
  *host = h.empty() ? "0.0.0.0" : h;
  *port = value;
  return true;
}

HttpServer::HttpServer(const SnapshotStore* store, WebConfig web_config)
    : store_(store),
      web_config_(std::move(web_config)),
      basic_auth_(std::make_unique<BasicAuth>(web_config_.basic_auth_users)) {
  SslCtxPtr tls(nullptr, SSL_CTX_free);
  if (web_config_.tls()) {
    auto made = NewTlsServerContext(web_config_.cert_file, web_config_.key_file);
    if (made) {
      tls = std::move(made).value();
    } else {
      tls_error_ = made.error().message;
    }
  }
  server_ = std::make_unique<DeadlineHttpServer>(std::move(tls), kRequestReadDeadline);
  Routes();
}

HttpServer::~HttpServer() = default;

bool HttpServer::BodyTooLarge(const httplib::Request& req) {
  if (!req.has_header("Content-Length")) return false;
  const std::string value = req.get_header_value("Content-Length");
  std::uint64_t length = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
  // Unparseable or absurd lengths are refused too; httplib would reject them later.
  return ec != std::errc() || end != value.data() + value.size() || length > kMaxBodyBytes;
}

void HttpServer::ConfigureConnections() {
  // Slow or idle clients hold a worker each until a timeout closes them: a
  // worker for every connection (up to kMaxConnections), short timeouts, a
  // deadline for each whole request (DeadlineHttpServer), few keep-alive
  // requests per connection, and a body limit checked on the Content-Length
  // before any body is read (and before authentication).
  server_->new_task_queue = [] { return new ConnectionPool(kCoreWorkers, kMaxConnections); };
  server_->set_read_timeout(std::chrono::seconds(5));
  server_->set_write_timeout(std::chrono::seconds(10));
  server_->set_keep_alive_timeout(5);
  server_->set_keep_alive_max_count(100);
  server_->set_payload_max_length(kMaxBodyBytes);
  server_->set_socket_options([this](socket_t fd) {
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // A client that connects and sends nothing is not handed to a worker
    // until it sends, or for kDeferAcceptSeconds.
    const int defer = kDeferAcceptSeconds;
    ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
    listen_fd_ = fd;
  });
}

bool HttpServer::Gate(const httplib::Request& req, httplib::Response& res) {
  // Runs before the body is read: an oversized one is refused unread, and
  // unauthenticated, whatever the path.
  if (BodyTooLarge(req)) {
    res.status = 413;
    res.set_header("Connection", "close");
    res.set_content("request body larger than " + std::to_string(kMaxBodyBytes) + " bytes\n",
                    "text/plain");
    return true;
  }
  // Liveness and readiness probes stay open, as in the exporter-toolkit.
  if (req.path == "/-/healthy" || req.path == "/-/ready") {
    return false;
  }
  // The remediation POSTs check their own Bearer token.
  if (req.method == "POST" && (req.path == "/api/v1/switchover" || req.path == "/api/v1/alerts")) {
    return false;
  }
  const BasicAuth::Verdict verdict = basic_auth_->Check(req.get_header_value("Authorization"));
  if (verdict == BasicAuth::Verdict::kBusy) {
    // Every bcrypt slot was taken for kBcryptWait: a password flood.
    res.status = 429;
    res.set_header("Retry-After", "1");
    res.set_content("too many authentication attempts; retry\n", "text/plain");
    return true;
  }
  if (verdict == BasicAuth::Verdict::kDenied) {
    res.status = 401;
    res.set_header("WWW-Authenticate", "Basic realm=\"dbtopo_exporter\"");
    res.set_content("Unauthorized\n", "text/plain");
    return true;
  }
  return false;
}

void HttpServer::ServeMetrics(const httplib::Request& req, httplib::Response& res) const {
  auto snapshot = store_->Get();
  if (!snapshot) {
    // Before the first round: only the exporter's identity.
    Snapshot empty;
    res.set_content(RenderMetrics(empty), kMetricsContentType);
    return;
  }
  res.set_header("Vary", "Accept-Encoding");
  const bool gzip = AcceptsGzip(req.get_header_value(DeadlineHttpServer::kClientAcceptEncoding));
  if (gzip) res.set_header("Content-Encoding", "gzip");
  // The round's bytes are served from the snapshot, not copied per scrape.
  const std::string* body = gzip ? &snapshot->MetricsGzip() : &snapshot->metrics_text;
  res.set_content_provider(
      body->size(), kMetricsContentType,
      [snapshot, body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        return sink.write(body->data() + offset, length);
      });
}

void HttpServer::ServeTopology(const httplib::Request& req, httplib::Response& res) const {
  auto snapshot = store_->Get();
  if (!snapshot) {
    res.status = 503;
    res.set_content(R"({"error":"first poll round not complete"})", "application/json");
    return;
  }
  std::string json = RenderTopologyJson(*snapshot);
  res.set_header("Vary", "Accept-Encoding");
  if (AcceptsGzip(req.get_header_value(DeadlineHttpServer::kClientAcceptEncoding))) {
    res.set_header("Content-Encoding", "gzip");
    json = GzipCompress(json);
  }
  res.set_content(json, "application/json");
}

void HttpServer::ServeRemediation(const httplib::Request& req, httplib::Response& res,
                                  bool alerts) const {
  if (remediation_api_ == nullptr) {
    res.status = 503;
    res.set_content(R"({"error":"remediation is not wired into this exporter"})",
                    "application/json");
    return;
  }
  const std::string authorization = req.get_header_value("Authorization");
  const HttpReply reply = alerts ? remediation_api_->Alerts(authorization, req.body)
                                 : remediation_api_->Switchover(authorization, req.body);
  res.status = reply.status;
  if (reply.status == 401) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"dbtopo_exporter\"");
  }
  std::string body = reply.body;
  secrets::Redact(body);  // Action results quote server replies.
  res.set_content(body, "application/json");
}

void HttpServer::Routes() {
  ConfigureConnections();
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return Gate(req, res) ? httplib::Server::HandlerResponse::Handled
                          : httplib::Server::HandlerResponse::Unhandled;
  });
  server_->Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    ServeMetrics(req, res);
  });
  server_->Get("/-/healthy", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Healthy\n", "text/plain");
  });
  server_->Get("/-/ready", [this](const httplib::Request&, httplib::Response& res) {
    if (store_->Get()) {
      res.set_content("Ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("Not ready: first poll round not complete\n", "text/plain");
    }
  });
  server_->Get("/api/v1/topology", [this](const httplib::Request& req, httplib::Response& res) {
    ServeTopology(req, res);
  });
  server_->Post("/api/v1/switchover", [this](const httplib::Request& req, httplib::Response& res) {
    ServeRemediation(req, res, /*alerts=*/false);
  });
  server_->Post("/api/v1/alerts", [this](const httplib::Request& req, httplib::Response& res) {
    ServeRemediation(req, res, /*alerts=*/true);
  });
  // The topology page and its scripts, from the binary.
  for (std::size_t i = 0; i < web::kAssetCount; ++i) {
    const web::Asset& asset = web::kAssets[i];
    server_->Get(asset.path, [&asset](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(asset.body.data(), asset.body.size(),
                      std::string(asset.content_type) + "; charset=utf-8");
    });
  }
}

Status HttpServer::Bind(const std::string& listen_address) {
  std::string host;
  int port = 0;
  if (!ParseListenAddress(listen_address, &host, &port)) {
    return Error{"invalid --web.listen-address \"" + listen_address +
                 "\" (want host:port or :port)"};
  }
  if (!tls_error_.empty()) {
    return Error{"cannot set up TLS: " + tls_error_};
  }
  if (port == 0) {
    port_ = server_->bind_to_any_port(host.c_str());
  } else {
    port_ = server_->bind_to_port(host.c_str(), port) ? port : -1;
  }
  if (port_ <= 0) {
    return Error{"cannot listen on " + listen_address};
  }
  // The library listens with a backlog of 5: a burst of scrapes would
  // overflow it. listen() again on the bound socket raises it.
  if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
  return {};
}

void HttpServer::Serve() {
  {
    MutexLock lock(&stop_mutex_);
    if (stop_requested_) return;
    serving_ = true;
  }
  server_->listen_after_bind();
}

void HttpServer::Stop() {
  MutexLock lock(&stop_mutex_);
  stop_requested_ = true;
  if (!serving_) return;  // Serve() will see the flag and not start.
  // httplib ignores stop() until its accept loop runs: wait for it (briefly).
  for (int i = 0; i < 1000 && !server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
}

}  // namespace dbtopo
