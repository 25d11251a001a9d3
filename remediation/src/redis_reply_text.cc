#include "redis_reply_text.h"

namespace dbtopo::remediation {

bool ReplyText(const redisReply& reply, std::string* text) {
  text->clear();
  const redisReply* r = &reply;
  if (r->type == REDIS_REPLY_ERROR) {
    if (r->str != nullptr) text->assign(r->str, r->len);
    return false;
  }
  if (r->type == REDIS_REPLY_ARRAY) {
    if (r->elements == 0 || r->element == nullptr || r->element[0] == nullptr) return true;
    r = r->element[0];
  }
  if (r->type == REDIS_REPLY_INTEGER) {
    *text = std::to_string(r->integer);
  } else if (r->type != REDIS_REPLY_ARRAY && r->str != nullptr) {
    text->assign(r->str, r->len);
  }
  return true;
}

std::optional<std::string> InfoFieldValue(std::string_view info, std::string_view key) {
  std::size_t at = 0;
  while (at < info.size()) {
    std::size_t end = info.find('\n', at);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ':') {
      return std::string(line.substr(key.size() + 1));
    }
    at = end + 1;
  }
  return std::nullopt;
}

}  // namespace dbtopo::remediation
