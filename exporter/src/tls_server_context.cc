#include "tls_server_context.h"

#include <openssl/err.h>

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

}  // namespace

Result<SslCtxPtr> NewTlsServerContext(const std::string& cert_file, const std::string& key_file) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) {
    return Error{"cannot create a TLS context: " + OpenSslError()};
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Writes may return after part of the buffer, as plain send() does.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return Error{"cert_file " + cert_file + ": cannot load the certificate: " + OpenSslError()};
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Error{"key_file " + key_file + ": cannot load the private key: " + OpenSslError()};
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Error{"key_file " + key_file + " does not match cert_file " + cert_file + ": " +
                 OpenSslError()};
  }
  return ctx;
}

}  // namespace dbtopo
