#pragma once

// One accepted HTTP connection, plain or TLS, as the httplib::Stream the
// request parser reads from and the response is written to.
//
// The socket is non-blocking and every wait is a poll(), so two bounds hold
// whatever the client sends:
//  * each read or write waits at most its timeout for the socket;
//  * all the reads of one request (TLS handshake, request line, headers,
//    body) end by the request's read deadline, set with StartRequest(). A
//    client dripping a byte a second is closed at the deadline, not kept
//    for as long as it keeps dripping.
// A read past the deadline, a timeout or a socket/TLS error returns -1 and
// the server closes the connection.

#include <httplib.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace dbtopo {

class ConnectionStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  /// Takes ownership of `fd` (closed by the destructor). `tls`: a server
  /// context to speak TLS with, or nullptr for plain HTTP.
  ConnectionStream(int fd, SSL_CTX* tls, std::chrono::milliseconds read_timeout,
                   std::chrono::milliseconds write_timeout);
  ~ConnectionStream() override;
  ConnectionStream(const ConnectionStream&) = delete;
  ConnectionStream& operator=(const ConnectionStream&) = delete;

  /// Starts the next request: its reads must end by `read_deadline`.
  void StartRequest(Clock::time_point read_deadline) { deadline_ = read_deadline; }
  /// TLS: completes the handshake by the current read deadline (no-op for
  /// plain HTTP). False on failure or timeout.
  bool Handshake();
  /// Waits up to `idle` for the next request's first byte; false on EOF,
  /// error or when `stopping()` turns true (checked every 100 ms).
  bool WaitForRequest(std::chrono::milliseconds idle, const std::function<bool()>& stopping) const;

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return fd_; }

 private:
  /// Bytes already received but not yet handed out (ours or OpenSSL's).
  bool Buffered() const;
  /// Waits for `events` on the socket for at most `wait`.
  bool Poll(short events, Clock::duration wait) const;
  /// What is left of the read deadline, capped at the read timeout.
  Clock::duration ReadWait() const;
  /// Receives into buffer_; false on EOF, error, timeout or past the deadline.
  bool Fill();
  /// After a TLS call returned `ret`: waits as OpenSSL asks; false = give up.
  bool WaitForTls(int ret, Clock::duration wait);

  const int fd_;
  SSL* ssl_ = nullptr;
  const std::chrono::milliseconds read_timeout_;
  const std::chrono::milliseconds write_timeout_;
  Clock::time_point deadline_ = Clock::time_point::max();
  std::string buffer_;
  std::size_t offset_ = 0;  // first byte of buffer_ not yet read
};

}  // namespace dbtopo
