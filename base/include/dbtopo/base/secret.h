#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <utility>

namespace dbtopo {

/// Every secret the process holds, for redacting server texts that quote
/// one: a replicated `CREATE USER ... IDENTIFIED BY '...'` lands in the
/// replica's Last_SQL_Error, a Redis error echoes a command. Each non-empty
/// Secret registers its value on construction; nothing is ever removed (a
/// rotated token stays redacted).
namespace secrets {
void Register(const std::string& value);
/// Replaces, in `text`, every registered secret of at least 4 bytes with
/// "<secret>", and a trailing piece of at least 4 bytes that starts a secret
/// (what a server's length cap, such as Last_SQL_Error's 1,023 characters,
/// leaves of it). Shorter secrets are not searched for: they would match
/// ordinary words. Returns the number of replacements.
int Redact(std::string& text);
}  // namespace secrets

/// A password or token. Holds the value for the one call that needs it
/// (`Reveal()`); prints as "<secret>" everywhere else, so it cannot leak into
/// logs, metrics or the topology API by accident.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) { secrets::Register(value_); }

  /// The raw value. Call only where the server needs it (connect, AUTH).
  const std::string& Reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "<secret>"; }

 private:
  std::string value_;
};

/// `tls:` of a cluster or a discover rule: TLS to the database servers.
/// The server certificate is verified (chain to `ca_file`, else the system
/// store; name `server_name`, else the target's host) unless
/// insecure_skip_verify. Paths are absolute (the config loader resolves them
/// against the config file's folder).
struct TlsClientConfig {
  std::string ca_file;      ///< PEM CA bundle; "" = the system's default store.
  std::string cert_file;    ///< PEM client certificate; "" = none.
  std::string key_file;     ///< PEM key of cert_file.
  std::string server_name;  ///< Name to verify and send as SNI; "" = the host.
  bool insecure_skip_verify = false;
};

/// How a probe or an admin connection connects and logs in.
struct Credentials {
  std::string username;
  Secret password;
  /// TLS settings; null for plain TCP.
  std::shared_ptr<const TlsClientConfig> tls = nullptr;
};

}  // namespace dbtopo
