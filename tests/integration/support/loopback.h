#pragma once

// Plain TCP sockets on 127.0.0.1 for the hand-made servers and clients of
// the tests (relays, byte drippers, hostile HTTP clients).

namespace dbtopo::testing {

/// A socket listening on 127.0.0.1:<free port>; `*port` gets the port.
/// Throws std::runtime_error when it cannot bind.
int ListenLoopback(int* port);

/// A socket connected to 127.0.0.1:port, or -1.
int ConnectLoopback(int port);

}  // namespace dbtopo::testing
