// libFuzzer: CLUSTER NODES text -> ParseClusterNodes -> FillRedisCluster ->
// Analyze (the redis-cluster detectors read every parsed field). Two members
// see the same text, one of them targeted at the first parsed node's address
// so the unmet/hostname matching runs. Must not crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string>

#include "dbtopo/analysis/analysis.h"
#include "redis_cluster_nodes_parser.h"
#include "redis_info_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const dbtopo::redis::ClusterNodesReply reply = dbtopo::redis::ParseClusterNodes(text);

  dbtopo::redis::RedisReplies replies;
  replies.cluster_nodes = text;
  replies.cluster_info = "cluster_state:ok\r\n";
  replies.info_replication = "role:master\r\n";
  dbtopo::Member a;
  a.target.engine = dbtopo::Engine::kRedisCluster;
  a.target.unit = {"ns", "c", "shard-0"};
  a.target.pod = "pod-0";
  a.target.host = "127.0.0.1";
  a.target.port = 7000;
  a.observation.up = true;
  dbtopo::redis::FillRedis(replies, &a.observation);
  dbtopo::redis::FillRedisCluster(replies, &a.observation);
  dbtopo::Member b = a;
  b.target.unit.component = "shard-1";
  b.target.pod = "pod-1";
  if (!reply.nodes.empty()) {
    b.target.host = reply.nodes.front().host;
    b.target.port = reply.nodes.front().port;
  }
  (void)dbtopo::Analyze({a, b}, dbtopo::AnalysisOptions{});
  return 0;
}
