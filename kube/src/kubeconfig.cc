#include "dbtopo/kube/kubeconfig.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "dbtopo/base/files.h"
#include "dbtopo/base/strings.h"

namespace dbtopo::kube {
namespace {

// A parsed document of the merge, with its path.
struct Doc {
  std::string path;
  YAML::Node root;
};

// A named entry (cluster, user, context) found in one document.
struct Entry {
  const Doc* doc = nullptr;
  std::string field;  // e.g. "users[1].user"
  YAML::Node body;
};

class Resolver {
 public:
  explicit Resolver(std::vector<Doc> docs) : docs_(std::move(docs)) {}

  KubeConfigResult Resolve() {
    KubeConfig config;
    for (const Doc& doc : docs_) {
      if (!config.source.empty()) config.source += ":";
      config.source += doc.path;
    }
    // current-context: first document that sets it.
    const Doc* context_doc = nullptr;
    for (const Doc& doc : docs_) {
      const YAML::Node node = doc.root["current-context"];
      if (node && node.IsScalar() && !node.Scalar().empty()) {
        config.context = node.Scalar();
        context_doc = &doc;
        break;
      }
    }
    if (context_doc == nullptr) {
      return Error(docs_.front(), "current-context",
                   "not set (run `kubectl config use-context NAME` or set it in the file)");
    }
    std::optional<Entry> context = Find("contexts", "context", config.context);
    if (!context) {
      return Error(*context_doc, "current-context",
                   "context \"" + config.context + "\" is not defined under contexts[]");
    }
    const std::string cluster_name = Scalar(context->body, "cluster");
    config.user = Scalar(context->body, "user");
    config.ns = Scalar(context->body, "namespace");
    if (cluster_name.empty()) {
      return Error(*context->doc, context->field + ".cluster", "missing");
    }
    std::optional<Entry> cluster = Find("clusters", "cluster", cluster_name);
    if (!cluster) {
      return Error(*context->doc, context->field + ".cluster",
                   "cluster \"" + cluster_name + "\" is not defined under clusters[]");
    }
    if (auto error = ReadCluster(*cluster, &config)) return *error;
    if (!config.user.empty()) {
      std::optional<Entry> user = Find("users", "user", config.user);
      if (!user) {
        return Error(*context->doc, context->field + ".user",
                     "user \"" + config.user + "\" is not defined under users[]");
      }
      if (auto error = ReadUser(*user, &config)) return *error;
    }
    return config;
  }

  // Error for a document that could not be parsed at all.
  static KubeConfigError Error(const Doc& doc, const std::string& field,
                               const std::string& message) {
    return KubeConfigError{doc.path, field, message};
  }

 private:
  static std::string Scalar(const YAML::Node& node, const char* key) {
    if (!node || !node.IsMap()) return "";
    const YAML::Node value = node[key];
    if (!value || !value.IsScalar()) return "";
    return value.Scalar();
  }

  // Finds list[name == name].item in the first document that defines it.
  std::optional<Entry> Find(const char* list, const char* item, const std::string& name) const {
    for (const Doc& doc : docs_) {
      const YAML::Node entries = doc.root[list];
      if (!entries || !entries.IsSequence()) continue;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (Scalar(entries[i], "name") != name) continue;
        return Entry{&doc, std::string(list) + "[" + std::to_string(i) + "]." + item,
                     entries[i][item]};
      }
    }
    return std::nullopt;
  }

  // Resolves `path` relative to the kubeconfig file's directory.
  static std::string Resolve(const Doc& doc, const std::string& path) {
    if (path.empty() || path.front() == '/') return path;
    if (path.starts_with("~/")) {
      const char* home = std::getenv("HOME");
      if (home != nullptr) return std::string(home) + path.substr(1);
    }
    return (std::filesystem::path(doc.path).parent_path() / path).string();
  }

  // Reads a `<key>` (path) / `<key>-data` (base64) pair; data wins.
  // Returns an error, or std::nullopt with *pem filled ("" when neither is set).
  static std::optional<KubeConfigError> ReadPem(const Entry& entry, const std::string& key,
                                                std::string* pem, std::string* origin) {
    const std::string data = Scalar(entry.body, (key + "-data").c_str());
    const std::string path = Scalar(entry.body, key.c_str());
    if (!data.empty()) {
      if (!DecodeBase64(data, pem)) {
        return Error(*entry.doc, entry.field + "." + key + "-data", "is not valid base64");
      }
      if (origin != nullptr) *origin = key + "-data";
    } else if (!path.empty()) {
      const std::string resolved = Resolve(*entry.doc, path);
      auto read = ReadWholeFile(resolved);
      if (!read) return Error(*entry.doc, entry.field + "." + key, read.error().message);
      *pem = std::move(read).value();
      if (origin != nullptr) *origin = resolved;
    } else {
      pem->clear();
      return std::nullopt;
    }
    if (pem->find("-----BEGIN ") == std::string::npos) {
      return Error(*entry.doc, entry.field + "." + key + (data.empty() ? "" : "-data"),
                   "does not contain PEM data (no \"-----BEGIN\" line)");
    }
    return std::nullopt;
  }

