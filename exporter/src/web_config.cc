#include "web_config.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "yaml_fields.h"

namespace dbtopo {
namespace {

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// What the HTTPS server will do at start, done now so that --check-config and
// a real start fail alike: the chain and the key load and belong together.
std::string TlsMaterialProblem(const std::string& cert_file, const std::string& key_file) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        SSL_CTX_free);
  if (!ctx) return "cannot create a TLS context: " + OpenSslError();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return "cert_file " + cert_file + ": cannot load the certificate: " + OpenSslError();
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return "key_file " + key_file + ": cannot load the private key: " + OpenSslError();
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return "key_file " + key_file + " does not match cert_file " + cert_file + ": " +
           OpenSslError();
  }
  return "";
}

// Relative paths are relative to the web config file, as in the exporter-toolkit.
std::string Resolve(const std::string& file, const std::string& web_config_path) {
  std::filesystem::path p = file;
  if (p.is_relative()) p = std::filesystem::path(web_config_path).parent_path() / p;
  return p.string();
}

void ParseTls(const YAML::Node& node, const std::string& path, WebConfig* config) {
  const std::string key = "tls_server_config";
  if (!node.IsMap()) yaml::Fail(node, key, "must be a mapping with cert_file and key_file");
  for (const auto& entry : node) {
    const std::string name = yaml::KeyString(entry.first, key);
    if (name != "cert_file" && name != "key_file") {
      yaml::Fail(entry.first, key + "." + name, "not supported");
    }
  }
  for (const auto& [name, field] :
       {std::pair{"cert_file", &config->cert_file}, std::pair{"key_file", &config->key_file}}) {
    if (node[name]) *field = Resolve(yaml::ScalarString(node[name], key + "." + name), path);
  }
  if (config->cert_file.empty() || config->key_file.empty()) {
    yaml::Fail(node, key, "needs both cert_file and key_file");
  }
  if (std::string problem = TlsMaterialProblem(config->cert_file, config->key_file);
      !problem.empty()) {
    yaml::Fail(node, key, problem);
  }
}

void ParseUsers(const YAML::Node& node, WebConfig* config) {
  const std::string key = "basic_auth_users";
  if (!node.IsMap()) yaml::Fail(node, key, "must map user names to bcrypt hashes");
  for (const auto& user : node) {
    const std::string name = yaml::KeyString(user.first, key);
    const std::string hash = yaml::ScalarString(user.second, key + "." + name);
    if (!hash.starts_with("$2")) {
      yaml::Fail(user.second, key + "." + name, "must be a bcrypt hash ($2y$...)");
    }
    config->basic_auth_users[name] = hash;
  }
}

}  // namespace

std::variant<WebConfig, std::string> LoadWebConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path + ": cannot read: " + std::strerror(errno);
  std::stringstream text;
  text << in.rdbuf();
  return ParseWebConfig(text.str(), path);
}

std::variant<WebConfig, std::string> ParseWebConfig(const std::string& text,
                                                    const std::string& path) {
  WebConfig config;
  try {
    const YAML::Node root = yaml::Parse(text);
    if (!root || root.IsNull()) return config;
    if (!root.IsMap()) yaml::Fail(root, "", "must be a mapping");
    for (const auto& entry : root) {
      const std::string key = yaml::KeyString(entry.first, "");
      if (key == "tls_server_config") {
        ParseTls(entry.second, path, &config);
      } else if (key == "basic_auth_users") {
        ParseUsers(entry.second, &config);
      } else {
        yaml::Fail(entry.first, key, "unknown or unsupported key");
      }
    }
  } catch (const yaml::YamlInvalid& e) {
    std::string out = path;
    if (e.line > 0) out += ":" + std::to_string(e.line);
    out += ": ";
    if (!e.key.empty()) out += e.key + ": ";
    return out + e.message;
  } catch (const YAML::Exception& e) {
    return path + ": unexpected YAML structure: " + e.msg;
  }
  return config;
}

}  // namespace dbtopo
