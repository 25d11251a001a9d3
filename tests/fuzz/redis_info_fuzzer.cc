// libFuzzer: INFO / CLUSTER INFO text -> ParseInfo -> FillRedis /
// FillRedisCluster -> Analyze. Must not crash, hang or leak on any input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dbtopo/analysis/analysis.h"
#include "redis_info_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const dbtopo::redis::InfoReply info = dbtopo::redis::ParseInfo(text);
  (void)info.GetInt("master_repl_offset");

  dbtopo::redis::RedisReplies replies;
  replies.info_replication = text;
  replies.info_server = text;
  replies.cluster_info = text;
  dbtopo::Member member;
  member.target.engine = dbtopo::Engine::kRedis;
  member.target.pod = "pod-0";
  member.target.host = "127.0.0.1";
  member.target.port = 6379;
  member.observation.up = true;
  dbtopo::redis::FillRedis(replies, &member.observation);
  dbtopo::Member cluster_member = member;
  cluster_member.target.engine = dbtopo::Engine::kRedisCluster;
  cluster_member.target.unit.component = "cluster";
  dbtopo::redis::FillRedisCluster(replies, &cluster_member.observation);
  (void)dbtopo::Analyze({member, cluster_member}, dbtopo::AnalysisOptions{});
  return 0;
}
