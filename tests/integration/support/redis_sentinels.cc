#include "support/redis_sentinels.h"

#include <chrono>
#include <fstream>
#include <stdexcept>

#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

// INFO sentinel `master0:name=mymaster,status=ok,address=...,slaves=2,sentinels=3`.
bool Knows(const std::string& info, int replicas, int sentinels) {
  return info.find(",slaves=" + std::to_string(replicas) +
                   ",sentinels=" + std::to_string(sentinels)) != std::string::npos;
}

}  // namespace

RedisSentinels::RedisSentinels(std::string exporter_password)
    : dir_("dbtopo-sentinel"), password_(std::move(exporter_password)) {}

RedisSentinels::~RedisSentinels() = default;

void RedisSentinels::WriteConfig(int i, int master_port) {
  std::ofstream conf(dir_.File("sentinel-" + std::to_string(i) + ".conf"));
  conf << "port " << ports_[i] << "\n"
       << "bind 127.0.0.1\n"
       << "dir " << dir_.path() << "\n"
       << "sentinel monitor " << kSentinelMasterName << " 127.0.0.1 " << master_port << " 2\n"
       << "sentinel down-after-milliseconds " << kSentinelMasterName << " 1000\n"
       << "sentinel failover-timeout " << kSentinelMasterName
       << " 10000\n"
       // The probe's least privileges.
       << "user exporter on >" << password_
       << " +info +ping +sentinel|masters +sentinel|replicas +sentinel|sentinels"
          " +sentinel|ckquorum\n";
}

void RedisSentinels::Start(int n, int master_port, int replicas) {
  for (int i = 0; i < n; ++i) {
    ports_.push_back(FreePort());
    processes_.push_back(nullptr);
    starts_.push_back(0);
    WriteConfig(i, master_port);
    Restart(i);
  }
  for (int i = 0; i < n; ++i) {
    const bool known = PollUntil(
        [&] {
          return Knows(Command(i, {"INFO", "sentinel"}), replicas, n);
        },
        std::chrono::seconds(30));
    if (!known) {
      throw std::runtime_error(Pod(i) + " did not discover the others:\n" +
                               Command(i, {"INFO", "sentinel"}) + LogTail(i));
    }
  }
}

void RedisSentinels::Restart(int i) {
  processes_[i] = std::make_unique<Process>(
      std::vector<std::string>{"redis-sentinel",
                               dir_.File("sentinel-" + std::to_string(i) + ".conf")},
      dir_.File(Pod(i) + "-" + std::to_string(starts_[i]++) + ".log"));
  processes_[i]->Start();
  const bool ready = PollUntil(
      [&] {
        try {
          return Command(i, {"PING"}) == "PONG";
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20));
  if (!ready) throw std::runtime_error(Pod(i) + " did not start:\n" + LogTail(i));
}

void RedisSentinels::Stop(int i) { processes_.at(i)->Stop(); }

std::string RedisSentinels::Command(int i, const std::vector<std::string>& argv) const {
  return RedisCommand(ports_.at(i), argv, Pod(i));
}

std::string RedisSentinels::MasterAddress(int i) const {
  const std::string lines =
      Command(i, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", kSentinelMasterName});
  const std::size_t newline = lines.find('\n');
  if (newline == std::string::npos) return lines;
  return lines.substr(0, newline) + ":" + lines.substr(newline + 1);
}

ClusterSpec RedisSentinels::ToClusterSpec(const std::string& name) const {
  ClusterSpec spec;
  spec.name = name;
  spec.engine = "redis-sentinel";
  spec.username = kRedisExporterUser;
  spec.password = password_;
  for (int i = 0; i < size(); ++i) {
    spec.members.push_back({Pod(i), "127.0.0.1:" + std::to_string(ports_[i]), {}});
  }
  return spec;
}

std::string RedisSentinels::LogTail(int i) const {
  return processes_.at(i) != nullptr ? processes_.at(i)->LogTail() : "";
}

}  // namespace dbtopo::testing
