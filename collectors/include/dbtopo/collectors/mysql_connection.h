#pragma once

// How every MySQL/MariaDB connection of the process is set up: the probes'
// and remediation's admin connections alike.

#include <mysql.h>

#include <chrono>

#include "dbtopo/base/secret.h"

namespace dbtopo {

/// Initialises the client library, once per process. mysql_init() would do
/// it lazily, which is not thread-safe: the poll loop creates probes from
/// several threads, and remediation opens admin connections on its own.
void MysqlLibraryInit();

/// The client library's timeouts are whole seconds: `timeout` rounded up
/// (a 1500 ms budget must not become 1 s), at least 1 (0 means forever).
unsigned MysqlTimeoutSeconds(std::chrono::milliseconds timeout);

/// A new handle (MysqlLibraryInit() first) with the options every
/// connection uses: TCP even for "localhost" (never the Unix socket), no
/// silent reconnect (a reconnect is the caller's decision), no LOCAL INFILE
/// (a hostile server must not be able to ask for files), connect timeout
/// `connect_timeout`, read and write timeouts `read_timeout` (whole seconds,
/// rounded up). With `tls`: TLS is required (MYSQL_OPT_SSL_ENFORCE: no
/// fallback to plain text), with its CA, client certificate and key, and the
/// server certificate verified against the host unless insecure_skip_verify
/// (MariaDB Connector/C checks the name it connects to; `server_name` is
/// refused for MySQL by the config loader). nullptr when out of memory; the
/// caller owns it (mysql_close).
MYSQL* NewMysqlHandle(std::chrono::milliseconds connect_timeout,
                      std::chrono::milliseconds read_timeout, const TlsClientConfig* tls = nullptr);

}  // namespace dbtopo
