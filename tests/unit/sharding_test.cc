#include "sharding.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace dbtopo {
namespace {

using std::chrono::milliseconds;

// A StatefulSet whose spec.replicas the test changes; any other path is 404.
class StatefulSetApi : public KubeApi {
 public:
  explicit StatefulSetApi(std::string path) : path_(std::move(path)) {}
  Response Get(const std::string& path) override {
    ++gets_;
    if (down_) return {0, "", "connection refused"};
    if (path != path_) return {404, R"({"kind":"Status","reason":"NotFound"})", ""};
    return {200,
            R"({"kind":"StatefulSet","apiVersion":"apps/v1","spec":{"replicas":)" +
                std::to_string(replicas_.load()) + "}}",
            ""};
  }
  Response Post(const std::string&, const std::string&) override { return {405, "", ""}; }
  Response Put(const std::string&, const std::string&) override { return {405, "", ""}; }
  std::string Describe() const override { return "memory"; }
  std::string Namespace() const override { return "monitoring"; }

  std::atomic<int> replicas_{2};
  std::atomic<bool> down_{false};
  std::atomic<int> gets_{0};

 private:
  const std::string path_;
};

class EmptyDiscovery : public Discovery {
 public:
  std::vector<DiscoveredTarget> Targets() override { return {}; }
};

ShardFlags Parse(const std::string& shard, const std::string& total) {
  auto parsed = ParseShardFlags(shard, total);
  if (!parsed.ok()) {
    ADD_FAILURE() << parsed.error().message;
    return {};
  }
  return parsed.value();
}

std::string ParseError(const std::string& shard, const std::string& total) {
  auto parsed = ParseShardFlags(shard, total);
  return parsed.ok() ? "(accepted)" : parsed.error().message;
}

TEST(ShardFlagsTest, NumbersAutoAndNotGiven) {
  const ShardFlags none = Parse("", "");
  EXPECT_FALSE(none.sharded);
  EXPECT_EQ(none.index, 0);
  EXPECT_EQ(none.total, 1);
  const ShardFlags fixed = Parse("1", "3");
  EXPECT_TRUE(fixed.sharded);
  EXPECT_EQ(fixed.index, 1);
  EXPECT_EQ(fixed.total, 3);
  const ShardFlags automatic = Parse("auto", "auto");
  EXPECT_FALSE(automatic.index.has_value());
  EXPECT_FALSE(automatic.total.has_value());
}

TEST(ShardFlagsTest, BadValuesNameTheFlag) {
  EXPECT_EQ(ParseError("x", "2"), "invalid --shard \"x\" (want a non-negative integer or auto)");
  EXPECT_EQ(ParseError("0", "-1"),
            "invalid --total-shards \"-1\" (want a non-negative integer or auto)");
  EXPECT_EQ(ParseError("0", "0"), "--total-shards must be at least 1");
  EXPECT_EQ(ParseError("2", "2"), "--shard=2 is not below --total-shards=2 (shards count from 0)");
  EXPECT_EQ(ParseError("1 ", "2"), "invalid --shard \"1 \" (want a non-negative integer or auto)");
}

TEST(ShardFlagsTest, PodOrdinalAndStatefulSetReplicas) {
  EXPECT_EQ(PodOrdinal("dbtopo-exporter-2"), 2);
  EXPECT_EQ(PodOrdinal("dbtopo-exporter-10"), 10);
  EXPECT_EQ(PodOrdinal("dbtopo-exporter-7d9f8b-x2x9z"), std::nullopt);
  EXPECT_EQ(PodOrdinal("exporter"), std::nullopt);
  EXPECT_EQ(PodOrdinal("-3"), std::nullopt);
  EXPECT_EQ(StatefulSetReplicas(R"({"kind":"StatefulSet","spec":{"replicas":4}})"), 4);
  EXPECT_EQ(StatefulSetReplicas(R"({"kind":"StatefulSet","spec":{}})"), 1);
  EXPECT_EQ(StatefulSetReplicas(R"({"kind":"StatefulSet","spec":{"replicas":"4"}})"), std::nullopt);
  EXPECT_EQ(StatefulSetReplicas(R"({"kind":"Status","spec":{"replicas":4}})"), std::nullopt);
  EXPECT_EQ(StatefulSetReplicas("not json"), std::nullopt);
  // Found by the cli fuzzer: a kind that is not a string threw.
  EXPECT_EQ(StatefulSetReplicas(R"({"kind":{"a":1},"spec":{"replicas":4}})"), std::nullopt);
  EXPECT_EQ(StatefulSetReplicas(R"({"kind":"StatefulSet","spec":{"replicas":-1}})"), std::nullopt);
  EXPECT_EQ(StatefulSetReplicas(R"({"kind":"StatefulSet","spec":{"replicas":1e3}})"), std::nullopt);
  EXPECT_EQ(StatefulSetReplicas(R"({"kind":"StatefulSet","spec":[]})"), std::nullopt);
}

struct Logged {
  std::mutex mu;
  std::vector<std::string> lines;
  ShardKeeper::Log Sink() {
    return [this](log::Level level, const std::string& msg, const auto&) {
      std::lock_guard lock(mu);
      lines.push_back((level == log::Level::kWarn ? "warn: " : "info: ") + msg);
    };
  }
  bool Has(const std::string& line) {
    std::lock_guard lock(mu);
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }
};

// Waits for `done` for up to 5 s (the refresh here is 20 ms).
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(milliseconds(10));
  return done();
}

