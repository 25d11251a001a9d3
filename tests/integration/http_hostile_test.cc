// Hostile HTTP clients must not blind the exporter: idle and byte-dripping
// connections far beyond the old worker count leave /metrics answering, and
// an oversized unauthenticated POST is refused on its Content-Length before
// any body is sent, and a flood of wrong basic-auth passwords leaves a valid
// scrape answering. A client dripping its request (plain or TLS) is
// disconnected at the request deadline, while keep-alive still serves
// several requests on one connection.

#include <arpa/inet.h>
#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/exporter_process.h"
#include "support/loopback.h"
#include "support/process.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;

// A client socket with a 3 s receive timeout.
int Connect(int port) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return fd;
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// The HTTP side is under test: one Redis target that nothing listens on.
ExporterOptions OneUnreachableTarget() {
  ExporterOptions options;
  ClusterSpec spec;
  spec.name = "nowhere";
  spec.engine = "redis";
  spec.members.push_back({"nowhere-0", "127.0.0.1:" + std::to_string(FreePort()), {}});
  options.clusters.push_back(spec);
  options.log_level = "info";
  options.probe_timeout = "1s";
  return options;
}

class HttpHostileTest : public ::testing::Test {
 protected:
  void SetUp() override { exporter_.Start(OneUnreachableTarget()); }

  TempDir dir_{"dbtopo-http"};
  ExporterProcess exporter_{dir_};
};

TEST_F(HttpHostileTest, SlowAndIdleClientsDoNotStarveAScrape) {
  // Far beyond the 16 workers kept ready (and the old fixed 64).
  constexpr int kIdle = 100, kDripping = 100;
  std::vector<int> fds;
  for (int i = 0; i < kIdle + kDripping; ++i) {
    const int fd = Connect(exporter_.port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread dripper([&] {
    const std::string request = "GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Pad: ";
    for (std::size_t i = 0; !stop; ++i) {
      for (int k = kIdle; k < kIdle + kDripping; ++k) {
        ::send(fds[k], &request[i % request.size()], 1, MSG_NOSIGNAL);
      }
      for (int t = 0; t < 10 && !stop; ++t)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  // Every scrape while they hold their connections answers, well inside the
  // 3 s the client allows (the old pool made it wait 11-29 s).
  for (int i = 0; i < 5; ++i) {
    const HttpResult r = exporter_.Get("/metrics", std::chrono::seconds(3));
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_THAT(r.body, HasSubstr("dbtopo_up"));
  }
  stop = true;
  dripper.join();
  for (int fd : fds) ::close(fd);
}

// Sends `bytes` one every 250 ms until the server closes the connection or
// 40 s pass; returns how long the server kept it open.
std::chrono::seconds DripUntilClosed(int port, const std::string& bytes) {
  const int fd = Connect(port);
  if (fd < 0) return std::chrono::seconds(-1);
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                            start);
  };
  for (std::size_t i = 0; elapsed() < std::chrono::seconds(40); ++i) {
    if (::send(fd, &bytes[i % bytes.size()], 1, MSG_NOSIGNAL) != 1) break;
    pollfd p{fd, POLLIN, 0};
    // Readable here means closed: the server never answers a partial request.
    if (::poll(&p, 1, 250) > 0) {
      char c;
      const ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN)) break;
    }
  }
  ::close(fd);
  return elapsed();
}

TEST_F(HttpHostileTest, ADrippedRequestIsClosedAtItsDeadline) {
  // Each byte comes well within the 5 s read timeout, so only the deadline
  // for the whole request (10 s) can end it.
  const auto kept = DripUntilClosed(exporter_.port(), "GET /metrics HTTP/1.1\r\nX-Pad: aaaa");
  EXPECT_GE(kept.count(), 9);
  EXPECT_LE(kept.count(), 20);
  EXPECT_EQ(exporter_.Get("/-/healthy").status, 200);
}

TEST_F(HttpHostileTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  httplib::Client client("127.0.0.1", exporter_.port());
  client.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {
    auto response = client.Get("/-/healthy");
    ASSERT_TRUE(response) << httplib::to_string(response.error());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "Healthy\n");
  }
  // Past the keep-alive timeout (5 s) the server closes; the client reconnects.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  auto again = client.Get("/-/healthy");
  ASSERT_TRUE(again) << httplib::to_string(again.error());
  EXPECT_EQ(again->status, 200);
}

