// One slow target must not freeze the exporter: servers that drip their
// MySQL handshake or Redis reply one byte every 300 ms (each byte well within
// any per-read timeout) cost their own probe at most probe_timeout, and every
// round, for everyone, ends by then. A real MariaDB unit beside them stays
// up and fresh.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>

#include "support/drip_server.h"
#include "support/exporter_process.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/prom_text.h"

namespace dbtopo::testing {
namespace {

using ::testing::HasSubstr;

constexpr auto kDrip = std::chrono::milliseconds(300);

// A MySQL greeting header promising 74 bytes, then the bytes of one.
const std::string kMysqlGreeting =
    std::string("\x4a\x00\x00\x00\x0a", 5) + "8.0.36" + std::string(40, '\x01');
// A Redis status reply that never ends its line.
const std::string kRedisReply = "+OK" + std::string(60, 'a');

ClusterSpec DripCluster(const std::string& name, const std::string& engine, int port) {
  ClusterSpec spec;
  spec.name = name;
  spec.engine = engine;
  spec.username = "exporter";
  spec.password = "drip-password";
  spec.members.push_back({name + "-0", "127.0.0.1:" + std::to_string(port), {}});
  return spec;
}

TEST(SlowTargetTest, ByteDrippingServersCostAtMostTheProbeTimeout) {
  MariadbTopology topo;
  topo.Start(1);
  DripServer mysql_drip(kMysqlGreeting, kDrip);
  DripServer redis_drip(kRedisReply, kDrip);
  TempDir dir("dbtopo-slow");
  ExporterProcess exporter(dir);
  ExporterOptions options;
  options.poll_interval = "1s";
  options.probe_timeout = "1s";
  options.clusters.push_back(topo.ToClusterSpec("orders"));
  options.clusters.push_back(DripCluster("mdrip", "mysql", mysql_drip.port()));
  options.clusters.push_back(DripCluster("rdrip", "redis", redis_drip.port()));
  exporter.Start(options);

  Metrics m;
  ASSERT_TRUE(exporter.WaitFor(
      "both drippers down, the real unit up",
      [&](const Metrics& x) {
        return x.Is("dbtopo_up", {{"pod", "mdrip-0"}}, 0) &&
               x.Is("dbtopo_up", {{"pod", "rdrip-0"}}, 0) &&
               x.Is("dbtopo_up", {{"pod", "mysql-0"}}, 1) &&
               x.Is("dbtopo_up", {{"pod", "mysql-1"}}, 1);
      },
      std::chrono::seconds(20), &m));

  // Ten more rounds: each ends within probe_timeout (plus scheduling slack),
  // and they keep coming at the poll interval.
  const double first = m.Value("dbtopo_poll_rounds_total", {}).value_or(0);
  double slowest_round = 0, slowest_mysql_probe = 0, slowest_redis_probe = 0;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(PollUntil(
      [&] {
        m = exporter.Scrape();
        slowest_round =
            std::max(slowest_round, m.Value("dbtopo_poll_duration_seconds", {}).value_or(0));
        slowest_mysql_probe =
            std::max(slowest_mysql_probe,
                     m.Value("dbtopo_probe_duration_seconds", {{"pod", "mdrip-0"}}).value_or(0));
        slowest_redis_probe =
            std::max(slowest_redis_probe,
                     m.Value("dbtopo_probe_duration_seconds", {{"pod", "rdrip-0"}}).value_or(0));
        EXPECT_EQ(m.Value("dbtopo_up", {{"pod", "mysql-0"}}), 1);
        return m.Value("dbtopo_poll_rounds_total", {}).value_or(0) >= first + 10;
      },
      std::chrono::seconds(40), std::chrono::milliseconds(100)));
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ drip     ] 10 rounds in " << took << " s; slowest round " << slowest_round
            << " s, slowest probes: mysql " << slowest_mysql_probe << " s, redis "
            << slowest_redis_probe << " s; connections " << mysql_drip.connections() << "/"
            << redis_drip.connections() << "\n";
  EXPECT_LT(slowest_round, 1.5);
  EXPECT_LT(slowest_mysql_probe, 1.5);
  EXPECT_LT(slowest_redis_probe, 1.5);
  EXPECT_LT(took, 10 * 2.6) << "rounds did not keep the poll interval";

  // The error says why: the Redis probe's deadline; for MySQL whichever
  // fires first, the client library's read timeout or the probe's deadline.
  const nlohmann::json topology = exporter.Topology();
  for (const auto& cluster : topology["clusters"]) {
    const std::string error = cluster["members"][0]["error"].get<std::string>();
    if (cluster["db_cluster"] == "rdrip") {
      EXPECT_THAT(error, HasSubstr("timeout after 1000ms"));
    } else if (cluster["db_cluster"] == "mdrip") {
      EXPECT_THAT(error, HasSubstr("127.0.0.1:"));
    }
  }
}

}  // namespace
}  // namespace dbtopo::testing
