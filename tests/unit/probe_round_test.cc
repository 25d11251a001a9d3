#include "dbtopo/collectors/probe_round.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "dbtopo/base/secret.h"
#include "dbtopo/collectors/worker_pool.h"

namespace dbtopo {
namespace {

using std::chrono::milliseconds;

TEST(WorkerPoolTest, RunsEveryTaskOfABatchBeforeReturning) {
  WorkerPool pool(3);
  std::atomic<int> ran{0};
  std::vector<std::function<void()>> tasks(20, [&ran] { ++ran; });
  pool.RunAll(std::move(tasks));
  EXPECT_EQ(ran.load(), 20);
  pool.RunAll({});  // An empty batch returns at once.
  EXPECT_EQ(ran.load(), 20);
}

TEST(WorkerPoolTest, BatchesFromTwoThreadsShareTheWorkersAndNeverExceedThem) {
  WorkerPool pool(2);
  std::atomic<int> running{0}, most{0}, ran{0};
  auto task = [&] {
    const int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(milliseconds(5));
    --running;
    ++ran;
  };
  // Each caller returns only when its own tasks are done, whatever the other does.
  std::thread other([&] { pool.RunAll(std::vector<std::function<void()>>(10, task)); });
  pool.RunAll(std::vector<std::function<void()>>(10, task));
  other.join();
  EXPECT_EQ(ran.load(), 20);
  EXPECT_LE(most.load(), 2);
}

Target MakeTarget(const std::string& pod) {
  Target t;
  t.unit = UnitId{"shop", "orders", "redis"};
  t.engine = Engine::kRedis;
  t.pod = pod;
  t.host = "127.0.0.1";
  t.port = 6379;
  return t;
}

TEST(ProbeAndAnalyzeTest, ObservesEachTargetCleansTheTextsAndAnalyzes) {
  const Secret password("s3cr3t-probe-password");
  WorkerPool pool(2);
  const std::vector<Target> targets = {MakeTarget("redis-0"), MakeTarget("redis-1")};
  bool options_read_after_probes = false;
  std::atomic<int> observed{0};
  const ProbeRound round = ProbeAndAnalyze(
      pool, targets,
      [&](std::size_t i) {
        ++observed;
        Observation o;
        if (i == 0) {
          o.up = true;
          o.writable = true;
          o.version = "7.0.\xff";  // Not UTF-8.
        } else {
          o.error = "AUTH failed for s3cr3t-probe-password";
        }
        return o;
      },
      [&] {
        options_read_after_probes = observed.load() == 2;
        return AnalysisOptions{};
      });
  EXPECT_TRUE(options_read_after_probes);
  ASSERT_EQ(round.members.size(), 2u);
  EXPECT_EQ(round.members[0].target.pod, "redis-0");
  EXPECT_EQ(round.members[1].target.pod, "redis-1");
  EXPECT_EQ(round.utf8_replacements, 1u);
  EXPECT_EQ(round.members[0].observation.version, "7.0.\xEF\xBF\xBD");
  EXPECT_EQ(round.members[1].observation.error.find("s3cr3t"), std::string::npos)
      << round.members[1].observation.error;
  ASSERT_EQ(round.topology.units.size(), 1u);
  EXPECT_EQ(round.topology.units[0].members.size(), 2u);
}

}  // namespace
}  // namespace dbtopo
