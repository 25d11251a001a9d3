#include "dbtopo/collectors/redis_reply.h"

#include "redis_info_parser.h"

namespace dbtopo::redis {

namespace {

Error ServerError(const redisReply& reply) {
  if (reply.str == nullptr || reply.len == 0) return Error{"error reply without text"};
  return Error{std::string(reply.str, reply.len)};
}

}  // namespace

Result<std::optional<std::string>> TextFromReply(const redisReply* reply) {
  if (reply == nullptr) return std::optional<std::string>();
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::optional<std::string>(std::string(reply->str, reply->len));
    case REDIS_REPLY_ERROR:
      return ServerError(*reply);
    default:
      return std::optional<std::string>();
  }
}

Result<std::string> CommandReplyText(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_ERROR) return ServerError(reply);
  const redisReply* r = &reply;
  if (r->type == REDIS_REPLY_ARRAY) {
    if (r->elements == 0 || r->element == nullptr || r->element[0] == nullptr) {
      return std::string();
    }
    r = r->element[0];
  }
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  if (r->type != REDIS_REPLY_ARRAY && r->str != nullptr) return std::string(r->str, r->len);
  return std::string();
}

std::optional<std::string> InfoField(std::string_view info, std::string_view key) {
  const InfoReply parsed = ParseInfo(info);
  if (const auto value = parsed.Get(key)) return std::string(*value);
  return std::nullopt;
}

}  // namespace dbtopo::redis
