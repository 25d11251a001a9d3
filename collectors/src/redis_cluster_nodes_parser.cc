#include "redis_cluster_nodes_parser.h"

#include <charconv>
#include <cstdint>
#include <optional>
#include <utility>

namespace dbtopo::redis {
namespace {

constexpr size_t kNodeIdLength = 40;
constexpr size_t kMaxErrors = 5;

std::optional<std::int64_t> ToInt64(std::string_view s) {
  std::int64_t value = 0;
  if (s.empty()) return std::nullopt;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// A port, bus port or slot: 0..max, digits only.
std::optional<int> ToBoundedInt(std::string_view s, int max) {
  if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
  const std::optional<std::int64_t> v = ToInt64(s);
  if (!v || *v < 0 || *v > max) return std::nullopt;
  return static_cast<int>(*v);
}

bool IsNodeId(std::string_view s) {
  if (s.size() != kNodeIdLength) return false;
  for (char c : s) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

// `ip:port@cport[,hostname[,aux...]]`, `:0@0`, `ip:port`.
Status ParseAddress(std::string_view field, RedisClusterNode* node) {
  std::string_view endpoint = field;
  std::string_view extra;
  if (const size_t comma = field.find(','); comma != std::string_view::npos) {
    endpoint = field.substr(0, comma);
    extra = field.substr(comma + 1);
  }
  std::string_view host_port = endpoint;
  if (const size_t at = endpoint.find('@'); at != std::string_view::npos) {
    host_port = endpoint.substr(0, at);
    const std::optional<int> bus = ToBoundedInt(endpoint.substr(at + 1), 65535);
    if (!bus) {
      return Error{"bad cluster bus port"};
    }
    node->cluster_bus_port = *bus;
  }
  // The port follows the last ':' so that IPv6 hosts keep their colons.
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) {
    return Error{"address without port"};
  }
  const std::optional<int> port = ToBoundedInt(host_port.substr(colon + 1), 65535);
  if (!port) {
    return Error{"bad port"};
  }
  node->host = std::string(host_port.substr(0, colon));
  node->port = *port;
  // Redis 7.0: `,hostname`; 7.2+ may follow with `,key=value` aux fields.
  const std::string_view hostname = extra.substr(0, extra.find(','));
  if (hostname.find('=') == std::string_view::npos) node->hostname = std::string(hostname);
  return {};
}

Status ParseFlags(std::string_view field, RedisClusterNode* node) {
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    if (comma == std::string_view::npos) comma = field.size();
    const std::string_view flag = field.substr(start, comma - start);
    if (flag.empty()) {
      return Error{"empty flag"};
    }
    node->flags.emplace_back(flag);
    start = comma + 1;
  }
  return {};
}

// `5461`, `0-5460`, `[93->-<id>]`, `[1002-<-<id>]`.
Status ParseSlot(std::string_view field, RedisClusterNode* node) {
  if (field.front() == '[') {
    if (field.size() < 2 || field.back() != ']') {
      return Error{"unterminated migration entry"};
    }
    const std::string_view inner = field.substr(1, field.size() - 2);
    const bool migrating = inner.find("->-") != std::string_view::npos;
    const size_t arrow = migrating ? inner.find("->-") : inner.find("-<-");
    if (arrow == std::string_view::npos || !IsNodeId(inner.substr(arrow + 3))) {
      return Error{"bad migration entry"};
    }
    const std::optional<int> slot = ToBoundedInt(inner.substr(0, arrow), kClusterSlots - 1);
    if (!slot) {
      return Error{"bad migration slot"};
    }
    (migrating ? node->migrating_slots : node->importing_slots).push_back(*slot);
    return {};
  }
  const size_t dash = field.find('-');
  const std::optional<int> first = ToBoundedInt(field.substr(0, dash), kClusterSlots - 1);
  const std::optional<int> last = dash == std::string_view::npos
                                      ? first
                                      : ToBoundedInt(field.substr(dash + 1), kClusterSlots - 1);
  if (!first || !last || *last < *first) {
    return Error{"bad slot range"};
  }
  node->slots.emplace_back(*first, *last);
  return {};
}

}  // namespace

Result<RedisClusterNode> ParseClusterNodeLine(std::string_view line) {
  RedisClusterNode parsed;
  RedisClusterNode* node = &parsed;
  const std::vector<std::string_view> f = SplitFields(line);
  if (f.size() < 8) {
    return Error{"expected at least 8 fields, got " + std::to_string(f.size())};
  }
  if (!IsNodeId(f[0])) {
    return Error{"bad node id"};
  }
  node->id = std::string(f[0]);
  if (Status s = ParseAddress(f[1], node); !s) return s.error();
  if (Status s = ParseFlags(f[2], node); !s) return s.error();
  if (f[3] != "-") {
    if (!IsNodeId(f[3])) {
      return Error{"bad master id"};
    }
    node->master_id = std::string(f[3]);
  }
  const std::optional<std::int64_t> ping = ToInt64(f[4]);
  const std::optional<std::int64_t> pong = ToInt64(f[5]);
  const std::optional<std::int64_t> epoch = ToInt64(f[6]);
  if (!ping || !pong || !epoch) {
    return Error{"bad ping/pong/epoch"};
  }
  node->ping_sent = *ping;
  node->pong_received = *pong;
  node->config_epoch = *epoch;
  if (f[7] == "connected") {
    node->link_connected = true;
  } else if (f[7] != "disconnected") {
    return Error{"bad link state"};
  }
  for (size_t i = 8; i < f.size(); ++i) {
    if (Status s = ParseSlot(f[i], node); !s) return s.error();
  }
  return parsed;
}

ClusterNodesReply ParseClusterNodes(std::string_view text) {
  ClusterNodesReply reply;
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(' ') == std::string_view::npos) continue;
    auto node = ParseClusterNodeLine(line);
    if (node) {
      reply.nodes.push_back(std::move(node).value());
      continue;
    }
    ++reply.bad_lines;
    if (reply.errors.size() < kMaxErrors) {
      reply.errors.push_back("line " + std::to_string(line_number) + ": " + node.error().message);
    }
  }
  return reply;
}

}  // namespace dbtopo::redis