  std::optional<KubeConfigError> ReadCluster(const Entry& entry, KubeConfig* config) const {
    if (!entry.body || !entry.body.IsMap()) {
      return Error(*entry.doc, entry.field, "missing or not a mapping");
    }
    const std::string server = Scalar(entry.body, "server");
    if (server.empty()) return Error(*entry.doc, entry.field + ".server", "missing");
    if (Status parsed = ParseServerUrl(server, config); !parsed) {
      return Error(*entry.doc, entry.field + ".server", parsed.error().message);
    }
    const std::string insecure = Scalar(entry.body, "insecure-skip-tls-verify");
    if (!insecure.empty()) {
      if (insecure == "true") {
        config->insecure_skip_tls_verify = true;
      } else if (insecure != "false") {
        return Error(*entry.doc, entry.field + ".insecure-skip-tls-verify",
                     "must be true or false, got \"" + insecure + "\"");
      }
    }
    if (auto error = ReadPem(entry, "certificate-authority", &config->ca_pem, &config->ca_origin)) {
      return error;
    }
    if (config->insecure_skip_tls_verify && !config->ca_pem.empty()) {
      return Error(*entry.doc, entry.field + ".insecure-skip-tls-verify",
                   "cannot be combined with certificate-authority(-data) (kubectl rejects it too)");
    }
    config->tls_server_name = Scalar(entry.body, "tls-server-name");
    return std::nullopt;
  }

  std::optional<KubeConfigError> ReadUser(const Entry& entry, KubeConfig* config) const {
    if (!entry.body || entry.body.IsNull()) return std::nullopt;  // Anonymous.
    if (!entry.body.IsMap()) return Error(*entry.doc, entry.field, "not a mapping");
    const std::string token = Scalar(entry.body, "token");
    if (!token.empty()) config->token = Secret(std::string(Trim(token)));
    const std::string token_file = Scalar(entry.body, "tokenFile");
    if (!token_file.empty()) {
      config->token_file = Resolve(*entry.doc, token_file);
      auto content = ReadWholeFile(config->token_file);
      if (!content) return Error(*entry.doc, entry.field + ".tokenFile", content.error().message);
      if (Trim(*content).empty()) {
        return Error(*entry.doc, entry.field + ".tokenFile",
                     "file " + config->token_file + " is empty");
      }
    }
    if (auto error = ReadPem(entry, "client-certificate", &config->client_cert_pem, nullptr)) {
      return error;
    }
    std::string key_pem;
    if (auto error = ReadPem(entry, "client-key", &key_pem, nullptr)) return error;
    config->client_key_pem = Secret(std::move(key_pem));
    if (config->client_cert_pem.empty() != config->client_key_pem.empty()) {
      return Error(
          *entry.doc,
          entry.field + (config->client_cert_pem.empty() ? ".client-certificate" : ".client-key"),
          "missing: client-certificate(-data) and client-key(-data) go together");
    }
    config->username = Scalar(entry.body, "username");
    config->password = Secret(Scalar(entry.body, "password"));
    const bool has_credentials = !config->token.empty() || !config->token_file.empty() ||
                                 !config->client_cert_pem.empty() || !config->username.empty();
    for (const char* plugin : {"exec", "auth-provider"}) {
      if (entry.body[plugin] && !has_credentials) {
        return Error(*entry.doc, entry.field + "." + plugin,
                     "credential plugins are not supported; use a token, tokenFile or a client "
                     "certificate (e.g. a service account token)");
      }
    }
    return std::nullopt;
  }

  std::vector<Doc> docs_;
};

}  // namespace

