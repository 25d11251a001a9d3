// `tls:` of a cluster or a discover rule: TLS to the database servers.

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "config_sections.h"
#include "dbtopo/analysis/engines.h"
#include "dbtopo/collectors/tls_client.h"

namespace dbtopo::config_detail {
namespace {

// A readable file named by `node[key]`, relative to the config file; "" when
// the key is absent.
std::string ReadablePath(const YAML::Node& node, const std::string& path, const char* key,
                         const std::string& config_file) {
  if (!node[key]) return "";
  const std::string field = path + "." + key;
  std::filesystem::path p = ScalarString(node[key], field);
  if (p.is_relative()) p = std::filesystem::path(config_file).parent_path() / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) Fail(node[key], field, "cannot read " + p.string() + ": " + std::strerror(errno));
  // OpenSSL reads it whole: a directory, a device or a pipe is no PEM file.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) {
    Fail(node[key], field, "cannot read " + p.string() + ": not a regular file");
  }
  return p.string();
}

}  // namespace

std::shared_ptr<const TlsClientConfig> ParseTls(const YAML::Node& parent, const std::string& path,
                                                const std::string& config_file, Engine engine) {
  const YAML::Node node = parent["tls"];
  if (!node) return nullptr;
  const std::string tls_path = path + ".tls";
  if (!node.IsMap()) Fail(node, tls_path, "must be a mapping (ca_file, cert_file, ...)");
  CheckKeys(node, tls_path,
            {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"});
  auto tls = std::make_shared<TlsClientConfig>();
  tls->ca_file = ReadablePath(node, tls_path, "ca_file", config_file);
  tls->cert_file = ReadablePath(node, tls_path, "cert_file", config_file);
  tls->key_file = ReadablePath(node, tls_path, "key_file", config_file);
  if (tls->cert_file.empty() != tls->key_file.empty()) {
    Fail(node, tls_path, "set both cert_file and key_file (a client certificate and its key)");
  }
  ReadIfPresent(node, tls_path, "server_name", ScalarString, &tls->server_name);
  if (!tls->server_name.empty() && !Traits(engine).tls_server_name) {
    Fail(node["server_name"], tls_path + ".server_name",
         std::string("is not supported for engine ") + EngineName(engine) +
             ": its client library checks the certificate against the address's host");
  }
  ReadIfPresent(node, tls_path, "insecure_skip_verify", BoolValue, &tls->insecure_skip_verify);
  // The files must make a context now, not at the first probe: a bad key is
  // a config error.
  if (auto context = NewTlsClientContext(*tls); !context) {
    Fail(node, tls_path, context.error().message);
  }
  return tls;
}

std::shared_ptr<const Credentials> WithTls(std::shared_ptr<const Credentials> credentials,
                                           std::shared_ptr<const TlsClientConfig> tls) {
  if (tls == nullptr) return credentials;
  auto copy = std::make_shared<Credentials>(*credentials);
  copy->tls = std::move(tls);
  return copy;
}

}  // namespace dbtopo::config_detail
