#include "dbtopo/kube/kube_client.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "dbtopo/base/strings.h"

namespace dbtopo::kube {
namespace {

constexpr std::size_t kMaxBody = 256u << 20;      // A list of thousands of pods is ~10 MiB.
constexpr std::size_t kMaxErrorBody = 64u << 10;  // Status bodies are small.
constexpr std::size_t kMaxLine = 64u << 20;       // One watch event.

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no details";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// httplib's error names ("Read", "Connection") as a sentence fragment.
std::string DescribeError(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "connection failed (refused, unreachable or DNS)";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::Read:
      return "connection closed or read timed out";
    case httplib::Error::Write:
      return "write failed (connection closed)";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load TLS certificates";
    case httplib::Error::SSLServerVerification:
      return "server certificate verification failed";
    default:
      return httplib::to_string(error);
  }
}

}  // namespace

// Parsed TLS material, shared by every connection.
struct KubeClient::Tls {
  std::vector<X509*> cas;
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;

  ~Tls() {
    for (X509* ca : cas) X509_free(ca);
    if (cert != nullptr) X509_free(cert);
    if (key != nullptr) EVP_PKEY_free(key);
  }
};

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

Secret BearerToken::Current() {
  if (file_.empty()) return static_token_;
  MutexLock lock(&mutex_);
  struct stat st {};
  if (::stat(file_.c_str(), &st) == 0) {
    const std::string stamp = std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
                              std::to_string(st.st_mtim.tv_sec) + "." +
                              std::to_string(st.st_mtim.tv_nsec);
    if (stamp != stamp_) {
      std::ifstream in(file_, std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      std::string token(Trim(content.str()));
      if (in && !token.empty()) {
        cached_ = Secret(std::move(token));
        stamp_ = stamp;
        ++loads_;
      }
    }
  }
  return cached_.empty() ? static_token_ : cached_;
}

void BearerToken::Invalidate() {
  MutexLock lock(&mutex_);
  stamp_.clear();
}

Result<std::unique_ptr<KubeClient>> KubeClient::Create(KubeConfig config, Options options) {
  auto tls = std::make_unique<Tls>();
  if (config.scheme == "https") {
    if (!config.ca_pem.empty()) {
      BIO* bio = BIO_new_mem_buf(config.ca_pem.data(), static_cast<int>(config.ca_pem.size()));
      while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) tls->cas.push_back(ca);
      BIO_free(bio);
      ERR_clear_error();  // The loop ends on a "no start line" error.
      if (tls->cas.empty()) {
        return Error{"certificate authority " + config.ca_origin + " (" + config.source +
                     "): no PEM certificate could be parsed"};
      }
    }
    if (!config.client_cert_pem.empty()) {
      BIO* bio = BIO_new_mem_buf(config.client_cert_pem.data(),
                                 static_cast<int>(config.client_cert_pem.size()));
      tls->cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
      BIO_free(bio);
      if (tls->cert == nullptr) {
        return Error{"client-certificate (" + config.source +
                     "): not a PEM certificate: " + OpenSslError()};
      }
      const std::string& key_pem = config.client_key_pem.Reveal();
      bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
      tls->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
      BIO_free(bio);
      if (tls->key == nullptr) {
        // OpenSSL's message does not include key material.
        return Error{"client-key (" + config.source +
                     "): not a PEM private key: " + OpenSslError()};
      }
      if (X509_check_private_key(tls->cert, tls->key) != 1) {
        ERR_clear_error();
        return Error{"client-key (" + config.source + ") does not match client-certificate"};
      }
    }
  } else if (!config.client_cert_pem.empty()) {
    return Error{"client-certificate (" + config.source + ") needs an https server, got " +
                 config.server};
  }
  return std::unique_ptr<KubeClient>(new KubeClient(std::move(config), options, std::move(tls)));
}

KubeClient::KubeClient(KubeConfig config, Options options, std::unique_ptr<Tls> tls)
    : config_(std::move(config)),
      options_(options),
      tls_(std::move(tls)),
      token_(config_.token, config_.token_file) {}

