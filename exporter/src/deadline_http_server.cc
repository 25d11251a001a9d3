#include "deadline_http_server.h"

#include "connection_stream.h"

namespace dbtopo {

DeadlineHttpServer::DeadlineHttpServer(SslCtxPtr tls, std::chrono::seconds request_read_deadline)
    : tls_(std::move(tls)), request_read_deadline_(request_read_deadline) {
  ParseOneRequestInMemory();
}

// httplib builds some function-local statics on first use, such as the set of
// method names its request-line parser checks against. One request parsed
// here, on the constructing thread, before any route or worker exists, builds
// them ahead of the connection workers. That order is one that
// ThreadSanitizer can see: the library is not instrumented, so the guard of a
// static first built in one worker and read in another looks like a race.
// The request reaches no handler: none is registered yet.
void DeadlineHttpServer::ParseOneRequestInMemory() {
  httplib::detail::BufferStream stream;
  const std::string request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  stream.write(request.data(), request.size());
  bool closed = false;
  process_request(stream, true, closed, [](httplib::Request&) {});
}

// Runs after the headers are read, before routing and before httplib decides
// on compressing the response (from Accept-Encoding).
void DeadlineHttpServer::MoveAcceptEncoding(httplib::Request& req) {
  req.headers.erase(kClientAcceptEncoding);
  std::string accepted;
  const auto [first, last] = req.headers.equal_range("Accept-Encoding");
  for (auto it = first; it != last; ++it) accepted += (accepted.empty() ? "" : ",") + it->second;
  req.headers.erase("Accept-Encoding");
  if (!accepted.empty()) req.headers.emplace(kClientAcceptEncoding, accepted);
}

bool DeadlineHttpServer::process_and_close_socket(socket_t sock) {
  using std::chrono::seconds;
  const auto millis = [](time_t sec, time_t usec) {
    return std::chrono::milliseconds(sec * 1000 + usec / 1000);
  };
  ConnectionStream stream(sock, tls_.get(), millis(read_timeout_sec_, read_timeout_usec_),
                          millis(write_timeout_sec_, write_timeout_usec_));
  stream.StartRequest(ConnectionStream::Clock::now() + request_read_deadline_);
  if (!stream.Handshake()) return false;
  // httplib's own keep-alive loop, with a deadline for each request's reads.
  const auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
  bool ok = true;
  for (std::size_t left = keep_alive_max_count_; left > 0; --left) {
    if (!stream.WaitForRequest(seconds(keep_alive_timeout_sec_), stopping)) break;
    stream.StartRequest(ConnectionStream::Clock::now() + request_read_deadline_);
    bool closed = false;
    ok = process_request(stream, left == 1, closed, MoveAcceptEncoding);
    if (!ok || closed) break;
  }
  return ok;
}

}  // namespace dbtopo
