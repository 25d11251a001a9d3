#pragma once

// The HTTPS server's OpenSSL context, from the web config's cert_file (a PEM
// chain, leaf first) and key_file (PEM private key).

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "dbtopo/base/result.h"

namespace dbtopo {

using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

/// A TLS 1.2+ server context holding the chain and the key, checked to
/// match. The error says what failed, naming the file and OpenSSL's reason.
Result<SslCtxPtr> NewTlsServerContext(const std::string& cert_file, const std::string& key_file);

}  // namespace dbtopo
