#include "dbtopo/collectors/mysql_connection.h"

#include <mutex>

namespace dbtopo {

void MysqlLibraryInit() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

unsigned MysqlTimeoutSeconds(std::chrono::milliseconds timeout) {
  const auto s = std::chrono::ceil<std::chrono::seconds>(timeout).count();
  return s < 1 ? 1u : static_cast<unsigned>(s);
}

namespace {

void SetTls(MYSQL* mysql, const TlsClientConfig& tls) {
  auto path = [](const std::string& p) { return p.empty() ? nullptr : p.c_str(); };
  mysql_ssl_set(mysql, path(tls.key_file), path(tls.cert_file), path(tls.ca_file), nullptr,
                nullptr);
  const my_bool enforce = 1;
  mysql_options(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce);
  const my_bool verify = tls.insecure_skip_verify ? 0 : 1;
  mysql_options(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
}

}  // namespace

MYSQL* NewMysqlHandle(std::chrono::milliseconds connect_timeout,
                      std::chrono::milliseconds read_timeout, const TlsClientConfig* tls) {
  MysqlLibraryInit();
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return nullptr;
  const unsigned connect_s = MysqlTimeoutSeconds(connect_timeout);
  const unsigned read_s = MysqlTimeoutSeconds(read_timeout);
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &read_s);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &read_s);
  const bool reconnect = false;
  mysql_options(mysql, MYSQL_OPT_RECONNECT, &reconnect);
  const unsigned protocol = MYSQL_PROTOCOL_TCP;
  mysql_options(mysql, MYSQL_OPT_PROTOCOL, &protocol);
  const unsigned local_infile = 0;
  mysql_options(mysql, MYSQL_OPT_LOCAL_INFILE, &local_infile);
  if (tls != nullptr) SetTls(mysql, *tls);
  return mysql;
}

}  // namespace dbtopo
