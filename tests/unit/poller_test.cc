#include "poller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "dbtopo/base/log.h"

namespace dbtopo {
namespace {

using namespace std::chrono_literals;

std::atomic<int> g_in_flight{0};
std::atomic<int> g_peak_in_flight{0};

// A probe that reports a writable primary after `delay`, counting calls and
// how many probes run at once.
class FakeProbe : public Probe {
 public:
  FakeProbe(std::chrono::milliseconds delay, std::atomic<int>* calls)
      : delay_(delay), calls_(calls) {}
  Observation Collect() override {
    ++*calls_;
    const int now = ++g_in_flight;
    int peak = g_peak_in_flight.load();
    while (now > peak && !g_peak_in_flight.compare_exchange_weak(peak, now)) {
    }
    std::this_thread::sleep_for(delay_);
    --g_in_flight;
    Observation o;
    o.up = true;
    o.writable = true;
    o.read_only = false;
    return o;
  }

 private:
  std::chrono::milliseconds delay_;
  std::atomic<int>* calls_;
};

DiscoveredTarget MakeTarget(const std::string& pod, const std::string& host) {
  DiscoveredTarget t;
  t.target.unit = {"", "c-" + pod, "mysql"};
  t.target.pod = pod;
  t.target.host = host;
  t.target.port = 3306;
  t.credentials = std::make_shared<Credentials>();
  return t;
}

class MutableDiscovery : public Discovery {
 public:
  std::vector<DiscoveredTarget> Targets() override { return targets; }
  std::vector<DiscoveredTarget> targets;
};

class PollerTest : public ::testing::Test {
 protected:
  void SetUp() override { log::Init(log::Level::kError, log::Format::kLogfmt); }
};

TEST_F(PollerTest, ProbesRunConcurrentlyAndConnectionsAreReused) {
  g_peak_in_flight = 0;
  MutableDiscovery discovery;
  for (int i = 0; i < 4; ++i) discovery.targets.push_back(MakeTarget("p" + std::to_string(i), "h"));
  std::atomic<int> created{0}, calls{0};
  SnapshotStore store;
  Poller poller(
      {1s, 1s, 4, {}}, &discovery,
      [&](const Target&, const Credentials&, const ProbeOptions&) {
        ++created;
        return std::make_unique<FakeProbe>(300ms, &calls);
      },
      &store);
  auto first = poller.RunRound();
  auto second = poller.RunRound();
  EXPECT_EQ(created, 4);  // one probe (connection) per target, kept across rounds
  EXPECT_EQ(calls, 8);
  // Four workers, four slow probes: all four ran at once.
  EXPECT_EQ(g_peak_in_flight, 4);
  EXPECT_EQ(store.Get(), second);
  EXPECT_EQ(second->round, 2u);
  EXPECT_NE(second->metrics_text.find("dbtopo_poll_rounds_total 2"), std::string::npos);
}

TEST_F(PollerTest, ChangedAddressMakesANewProbeAndRemovedTargetsAreDropped) {
  MutableDiscovery discovery;
  discovery.targets = {MakeTarget("a", "10.0.0.1"), MakeTarget("b", "10.0.0.2")};
  std::atomic<int> created{0}, calls{0};
  SnapshotStore store;
  Poller poller(
      {1s, 1s, 2, {}}, &discovery,
      [&](const Target&, const Credentials&, const ProbeOptions&) {
        ++created;
        return std::make_unique<FakeProbe>(0ms, &calls);
      },
      &store);
  poller.RunRound();
  discovery.targets = {MakeTarget("a", "10.0.0.9")};  // pod a moved, pod b deleted
  auto snapshot = poller.RunRound();
  EXPECT_EQ(created, 3);
  EXPECT_EQ(snapshot->metrics_text.find("pod=\"b\""), std::string::npos);
}

TEST_F(PollerTest, MissingProbeIsReportedDown) {
  MutableDiscovery discovery;
  discovery.targets = {MakeTarget("a", "h")};
  SnapshotStore store;
  Poller poller(
      {1s, 1s, 1, {}}, &discovery,
      [](const Target&, const Credentials&, const ProbeOptions&) {
        return std::unique_ptr<Probe>();
      },
      &store);
  auto snapshot = poller.RunRound();
  ASSERT_EQ(snapshot->topology.units.size(), 1u);
  EXPECT_FALSE(snapshot->topology.units[0].members[0].observation.up);
  EXPECT_NE(snapshot->metrics_text.find("dbtopo_up{namespace=\"\",db_cluster=\"c-a\""),
            std::string::npos);
}

TEST_F(PollerTest, ARemediationRecordShowsInMetricsWithoutWaitingForARound) {
  MutableDiscovery discovery;
  discovery.targets.push_back(MakeTarget("p0", "h"));
  std::atomic<int> calls{0};
  SnapshotStore store;
  Poller poller(
      {1s, 1s, 1, {}}, &discovery,
      [&](const Target&, const Credentials&, const ProbeOptions&) {
        return std::make_unique<FakeProbe>(0ms, &calls);
      },
      &store);
  RemediationStatus status;
  status.present = true;
  status.actions_total[{"fence", "success"}] = 0;
  poller.SetRemediationHooks([&status] { return status; }, nullptr);
  poller.RefreshRemediation();  // Before the first round: nothing to refresh.
  EXPECT_EQ(store.Get(), nullptr);
  const auto round = poller.RunRound();
  EXPECT_NE(round->metrics_text.find(
                "dbtopo_remediation_actions_total{action=\"fence\",result=\"success\"} 0"),
            std::string::npos);
  // An action ends between rounds: the remediator says so, the exporter
  // publishes the same round again with the new count.
  status.actions_total[{"fence", "success"}] = 1;
  poller.RefreshRemediation();
  const auto refreshed = store.Get();
  ASSERT_NE(refreshed, round);
  EXPECT_EQ(refreshed->round, round->round);
  EXPECT_EQ(refreshed->topology.units.size(), round->topology.units.size());
  EXPECT_NE(refreshed->metrics_text.find(
                "dbtopo_remediation_actions_total{action=\"fence\",result=\"success\"} 1"),
            std::string::npos)
      << refreshed->metrics_text;
  EXPECT_EQ(calls.load(), 1);  // No probe ran for it.
}

}  // namespace
}  // namespace dbtopo
