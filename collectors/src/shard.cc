#include "dbtopo/collectors/shard.h"

#include <cstdint>

namespace dbtopo {

int ShardOfCluster(const std::string& ns, const std::string& db_cluster, int total) {
  if (total <= 1) return 0;
  std::uint64_t hash = 14695981039346656037ULL;
  const auto mix = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  };
  for (const char c : ns) mix(static_cast<unsigned char>(c));
  mix('/');
  for (const char c : db_cluster) mix(static_cast<unsigned char>(c));
  return static_cast<int>(hash % static_cast<std::uint64_t>(total));
}

ShardedDiscovery::ShardedDiscovery(std::unique_ptr<Discovery> inner, ShardAssignment assignment)
    : inner_(std::move(inner)), assignment_(assignment) {}

std::vector<DiscoveredTarget> ShardedDiscovery::Targets() {
  const ShardAssignment shard = Get();
  std::vector<DiscoveredTarget> targets = inner_->Targets();
  if (shard.total <= 1) return targets;
  std::erase_if(targets, [&shard](const DiscoveredTarget& t) {
    return ShardOfCluster(t.target.unit.ns, t.target.unit.db_cluster, shard.total) != shard.index;
  });
  return targets;
}

void ShardedDiscovery::Set(ShardAssignment assignment) {
  MutexLock lock(&mutex_);
  assignment_ = assignment;
}

ShardAssignment ShardedDiscovery::Get() const {
  MutexLock lock(&mutex_);
  return assignment_;
}

}  // namespace dbtopo