std::string KubeConfig::Describe() const {
  std::string out = server + " (" + source;
  if (!context.empty()) out += ", context " + context;
  if (!user.empty()) out += ", user " + user;
  std::string auth;
  if (!token_file.empty()) {
    auth = "token file " + token_file;
  } else if (!token.empty()) {
    auth = "bearer token";
  } else if (!client_cert_pem.empty()) {
    auth = "client certificate";
  } else if (!username.empty()) {
    auth = "basic auth";
  } else {
    auth = "no credentials";
  }
  out += ", " + auth;
  if (!client_cert_pem.empty() && auth != "client certificate") out += " + client certificate";
  if (insecure_skip_tls_verify) out += ", insecure-skip-tls-verify";
  return out + ")";
}

std::string KubeConfigError::ToString() const {
  std::string out = file.empty() ? "kubernetes" : "kubeconfig " + file;
  if (!field.empty()) out += ": " + field;
  return out + ": " + message;
}

bool DecodeBase64(const std::string& in, std::string* out) {
  out->clear();
  std::string text;
  text.reserve(in.size() + 3);
  for (char c : in) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') text += c;
  }
  // Padding only at the end, at most two; unpadded input is padded here
  // (OpenSSL's block decoder wants whole quads).
  const std::size_t data_end = text.find('=');
  const std::size_t padding = data_end == std::string::npos ? 0 : text.size() - data_end;
  if (padding > 2 || (data_end != std::string::npos &&
                      text.find_first_not_of('=', data_end) != std::string::npos)) {
    return false;
  }
  const std::size_t data = text.size() - padding;
  if (data % 4 == 1) return false;  // Not a whole byte.
  text.resize(data);
  while (text.size() % 4 != 0) text += '=';
  if (text.empty()) return true;
  out->resize(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out->data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) {
    out->clear();
    return false;
  }
  // EVP_DecodeBlock counts the padding's zero bytes too: keep the data's.
  out->resize(data / 4 * 3 + (data % 4 == 0 ? 0 : data % 4 - 1));
  return true;
}

Status ParseServerUrl(const std::string& url, KubeConfig* out) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return Error{"\"" + url + "\" is not a URL (want https://host[:port])"};
  }
  out->scheme = url.substr(0, scheme_end);
  if (out->scheme != "http" && out->scheme != "https") {
    return Error{"scheme \"" + out->scheme + "\" is not supported (want http or https)"};
  }
  std::string rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out->path_prefix = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out->path_prefix.empty() && out->path_prefix.back() == '/') out->path_prefix.pop_back();
  if (authority.find('@') != std::string::npos) {
    return Error{"credentials in the server URL are not supported"};
  }
  std::string port_text;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string::npos) return Error{"unterminated IPv6 address in \"" + url + "\""};
    out->host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Error{"bad address \"" + authority + "\""};
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    out->host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out->host.empty()) return Error{"no host in \"" + url + "\""};
  if (port_text.empty()) {
    out->port = out->scheme == "https" ? 443 : 80;
  } else {
    char* end = nullptr;
    const long port = std::strtol(port_text.c_str(), &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535) return Error{"bad port \"" + port_text + "\""};
    out->port = static_cast<int>(port);
  }
  out->server = url;
  return {};
}

KubeConfigResult ParseKubeConfig(const std::vector<KubeConfigFile>& files) {
  if (files.empty()) return KubeConfigError{"", "", "no kubeconfig file given"};
  std::vector<Doc> docs;
  for (const KubeConfigFile& file : files) {
    Doc doc{file.path, {}};
    try {
      doc.root = YAML::Load(file.text);
    } catch (const YAML::Exception& e) {
      return KubeConfigError{
          file.path, "", "invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg};
    }
    if (doc.root.IsNull()) continue;  // Empty file: kubectl ignores it.
    if (!doc.root.IsMap()) return KubeConfigError{file.path, "", "not a YAML mapping"};
    const YAML::Node kind = doc.root["kind"];
    if (kind && kind.IsScalar() && kind.Scalar() != "Config") {
      return KubeConfigError{file.path, "kind", "is \"" + kind.Scalar() + "\", want Config"};
    }
    for (const char* list : {"clusters", "users", "contexts"}) {
      const YAML::Node node = doc.root[list];
      if (node && !node.IsNull() && !node.IsSequence()) {
        return KubeConfigError{file.path, list, "must be a list"};
      }
    }
    docs.push_back(std::move(doc));
  }
  if (docs.empty()) return KubeConfigError{files.front().path, "", "file is empty"};
  try {
    return Resolver(std::move(docs)).Resolve();
  } catch (const YAML::Exception& e) {
    return KubeConfigError{files.front().path, "",
                           std::string("unexpected structure: ") + e.what()};
  }
}

}  // namespace dbtopo::kube