TEST(ShardKeeperTest, AutoFollowsTheStatefulSetsReplicas) {
  auto api = std::make_shared<StatefulSetApi>(
      "/apis/apps/v1/namespaces/monitoring/statefulsets/dbtopo-exporter");
  ShardedDiscovery discovery(std::make_unique<EmptyDiscovery>(), {});
  Logged logged;
  auto made = ShardKeeper::Make(Parse("auto", "auto"), "dbtopo-exporter-1", api, "monitoring",
                                &discovery, logged.Sink(), milliseconds(20));
  ASSERT_TRUE(made.ok()) << made.error().message;
  std::unique_ptr<ShardKeeper> keeper = std::move(made).value();
  EXPECT_EQ(keeper->Current(), (ShardAssignment{1, 2}));

  api->replicas_ = 3;
  EXPECT_TRUE(Eventually([&] { return discovery.Get() == ShardAssignment{1, 3}; }));
  // The keeper logs after it sets the new count: wait for the line too.
  EXPECT_TRUE(Eventually([&] { return logged.Has("info: shard count changed"); }));

  // Scaled below this pod (it is about to go): keep the count, say so.
  api->replicas_ = 1;
  EXPECT_TRUE(Eventually([&] {
    return logged.Has(
        "warn: this shard is beyond the StatefulSet's replicas; keeping the current count");
  }));
  EXPECT_EQ(discovery.Get(), (ShardAssignment{1, 3}));

  api->down_ = true;
  EXPECT_TRUE(Eventually(
      [&] { return logged.Has("warn: cannot re-read the shard count; keeping the current one"); }));
  EXPECT_EQ(discovery.Get(), (ShardAssignment{1, 3}));
  keeper.reset();  // Stops the thread: no Get after this.
  const int gets = api->gets_;
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(api->gets_, gets);
}

// Why ShardKeeper::Make refused, or "(made)".
template <typename... Args>
std::string MakeError(Args&&... args) {
  auto made = ShardKeeper::Make(std::forward<Args>(args)...);
  return made.ok() ? "(made)" : made.error().message;
}

TEST(ShardKeeperTest, UnresolvableAutoValuesAreClearErrors) {
  ShardedDiscovery discovery(std::make_unique<EmptyDiscovery>(), {});
  Logged logged;
  EXPECT_EQ(MakeError(Parse("auto", "2"), "dbtopo-exporter-7d9f8b-x2x9z", nullptr, "", &discovery,
                      logged.Sink()),
            "--shard=auto: pod name \"dbtopo-exporter-7d9f8b-x2x9z\" has no StatefulSet ordinal "
            "(want <name>-<N>; set POD_NAME)");
  EXPECT_EQ(
      MakeError(Parse("auto", "2"), "dbtopo-exporter-2", nullptr, "", &discovery, logged.Sink()),
      "shard 2 is not below the 2 shards");
  auto api = std::make_shared<StatefulSetApi>("/apis/apps/v1/namespaces/other/statefulsets/x");
  EXPECT_EQ(MakeError(Parse("0", "auto"), "dbtopo-exporter-0", api, "monitoring", &discovery,
                      logged.Sink()),
            "--total-shards=auto: GET "
            "/apis/apps/v1/namespaces/monitoring/statefulsets/dbtopo-exporter: HTTP 404");
  EXPECT_EQ(discovery.Get(), (ShardAssignment{0, 1})) << "a failed Make changed the assignment";
}

}  // namespace
}  // namespace dbtopo
