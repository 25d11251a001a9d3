// libFuzzer: raw RESP bytes -> hiredis reader -> CommandReplyText / InfoField,
// what the Redis remediation actions (fencing, switchover, verification)
// read from REPLICAOF, CONFIG SET, INFO, CLUSTER FAILOVER and WAIT replies.
// Seeds are replies recorded from a real redis-server. Must not crash, hang
// or leak.

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_reply_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  redisReader* reader = redisReaderCreate();
  if (reader == nullptr) return 0;
  dbtopo::redis::LimitReplies(reader);  // As the probe and the actions do.
  redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < 8; ++i) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK || raw == nullptr) break;
    if (auto text = dbtopo::redis::CommandReplyText(*static_cast<const redisReply*>(raw))) {
      for (const char* key : {"role", "master_link_status", "master_host", "connected_slaves"}) {
        (void)dbtopo::redis::InfoField(*text, key);
      }
    }
    freeReplyObject(raw);
  }
  redisReaderFree(reader);
  return 0;
}
