#include "web_config.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <memory>
#include <vector>

namespace dbtopo {
namespace {

std::string Located(const std::string& file, const YAML::Node& node, const std::string& key,
                    const std::string& message) {
  return file + ":" + std::to_string(node.Mark().line + 1) + ": " + key + ": " + message;
}

std::string DecodeBase64(const std::string& in) {
  if (in.empty() || in.size() % 4 != 0) return "";
  std::vector<unsigned char> out(in.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return "";
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts '=' padding as zero bytes.
  if (in.ends_with("=="))
    len -= 2;
  else if (in.ends_with("="))
    len -= 1;
  return std::string(reinterpret_cast<char*>(out.data()), len);
}

}  // namespace

std::variant<WebConfig, std::string> LoadWebConfig(const std::string& path) {
  WebConfig config;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (!root || root.IsNull()) return config;
    if (!root.IsMap()) return Located(path, root, "", "must be a mapping");
    for (const auto& entry : root) {
      const std::string key = entry.first.as<std::string>();
      if (key == "tls_server_config") {
        for (const auto& tls : entry.second) {
          const std::string tkey = tls.first.as<std::string>();
          if (tkey == "cert_file")
            config.cert_file = tls.second.as<std::string>();
          else if (tkey == "key_file")
            config.key_file = tls.second.as<std::string>();
          else
            return Located(path, tls.first, key + "." + tkey, "not supported");
        }
        if (config.cert_file.empty() || config.key_file.empty()) {
          return Located(path, entry.second, key, "needs both cert_file and key_file");
        }
      } else if (key == "basic_auth_users") {
        for (const auto& user : entry.second) {
          const std::string name = user.first.as<std::string>();
          const std::string hash = user.second.as<std::string>();
          if (!hash.starts_with("$2")) {
            return Located(path, user.second, key + "." + name, "must be a bcrypt hash ($2y$...)");
          }
          config.basic_auth_users[name] = hash;
        }
      } else {
        return Located(path, entry.first, key, "unknown or unsupported key");
      }
    }
  } catch (const YAML::Exception& e) {
    return path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg;
  }
  return config;
}

bool CheckBasicAuth(const WebConfig& config, const std::string& header) {
  if (config.basic_auth_users.empty()) return true;
  if (!header.starts_with("Basic ")) return false;
  const std::string decoded = DecodeBase64(header.substr(6));
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  const auto user = config.basic_auth_users.find(decoded.substr(0, colon));
  if (user == config.basic_auth_users.end()) return false;
  const std::string password = decoded.substr(colon + 1);
  auto data = std::make_unique<crypt_data>();
  const char* hashed = crypt_r(password.c_str(), user->second.c_str(), data.get());
  if (hashed == nullptr || hashed[0] == '*') return false;
  const std::string computed(hashed);
  return computed.size() == user->second.size() &&
         CRYPTO_memcmp(computed.data(), user->second.data(), computed.size()) == 0;
}

}  // namespace dbtopo
