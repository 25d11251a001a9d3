#include "dbtopo/analysis/utf8.h"

#include <map>

namespace dbtopo::utf8 {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed sequence starting at text[i], or 0 when the
// bytes there are ill-formed; `*bad` then gets the length of the maximal
// ill-formed subpart to replace (at least 1).
std::size_t SequenceLength(std::string_view text, std::size_t i, std::size_t* bad) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  *bad = 1;
  if (b0 < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // Range of the second byte.
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;  // No overlong forms.
    if (b0 == 0xED) hi = 0x9F;  // No surrogates.
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // Nothing above U+10FFFF.
  } else {
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= text.size()) {
      *bad = k;
      return 0;
    }
    const unsigned char b = byte(i + k);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *bad = k;
      return 0;
    }
  }
  return need + 1;
}

}  // namespace

bool IsValid(std::string_view text) {
  for (std::size_t i = 0, bad = 0; i < text.size();) {
    const std::size_t n = SequenceLength(text, i, &bad);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::size_t Sanitize(std::string& text) {
  if (IsValid(text)) return 0;
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t replaced = 0;
  for (std::size_t i = 0, bad = 0; i < text.size();) {
    const std::size_t n = SequenceLength(text, i, &bad);
    if (n > 0) {
      out.append(text, i, n);
      i += n;
    } else {
      out += kReplacement;
      ++replaced;
      i += bad;
    }
  }
  text = std::move(out);
  return replaced;
}

std::size_t SanitizeMember(Member& member) {
  std::size_t n = 0;
  Target& t = member.target;
  for (std::string* s :
       {&t.unit.ns, &t.unit.db_cluster, &t.unit.component, &t.pod, &t.host, &t.role_label_value}) {
    n += Sanitize(*s);
  }
  std::map<std::string, std::string> labels;
  for (const auto& [k, v] : t.labels) {
    std::string key = k, value = v;
    n += Sanitize(key) + Sanitize(value);
    labels.emplace(std::move(key), std::move(value));
  }
  t.labels = std::move(labels);
  Observation& o = member.observation;
  for (std::string* s :
       {&o.error, &o.server_uuid, &o.gtid_executed, &o.gtid_binlog_state, &o.version}) {
    n += Sanitize(*s);
  }
  for (ReplicationChannel& c : o.channels) {
    for (std::string* s : {&c.name, &c.source_host, &c.io_state, &c.last_io_error,
                           &c.last_sql_error, &c.gtid_mode}) {
      n += Sanitize(*s);
    }
  }
  if (o.redis) {
    for (std::string* s : {&o.redis->role, &o.redis->master_replid, &o.redis->master_replid2}) {
      n += Sanitize(*s);
    }
  }
  if (o.redis_cluster) {
    n += Sanitize(o.redis_cluster->myid);
    for (RedisClusterNode& node : o.redis_cluster->nodes) {
      for (std::string* s : {&node.id, &node.host, &node.hostname, &node.master_id}) {
        n += Sanitize(*s);
      }
      for (std::string& flag : node.flags) n += Sanitize(flag);
    }
  }
  return n;
}

}  // namespace dbtopo::utf8
