#pragma once

// Sharding: several exporter processes split the units between them.
//
// A shard owns whole database clusters: every component and pod of one
// (namespace, db_cluster) lands on the same shard, so a unit is never split
// and a Redis Cluster's shards stay together. The assignment is a stable
// hash, the same in every process and every release:
//
//   shard = FNV-1a-64("<namespace>/<db_cluster>") mod total
//
// (FNV-1a with offset basis 14695981039346656037 and prime 1099511628211,
// over the bytes of the string; static config has an empty namespace.)

#include <memory>
#include <mutex>

#include "dbtopo/base/mutex.h"
#include "dbtopo/collectors/discovery.h"

namespace dbtopo {

/// This process's part of the units: shard `index` of `total` (0 <= index <
/// total). {0, 1} is the whole set: no sharding.
struct ShardAssignment {
  int index = 0;
  int total = 1;

  bool operator==(const ShardAssignment&) const = default;
};

/// The shard in [0, total) that owns the units of (ns, db_cluster); 0 when
/// total <= 1.
int ShardOfCluster(const std::string& ns, const std::string& db_cluster, int total);

/// The targets of `inner` whose cluster this shard owns. The assignment can
/// change while the exporter runs (a StatefulSet scaled): Set() takes effect
/// at the next Targets().
class ShardedDiscovery : public Discovery {
 public:
  ShardedDiscovery(std::unique_ptr<Discovery> inner, ShardAssignment assignment);

  std::vector<DiscoveredTarget> Targets() override;
  void Set(ShardAssignment assignment);
  ShardAssignment Get() const;

 private:
  const std::unique_ptr<Discovery> inner_;
  mutable Mutex mutex_;
  ShardAssignment assignment_ DBTOPO_GUARDED_BY(mutex_);
};

}  // namespace dbtopo
