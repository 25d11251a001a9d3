#include "web_config.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "tls_server_context.h"
#include "yaml_fields.h"

namespace dbtopo {
namespace {

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
  // What the HTTPS server does at start, done now so that --check-config and
  // a real start fail alike.
  if (auto made = NewTlsServerContext(config->cert_file, config->key_file); !made) {
    yaml::Fail(node, key, made.error().message);
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

Result<WebConfig> LoadWebConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot read: " + std::strerror(errno)};
  std::stringstream text;
  text << in.rdbuf();
  return ParseWebConfig(text.str(), path);
}

Result<WebConfig> ParseWebConfig(const std::string& text, const std::string& path) {
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
    return Error{out + e.message};
  } catch (const YAML::Exception& e) {
    return Error{path + ": unexpected YAML structure: " + e.msg};
  }
  return config;
}

}  // namespace dbtopo
