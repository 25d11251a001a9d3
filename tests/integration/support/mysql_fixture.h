#pragma once

// The fixture of the MySQL scenario tests: a MariaDB primary with two GTID
// replicas (pods mysql-0..2 of db_cluster "orders") and the real exporter
// watching them, plus the label sets and finding checks every test uses.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <set>
#include <string>

#include "support/exporter_process.h"
#include "support/mariadb_topology.h"
#include "support/process.h"
#include "support/prom_text.h"

namespace dbtopo::testing {

class MysqlFixture : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;
  static constexpr char kCluster[] = "orders";
  static constexpr auto kWait = std::chrono::seconds(30);

  static double SecondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
  }

  /// Active findings, one "kind pod=... severity=..." per line.
  static std::string FindingsText(const Metrics& m) {
    std::string out;
    for (const Sample& s : m.Find("dbtopo_finding")) out += "  " + s.ToString() + "\n";
    return out.empty() ? "  (none)\n" : out;
  }

  /// Starts the servers; the exporter waits for StartExporter().
  void StartTopology() {
    start_ = Clock::now();
    topo_.Start(2);
  }

  /// Starts the exporter (poll `poll_interval`, probe timeout 1 s) on `spec`
  /// (default: the topology as it is), with `extra_yaml` appended to its config.
  void StartExporter(ClusterSpec spec = {}, const std::string& extra_yaml = "",
                     const std::string& poll_interval = "1s") {
    const double topo_s = SecondsSince(start_);
    ExporterOptions options;
    options.poll_interval = poll_interval;
    options.probe_timeout = "1s";
    options.clusters.push_back(spec.name.empty() ? topo_.ToClusterSpec(kCluster) : spec);
    options.extra_yaml = extra_yaml;
    exporter_.Start(options);
    std::cout << "[ setup    ] topology " << topo_s << " s, exporter ready "
              << SecondsSince(start_) - topo_s << " s\n";
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cout << "--- servers ---\n" << topo_.Describe();
      try {
        Metrics m = exporter_.Scrape();
        std::cout << "--- /metrics (dbtopo_) ---\n" << m.Dump();
      } catch (const std::exception& e) {
        std::cout << "--- /metrics failed: " << e.what() << "\n";
      }
      std::cout << "--- exporter log tail ---\n" << exporter_.LogTail(6000);
    }
    std::cout << "[ time     ] " << SecondsSince(start_) << " s\n";
  }

  /// Labels of pod i (common labels of per-pod series).
  Labels Pod(int i) const {
    return {
        {"namespace", ""}, {"db_cluster", kCluster}, {"component", "mysql"}, {"pod", topo_.Pod(i)}};
  }
  /// Pod i's default replication channel.
  Labels Channel(int i) const {
    Labels l = Pod(i);
    l["channel"] = "";
    return l;
  }
  Labels ChannelThread(int i, const std::string& thread) const {
    Labels l = Channel(i);
    l["thread"] = thread;
    return l;
  }
  /// Labels of the unit (per-unit series).
  static Labels Unit() {
    return {{"namespace", ""}, {"db_cluster", kCluster}, {"component", "mysql"}};
  }
  /// A finding of `kind` on pod i (-1: a unit-level finding, pod "").
  Labels Finding(const std::string& kind, int i) const {
    Labels l = Unit();
    l["kind"] = kind;
    l["pod"] = i >= 0 ? topo_.Pod(i) : "";
    return l;
  }
  bool HasFinding(const Metrics& m, const std::string& kind, int i) const {
    return m.Has("dbtopo_finding", Finding(kind, i));
  }

  /// Waits for the healthy baseline every fault starts from.
  void WaitHealthy() {
    ASSERT_TRUE(exporter_.WaitFor("healthy baseline", [&](const Metrics& m) {
      for (int i = 0; i < 3; ++i) {
        if (!m.Is("dbtopo_up", Pod(i), 1)) return false;
      }
      return m.Is("dbtopo_cluster_primaries", Unit(), 1) &&
             m.Is("dbtopo_replication_link_up", Channel(1), 1) &&
             m.Is("dbtopo_replication_link_up", Channel(2), 1) && m.Count("dbtopo_finding") == 0;
    }));
  }

  /// Every active finding's kind is in `allowed` (the scenario must raise the
  /// right findings "and nothing else"); every severity is a known one.
  void ExpectOnlyFindings(const Metrics& m, const std::set<std::string>& allowed) {
    for (const Sample& s : m.Find("dbtopo_finding")) {
      const std::string kind = s.labels.count("kind") ? s.labels.at("kind") : "";
      EXPECT_TRUE(allowed.count(kind)) << "unexpected finding " << s.ToString();
      const std::string severity = s.labels.count("severity") ? s.labels.at("severity") : "";
      EXPECT_THAT((std::set<std::string>{"critical", "warning", "info"}),
                  ::testing::Contains(severity))
          << s.ToString();
      EXPECT_EQ(s.value, 1) << s.ToString();
    }
    std::cout << "[ findings ]\n" << FindingsText(m);
  }

  /// The member `pod` of the topology JSON (null when absent).
  static nlohmann::json MemberJson(const nlohmann::json& topology, const std::string& pod) {
    for (const auto& cluster : topology["clusters"]) {
      for (const auto& member : cluster["members"]) {
        if (member["pod"] == pod) return member;
      }
    }
    return nullptr;
  }

  Clock::time_point start_;
  MariadbTopology topo_;
  TempDir dir_{"dbtopo-exporter"};
  ExporterProcess exporter_{dir_};
};

}  // namespace dbtopo::testing
