#include "dbtopo/collectors/shard.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace dbtopo {
namespace {

DiscoveredTarget Member(const std::string& ns, const std::string& cluster,
                        const std::string& component, const std::string& pod) {
  DiscoveredTarget t;
  t.target.unit = {ns, cluster, component};
  t.target.pod = pod;
  return t;
}

// 40 clusters in two namespaces; every fifth a Redis Cluster of three shard
// components with two pods each, the others one component of three pods.
std::vector<DiscoveredTarget> FortyClusters() {
  std::vector<DiscoveredTarget> all;
  for (int c = 0; c < 40; ++c) {
    const std::string ns = c % 2 == 0 ? "shop" : "billing";
    const std::string name = "db-" + std::to_string(c);
    if (c % 5 == 0) {
      for (int s = 0; s < 3; ++s) {
        for (int p = 0; p < 2; ++p) {
          all.push_back(Member(ns, name, "shard-" + std::to_string(s),
                               name + "-shard-" + std::to_string(s) + "-" + std::to_string(p)));
        }
      }
    } else {
      for (int p = 0; p < 3; ++p)
        all.push_back(Member(ns, name, "mysql", name + "-" + std::to_string(p)));
    }
  }
  return all;
}

std::string ClusterKey(const DiscoveredTarget& t) {
  return t.target.unit.ns + "/" + t.target.unit.db_cluster;
}

TEST(ShardTest, TwoShardsCoverEveryClusterOnceAndKeepItsMembersTogether) {
  const std::vector<DiscoveredTarget> all = FortyClusters();
  std::map<std::string, std::set<int>> shards_of_cluster;
  std::map<std::string, int> members_seen;
  std::size_t targets_seen = 0;
  for (int index = 0; index < 2; ++index) {
    ShardedDiscovery shard(std::make_unique<StaticDiscovery>(all), {index, 2});
    const std::vector<DiscoveredTarget> mine = shard.Targets();
    EXPECT_FALSE(mine.empty()) << "shard " << index << " got nothing of 40 clusters";
    targets_seen += mine.size();
    for (const DiscoveredTarget& t : mine) {
      shards_of_cluster[ClusterKey(t)].insert(index);
      ++members_seen[ClusterKey(t)];
    }
  }
  EXPECT_EQ(targets_seen, all.size());
  ASSERT_EQ(shards_of_cluster.size(), 40u);
  for (const auto& [cluster, shards] : shards_of_cluster) {
    EXPECT_EQ(shards.size(), 1u) << cluster << " is on both shards";
  }
  std::map<std::string, int> members_total;
  for (const DiscoveredTarget& t : all) ++members_total[ClusterKey(t)];
  EXPECT_EQ(members_seen, members_total);
}

TEST(ShardTest, TheHashIsFnv1aOfNamespaceSlashCluster) {
  // FNV-1a-64("shop/orders") = 10037035703340843483; of "/orders" (static
  // config) 14148839096184780735; of "kb-system/redis-cart"
  // 315553795305278675. Pinned: a change would move units between shards of
  // exporters running different releases.
  EXPECT_EQ(ShardOfCluster("shop", "orders", 2), 1);
  EXPECT_EQ(ShardOfCluster("shop", "orders", 3), 0);
  EXPECT_EQ(ShardOfCluster("shop", "orders", 7), 6);
  EXPECT_EQ(ShardOfCluster("", "orders", 7), 6);
  EXPECT_EQ(ShardOfCluster("kb-system", "redis-cart", 3), 2);
  EXPECT_EQ(ShardOfCluster("kb-system", "redis-cart", 7), 5);
  EXPECT_EQ(ShardOfCluster("shop", "orders", 1), 0);
  EXPECT_EQ(ShardOfCluster("shop", "orders", 0), 0);
}

TEST(ShardTest, ANewAssignmentTakesEffectAtTheNextRound) {
  const std::vector<DiscoveredTarget> all = FortyClusters();
  ShardedDiscovery shard(std::make_unique<StaticDiscovery>(all), {0, 1});
  EXPECT_EQ(shard.Targets().size(), all.size());
  shard.Set({1, 3});
  const std::vector<DiscoveredTarget> third = shard.Targets();
  EXPECT_LT(third.size(), all.size());
  for (const DiscoveredTarget& t : third) {
    EXPECT_EQ(ShardOfCluster(t.target.unit.ns, t.target.unit.db_cluster, 3), 1);
  }
  EXPECT_EQ(shard.Get(), (ShardAssignment{1, 3}));
}

}  // namespace
}  // namespace dbtopo
