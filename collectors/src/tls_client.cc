#include "dbtopo/collectors/tls_client.h"

#include <openssl/err.h>

namespace dbtopo {

std::string TakeOpenSslError(const std::string& fallback) {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    // "error:0A000086:SSL routines::certificate verify failed": the reason
    // is what people read.
    std::string text = buffer;
    if (const auto colon = text.rfind(':'); colon != std::string::npos) text.erase(0, colon + 1);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? fallback : out;
}

Result<SslCtxPtr> NewTlsClientContext(const TlsClientConfig& tls) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return Error{"TLS: " + TakeOpenSslError("cannot create a context")};
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (!tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr) != 1) {
      return Error{"tls.ca_file " + tls.ca_file + ": " + TakeOpenSslError("cannot load")};
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return Error{"TLS: " + TakeOpenSslError("cannot load the system's CA store")};
  }
  SSL_CTX_set_verify(ctx.get(), tls.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                     nullptr);
  if (!tls.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1) {
      return Error{"tls.cert_file " + tls.cert_file + ": " + TakeOpenSslError("cannot load")};
    }
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return Error{"tls.key_file " + tls.key_file + ": " + TakeOpenSslError("cannot load")};
    }
    if (SSL_CTX_check_private_key(ctx.get()) != 1) {
      return Error{"tls.key_file " + tls.key_file + " does not match tls.cert_file " +
                   tls.cert_file};
    }
  }
  return ctx;
}

}  // namespace dbtopo