KubeClient::~KubeClient() = default;

std::unique_ptr<httplib::ClientImpl> KubeClient::NewClient(std::chrono::milliseconds read_timeout) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (config_.scheme == "https") {
    const std::string& name =
        config_.tls_server_name.empty() ? config_.host : config_.tls_server_name;
    std::unique_ptr<httplib::SSLClient> ssl;
    if (tls_->cert != nullptr) {
      ssl = std::make_unique<httplib::SSLClient>(name, config_.port, tls_->cert, tls_->key);
    } else {
      ssl = std::make_unique<httplib::SSLClient>(name, config_.port);
    }
    if (!config_.tls_server_name.empty()) {
      // Verify and send SNI for tls-server-name, connect to the real host.
      ssl->set_hostname_addr_map({{config_.tls_server_name, config_.host}});
    }
    if (config_.insecure_skip_tls_verify) {
      ssl->enable_server_certificate_verification(false);
    } else {
      ssl->enable_server_certificate_verification(true);
      if (!tls_->cas.empty()) {
        X509_STORE* store = X509_STORE_new();
        for (X509* ca : tls_->cas) X509_STORE_add_cert(store, ca);
        ssl->set_ca_cert_store(store);  // Owned by the client's SSL_CTX from here.
      }
    }
    client = std::move(ssl);
  } else {
    client = std::make_unique<httplib::ClientImpl>(config_.host, config_.port);
  }
  client->set_connection_timeout(options_.connect_timeout);
  client->set_write_timeout(options_.write_timeout);
  client->set_read_timeout(read_timeout);
  client->set_keep_alive(false);
  client->set_url_encode(false);  // Callers percent-encode query values themselves.
  return client;
}

HttpResult KubeClient::Get(const std::string& path_and_query,
                           std::chrono::milliseconds read_timeout) {
  return Run(path_and_query, read_timeout, nullptr);
}

HttpResult KubeClient::Stream(const std::string& path_and_query,
                              std::chrono::milliseconds read_timeout,
                              const std::function<bool(std::string_view line)>& on_line) {
  return Run(path_and_query, read_timeout, &on_line);
}

HttpResult KubeClient::Post(const std::string& path_and_query, const std::string& body,
                            const std::string& content_type,
                            std::chrono::milliseconds read_timeout) {
  return Run(path_and_query, read_timeout, nullptr, &body, content_type);
}

HttpResult KubeClient::Put(const std::string& path_and_query, const std::string& body,
                           const std::string& content_type,
                           std::chrono::milliseconds read_timeout) {
  return Run(path_and_query, read_timeout, nullptr, &body, content_type, /*put=*/true);
}

void KubeClient::Cancel() {
  cancelled_ = true;
  MutexLock lock(&active_mutex_);
  for (httplib::ClientImpl* client : active_) client->stop();
}

namespace {

// Where a response body goes: into the result (capped at kMaxBody; error
// bodies of a stream at kMaxErrorBody), or for a 200 stream split into
// lines for `on_line` (a line capped at kMaxLine).
class BodyReader {
 public:
  BodyReader(HttpResult* result, const std::function<bool(std::string_view line)>* on_line)
      : result_(result), on_line_(on_line) {}

