#pragma once

// TLS to database servers (OpenSSL): the client context a `tls:` config
// gives, shared by the Redis probe, the sentinel probe and remediation's
// Redis admin connections. MySQL/MariaDB use the client library's own TLS
// (mysql_connection.h).

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "dbtopo/base/result.h"
#include "dbtopo/base/secret.h"

namespace dbtopo {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

/// A client context: TLS 1.2 at least; the CA file's certificates (else the
/// system's default store) as trust anchors and peer verification on, unless
/// insecure_skip_verify; the client certificate and key when given (checked
/// to match). Errors name the file and OpenSSL's reason ("tls.ca_file
/// /x/ca.pem: No such file or directory"); never a key's content.
Result<SslCtxPtr> NewTlsClientContext(const TlsClientConfig& tls);

/// OpenSSL's queued errors as one line ("certificate verify failed"), and
/// the queue cleared; `fallback` when the queue is empty.
std::string TakeOpenSslError(const std::string& fallback);

}  // namespace dbtopo
