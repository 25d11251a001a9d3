#include "dbtopo/collectors/redis_reply_limits.h"

#include <mutex>

namespace dbtopo::redis {
namespace {

// hiredis's own functions (static in the library; reachable through a fresh
// reader) and the limited copy every limited reader points to.
redisReplyObjectFunctions g_default;
redisReplyObjectFunctions g_limited;
std::once_flag g_once;

void* CreateLimitedArray(const redisReadTask* task, int elements) {
  if (elements > kMaxReplyElements) return nullptr;  // hiredis: "Out of memory", REDIS_ERR
  return g_default.createArray(task, elements);
}

}  // namespace

void LimitReplies(redisReader* reader) {
  if (reader == nullptr || reader->fn == nullptr) return;
  std::call_once(g_once, [reader] {
    g_default = *reader->fn;
    g_limited = g_default;
    g_limited.createArray = CreateLimitedArray;
  });
  reader->fn = &g_limited;
}

}  // namespace dbtopo::redis