  // False stops the transfer: the caller's on_line said so, or a limit.
  bool Feed(const char* data, std::size_t length) {
    if (on_line_ == nullptr || result_->status != 200) {
      const std::size_t limit = on_line_ == nullptr ? kMaxBody : kMaxErrorBody;
      if (result_->body.size() + length > limit) {
        too_large_ = on_line_ == nullptr;
        result_->body.append(data, limit - result_->body.size());
        return !too_large_;
      }
      result_->body.append(data, length);
      return true;
    }
    pending_.append(data, length);
    std::size_t start = 0;
    for (std::size_t newline; (newline = pending_.find('\n', start)) != std::string::npos;
         start = newline + 1) {
      std::string_view line(pending_.data() + start, newline - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (!(*on_line_)(line)) {
        stopped_by_caller_ = true;
        return false;
      }
    }
    pending_.erase(0, start);
    if (pending_.size() > kMaxLine) {
      too_large_ = true;
      return false;
    }
    return true;
  }

  // A complete stream's last line without a newline.
  void Finish() {
    if (on_line_ != nullptr && result_->status == 200 && !pending_.empty() && !stopped_by_caller_) {
      (*on_line_)(pending_);
    }
  }

  bool stopped_by_caller() const { return stopped_by_caller_; }
  bool too_large() const { return too_large_; }

 private:
  HttpResult* result_;
  const std::function<bool(std::string_view line)>* on_line_;
  std::string pending_;  // Partial line of a stream.
  bool stopped_by_caller_ = false;
  bool too_large_ = false;
};

// Accept, User-Agent, and the bearer token or basic auth of `config`.
httplib::Headers RequestHeaders(const KubeConfig& config, BearerToken& token_source) {
  httplib::Headers headers = {{"Accept", "application/json"},
                              {"User-Agent", "dbtopo_exporter (kubernetes discovery)"}};
  const Secret token = token_source.Current();
  if (!token.empty()) {
    headers.emplace("Authorization", "Bearer " + token.Reveal());
  } else if (!config.username.empty()) {
    headers.emplace("Authorization",
                    "Basic " + Base64(config.username + ":" + config.password.Reveal()));
  }
  return headers;
}

// Why a request got no response, with OpenSSL's verify result for a
// certificate that did not verify; `source` names where the config came from.
std::string TransportError(const httplib::Result& response, httplib::ClientImpl* client,
                           const std::string& source) {
  std::string error = DescribeError(response.error());
  if (response.error() == httplib::Error::SSLServerVerification) {
    if (auto* ssl = dynamic_cast<httplib::SSLClient*>(client)) {
      error += std::string(": ") + X509_verify_cert_error_string(ssl->get_openssl_verify_result()) +
               " (check certificate-authority / tls-server-name, " + source + ")";
    }
  } else if (response.error() == httplib::Error::SSLConnection) {
    error += " (TLS handshake failed; is the server https? " + source + ")";
  }
  return error;
}

}  // namespace

HttpResult KubeClient::Run(const std::string& path_and_query,
                           std::chrono::milliseconds read_timeout,
                           const std::function<bool(std::string_view line)>* on_line,
                           const std::string* post_body, const std::string& content_type,
                           bool put) {
  HttpResult result;
  if (cancelled_) {
    result.cancelled = true;
    result.error = "cancelled";
    return result;
  }
  std::unique_ptr<httplib::ClientImpl> client = NewClient(read_timeout);
  {
    MutexLock lock(&active_mutex_);
    active_.insert(client.get());
  }
  const httplib::Headers headers = RequestHeaders(config_, token_);
  BodyReader reader(&result, on_line);
  auto on_response = [&](const httplib::Response& response) {
    result.status = response.status;
    return true;
  };
  auto on_data = [&](const char* data, std::size_t length) {
    return !cancelled_ && reader.Feed(data, length);
  };
  const std::string path = config_.path_prefix + path_and_query;
  httplib::Result response = post_body == nullptr ? client->Get(path, headers, on_response, on_data)
                             : put ? client->Put(path, headers, *post_body, content_type)
                                   : client->Post(path, headers, *post_body, content_type);
  if (post_body != nullptr && response) {
    result.status = response->status;
    result.body = response->body;
  }
  {
    MutexLock lock(&active_mutex_);
    active_.erase(client.get());
  }
  if (response) {
    reader.Finish();
    return result;
  }
  if (reader.stopped_by_caller()) return result;
  if (cancelled_) {
    result.cancelled = true;
    result.error = "cancelled";
  } else if (reader.too_large()) {
    result.error =
        on_line == nullptr ? "response body larger than 256 MiB" : "watch event larger than 64 MiB";
  } else {
    result.error = TransportError(response, client.get(), config_.source);
  }
  return result;
}

}  // namespace dbtopo::kube
