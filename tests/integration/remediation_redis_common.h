#pragma once

// What the Redis remediation tests share: the API token and the remediation
// config they run with, the exporter's extra ACL grants, POST to the API, and
// a writer that records which writes were acknowledged (and which keys a
// server holds), to prove a switchover loses none.

#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/acking_writer.h"
#include "support/exporter_process.h"
#include "support/process.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {

using Clock = std::chrono::steady_clock;

inline constexpr char kToken[] = "redis-remediation-token-42";

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline void GrantRemediation(RedisServer& server) {
  server.Command({"ACL", "SETUSER", kRedisExporterUser, "+replicaof", "+client|pause",
                  "+client|unpause", "+cluster|failover"});
}

inline std::string RemediationYaml(const TempDir& dir, bool enabled, bool fence,
                                   const std::string& timeout = "30s") {
  WriteFile(dir.File("token"), kToken, 0600);
  std::ostringstream yaml;
  yaml << "remediation:\n"
       << "  enabled: " << (enabled ? "true" : "false") << "\n"
       << "  token_file: \"" << dir.File("token") << "\"\n"
       << "  fence_stray_primaries: " << (fence ? "true" : "false") << "\n"
       << "  cooldown: 1m\n"
       << "  switchover:\n"
       << "    action: native\n"
       << "    timeout: " << timeout << "\n";
  return yaml.str();
}

/// SETs keys `<prefix><id>` on whichever of `ports` accepts writes (READONLY,
/// MOVED, timeouts: next port) and remembers the ids that were acknowledged.
class RedisSetConnection : public AckingWriter::Connection {
 public:
  static AckingWriter::Connect Connector(std::string prefix) {
    return [prefix](int port) -> std::unique_ptr<AckingWriter::Connection> {
      const timeval tv{2, 0};
      redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
      if (c == nullptr || c->err != 0) {
        if (c != nullptr) redisFree(c);
        return nullptr;
      }
      redisSetTimeout(c, tv);
      return std::make_unique<RedisSetConnection>(c, prefix);
    };
  }
  RedisSetConnection(redisContext* c, std::string prefix) : c_(c), prefix_(std::move(prefix)) {}
  ~RedisSetConnection() override { redisFree(c_); }
  bool Write(int id) override {
    const std::string key = prefix_ + std::to_string(id);
    auto* reply = static_cast<redisReply*>(redisCommand(c_, "SET %s 1", key.c_str()));
    const bool ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
    if (reply != nullptr) freeReplyObject(reply);
    return ok;
  }

 private:
  redisContext* c_;
  std::string prefix_;
};

inline AckingWriter RedisWriter(std::vector<int> ports, std::string prefix) {
  return AckingWriter(std::move(ports), RedisSetConnection::Connector(std::move(prefix)), 1,
                      std::chrono::milliseconds(3));
}

/// Ids of the keys `<prefix><id>` present on `server` (KEYS, test sizes only).
inline std::set<int> KeyIds(RedisServer& server, const std::string& prefix) {
  std::set<int> ids;
  std::istringstream lines(server.Command({"KEYS", prefix + "*"}));
  for (std::string line; std::getline(lines, line);) {
    const std::string rest = line.size() > prefix.size() ? line.substr(prefix.size()) : "";
    if (!rest.empty() && rest.find_first_not_of("0123456789") == std::string::npos) {
      ids.insert(std::stoi(rest));
    }
  }
  return ids;
}

inline std::vector<int> Missing(const std::set<int>& want, const std::set<int>& have) {
  std::vector<int> out;
  std::set_difference(want.begin(), want.end(), have.begin(), have.end(), std::back_inserter(out));
  return out;
}

}  // namespace dbtopo::testing
