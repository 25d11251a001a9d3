#pragma once

// httplib's server with each connection served through a ConnectionStream:
// plain or TLS, and every request's reads bounded by one deadline.
//
// httplib bounds each read by its read timeout, not the request: a client
// sending one header byte every few seconds would hold its connection (and
// its worker) for as long as it pleased. Here the TLS handshake and each
// request (request line, headers, body) must arrive within
// `request_read_deadline` of its start; the connection is closed otherwise.
// Keep-alive, routing, handlers and responses stay httplib's.

#include <httplib.h>

#include <chrono>

#include "tls_server_context.h"

namespace dbtopo {

class DeadlineHttpServer : public httplib::Server {
 public:
  /// The request's Accept-Encoding, moved here before routing: httplib would
  /// otherwise gzip every text response again for every request. Handlers
  /// that compress (once, e.g. per poll round) read it from here.
  static constexpr char kClientAcceptEncoding[] = "X-Dbtopo-Client-Accept-Encoding";

  /// `tls`: the HTTPS context, or null for plain HTTP.
  DeadlineHttpServer(SslCtxPtr tls, std::chrono::seconds request_read_deadline);

 private:
  // Called by httplib's accept loop, in a connection worker, per connection.
  bool process_and_close_socket(socket_t sock) override;
  void ParseOneRequestInMemory();
  static void MoveAcceptEncoding(httplib::Request& req);

  const SslCtxPtr tls_;
  const std::chrono::seconds request_read_deadline_;
};

}  // namespace dbtopo
