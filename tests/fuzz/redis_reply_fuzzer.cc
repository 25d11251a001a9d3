// libFuzzer: raw RESP bytes -> hiredis reader -> RoleFromReply /
// TextFromReply -> FillRedis. Covers odd reply types (errors, nil, nested
// arrays, integers where strings are expected). Must not crash or leak.

#include <hiredis/hiredis.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "dbtopo/collectors/redis_reply.h"
#include "dbtopo/collectors/redis_reply_limits.h"
#include "redis_info_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  redisReader* reader = redisReaderCreate();
  if (reader == nullptr) return 0;
  dbtopo::redis::LimitReplies(reader);  // As the probe and the actions do.
  redisReaderFeed(reader, reinterpret_cast<const char*>(data), size);
  dbtopo::redis::RedisReplies replies;
  for (int i = 0; i < 8; ++i) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader, &raw) != REDIS_OK || raw == nullptr) break;
    const redisReply* reply = static_cast<const redisReply*>(raw);
    if (auto role = dbtopo::redis::RoleFromReply(reply)) replies.role = role;
    if (auto text = dbtopo::redis::TextFromReply(reply); text && text->has_value()) {
      replies.info_replication = *text;
    }
    freeReplyObject(raw);
  }
  redisReaderFree(reader);
  dbtopo::Observation observation;
  dbtopo::redis::FillRedis(replies, &observation);
  return 0;
}
