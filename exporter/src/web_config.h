#pragma once

// `--web.config.file`, in the Prometheus exporter-toolkit format:
//
//   tls_server_config:
//     cert_file: /etc/dbtopo/tls.crt
//     key_file: /etc/dbtopo/tls.key
//   basic_auth_users:
//     prometheus: $2y$10$...   # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
//
// Other exporter-toolkit keys (client auth, cipher suites, http_server_config)
// are rejected with a clear error rather than silently ignored.

#include <map>
#include <string>

#include "dbtopo/base/result.h"

namespace dbtopo {

struct WebConfig {
  std::string cert_file;  ///< "" = plain HTTP. Absolute or relative to the cwd.
  std::string key_file;
  /// User name -> bcrypt hash; empty = no authentication.
  std::map<std::string, std::string> basic_auth_users;

  bool tls() const { return !cert_file.empty(); }
};

/// Loads `path`; the error reads "file:line: key: message". Relative
/// cert_file/key_file are resolved against the file's directory, and the TLS
/// material is loaded (certificate chain, key, and that they match) so that a
/// bad file fails here, in --check-config, rather than at the first request.
Result<WebConfig> LoadWebConfig(const std::string& path);

/// Parses web config `text` as if read from `path` (used in errors and to
/// resolve relative TLS paths). Never throws.
Result<WebConfig> ParseWebConfig(const std::string& text, const std::string& path);

}  // namespace dbtopo