TEST(HttpHostileTlsTest, ADrippedHandshakeIsClosedAndHttpsStillServes) {
  TempDir dir{"dbtopo-http-tls"};
  const std::string tls = DBTOPO_KUBE_TESTDATA "/tls";
  const std::string web_config = dir.path() + "/web.yml";
  WriteFile(web_config, "tls_server_config:\n  cert_file: " + tls +
                            "/server.crt\n  key_file: " + tls + "/server.key\n");
  ExporterOptions options = OneUnreachableTarget();
  options.extra_args = {"--web.config.file=" + web_config};
  options.https_ca_file = tls + "/ca.crt";
  ExporterProcess exporter{dir};
  exporter.Start(options);
  // A TLS record header (handshake, TLS 1.0) and then padding, byte by byte.
  const auto kept = DripUntilClosed(
      exporter.port(), std::string("\x16\x03\x01\x40\x00", 5) + std::string(64, '\x01'));
  EXPECT_GE(kept.count(), 9);
  EXPECT_LE(kept.count(), 20);
  // Keep-alive over TLS: three requests on one connection.
  httplib::SSLClient client("127.0.0.1", exporter.port());
  client.set_ca_cert_path((tls + "/ca.crt").c_str());
  client.enable_server_certificate_verification(true);
  client.set_keep_alive(true);
  for (int i = 0; i < 3; ++i) {
    auto response = client.Get("/metrics");
    ASSERT_TRUE(response) << httplib::to_string(response.error());
    EXPECT_EQ(response->status, 200);
    EXPECT_THAT(response->body, HasSubstr("dbtopo_up"));
  }
}

TEST(HttpHostileAuthTest, WrongPasswordFloodDoesNotStarveAValidScrape) {
  TempDir dir{"dbtopo-http-auth"};
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  ASSERT_NE(crypt_gensalt_rn("$2b$", 12, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  const std::string hash = crypt_r("s3cret", salt, &data);
  const std::string web_config = dir.path() + "/web.yml";
  WriteFile(web_config, "basic_auth_users:\n  prom: '" + hash + "'\n");
  ExporterOptions options = OneUnreachableTarget();
  options.extra_args = {"--web.config.file=" + web_config};
  ExporterProcess exporter{dir};
  exporter.Start(options);
  auto get = [&](const std::string& password, std::chrono::seconds timeout) {
    httplib::Client client("127.0.0.1", exporter.port());
    client.set_read_timeout(timeout);
    client.set_basic_auth("prom", password.c_str());
    auto response = client.Get("/metrics");
    return response ? response->status : 0;
  };
  ASSERT_EQ(get("s3cret", std::chrono::seconds(10)), 200);  // verified once, then cached
  // 16 clients each trying a new wrong password (bcrypt cost 12) as fast as
  // they are answered.
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 16; ++t) {
    flood.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const int status =
            get("guess-" + std::to_string(t) + "-" + std::to_string(i), std::chrono::seconds(10));
        if (status == 401 || status == 429) ++refused;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  // Uncached, each would wait for a bcrypt among 16 (seconds on two cores).
  for (int i = 0; i < 10; ++i) EXPECT_EQ(get("s3cret", std::chrono::seconds(2)), 200);
  stop = true;
  for (auto& t : flood) t.join();
  EXPECT_GT(refused.load(), 0);
}

TEST_F(HttpHostileTest, OversizedPostIsRefusedBeforeItsBodyIsRead) {
  const int fd = Connect(exporter_.port());
  ASSERT_GE(fd, 0);
  const std::string head =
      "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 104857600\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  char buffer[512] = {};
  const ssize_t n = ::recv(fd, buffer, sizeof buffer - 1, 0);  // 3 s timeout.
  ::close(fd);
  ASSERT_GT(n, 0) << "no answer without the 100 MB body";
  EXPECT_THAT(std::string(buffer, n), HasSubstr("413"));
  EXPECT_EQ(exporter_.Get("/-/healthy").status, 200);
}

}  // namespace
}  // namespace dbtopo::testing
