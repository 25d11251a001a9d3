#pragma once

// Base64 (RFC 4648, padded) for building test inputs: kubeconfig *-data
// fields, Authorization: Basic headers. OpenSSL's encoder, not a copy of one.

#include <openssl/evp.h>

#include <string>

namespace dbtopo::test {

inline std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace dbtopo::test
