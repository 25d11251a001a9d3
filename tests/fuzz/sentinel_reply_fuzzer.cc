// libFuzzer: raw RESP bytes -> hiredis reader -> the Sentinel parsers
// (MasterNames, PeersFromReply, FillSentinel), reading the replies in the
// order the probe sends them: INFO sentinel, INFO server, SENTINEL MASTERS,
// then REPLICAS, SENTINELS and CKQUORUM per master name. Must not crash or
// leak whatever types, counts and texts arrive. Seeds: a round recorded from
// a real redis-sentinel 7.0.15.

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_reply_limits.h"
#include "sentinel_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  redisReader* reader = redisReaderCreate();
  if (reader == nullptr) return 0;
  dbtopo::redis::LimitReplies(reader);  // As the probe does.
  redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
  std::vector<redisReply*> replies;
  for (int i = 0; i < 32; ++i) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK || raw == nullptr) break;
    replies.push_back(static_cast<redisReply*>(raw));
  }
  redisReaderFree(reader);

  dbtopo::redis::SentinelReplies parsed;
  if (!replies.empty()) {
    if (auto text = dbtopo::redis::TextFromReply(replies[0]); text && text->has_value()) {
      parsed.info_sentinel = **text;
    }
  }
  if (replies.size() > 2) {
    parsed.masters = replies[2];
    std::size_t next = 3;
    for (const std::string& name : dbtopo::redis::MasterNames(parsed.masters)) {
      if (next + 3 > replies.size()) break;
      parsed.per_master[name] = {replies[next], replies[next + 1], replies[next + 2]};
      next += 3;
    }
  }
  dbtopo::Observation observation;
  dbtopo::redis::FillSentinel(parsed, &observation);
  for (redisReply* reply : replies) {
    (void)dbtopo::redis::PeersFromReply(reply);
    freeReplyObject(reply);
  }
  return 0;
}
