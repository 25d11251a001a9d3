#include "support/redis_servers.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>

namespace dbtopo::testing {
namespace {

std::string ReplyText(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i > 0) out += "\n";
        out += ReplyText(r->element[i]);
      }
      return out;
    }
    default:
      return "";
  }
}

std::string FieldOf(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

bool PortIsFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return free;
}

// A cluster node also listens on port + 10000 (the cluster bus), so its port
// must be at most 55535 and both ports free. FreePort() gives ephemeral
// ports (often above 55535), so pick from 20000..45535 instead.
int FreeClusterPort() {
  static std::mt19937 gen(std::random_device{}());
  std::uniform_int_distribution<int> dist(20000, 45535);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = dist(gen);
    if (PortIsFree(port) && PortIsFree(port + 10000)) return port;
  }
  throw std::runtime_error("no free port pair for a cluster node");
}

}  // namespace

std::string RandomRedisPassword() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out = "pw-";
  for (int i = 0; i < 24; ++i) out += kAlphabet[gen() % (sizeof(kAlphabet) - 1)];
  return out;
}

RedisServer::RedisServer(std::string name, std::string base_dir, bool cluster,
                         std::string exporter_password)
    : name_(std::move(name)),
      dir_(base_dir + "/" + name_),
      cluster_(cluster),
      exporter_password_(std::move(exporter_password)) {
  std::filesystem::create_directories(dir_);
}

RedisServer::~RedisServer() = default;

std::string RedisServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string RedisServer::LogTail(std::size_t max_bytes) const {
  return process_ != nullptr ? process_->LogTail(max_bytes) : "";
}

void RedisServer::Start(int port) {
  if (port != 0) {
    port_ = port;
  } else if (port_ == 0) {
    port_ = cluster_ ? FreeClusterPort() : FreePort();
  }
  std::vector<std::string> argv = {
      "redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
      "--save", "", "--appendonly", "no", "--daemonize", "no",
      // The probe's least privileges.
      "--user", kRedisExporterUser, "on", ">" + exporter_password_, "+info", "+role", "+ping",
      "+cluster|info", "+cluster|nodes", "+cluster|myid"};
  if (cluster_) {
    for (const char* arg : {"--cluster-enabled", "yes", "--cluster-node-timeout", "1000",
                            "--cluster-config-file", "nodes.conf"}) {
      argv.push_back(arg);
    }
  }
  process_ =
      std::make_unique<Process>(argv, dir_ + "/redis-" + std::to_string(restarts_++) + ".log");
  process_->Start();
  const bool ready = PollUntil(
      [&] {
        if (!process_->IsRunning()) return true;
        try {
          return Command({"PING"}) == "PONG";
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20));
  if (!ready || !process_->IsRunning()) {
    throw std::runtime_error("redis-server " + name_ + " on " + address() + " did not start:\n" +
                             process_->LogTail());
  }
}

void RedisServer::Kill() {
  if (process_ != nullptr) process_->Kill();
}

void RedisServer::Freeze() {
  if (process_ != nullptr) process_->Pause();
}

void RedisServer::Thaw() {
  if (process_ != nullptr) process_->Resume();
}

void RedisServer::Stop() {
  if (process_ != nullptr) process_->Stop();
}

std::string RedisCommand(int port, const std::vector<std::string>& argv, const std::string& who) {
  timeval tv{5, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr || c->err != 0) {
    const std::string error = c != nullptr ? c->errstr : "out of memory";
    if (c != nullptr) redisFree(c);
    throw std::runtime_error(who + ": connect: " + error);
  }
  redisSetTimeout(c, tv);
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
  if (reply == nullptr) {
    const std::string error = c->errstr;
    redisFree(c);
    throw std::runtime_error(who + ": " + command + ": " + error);
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    const std::string error(reply->str, reply->len);
    freeReplyObject(reply);
    redisFree(c);
    throw std::runtime_error(who + ": " + command + ": " + error);
  }
  std::string text = ReplyText(reply);
  freeReplyObject(reply);
  redisFree(c);
  return text;
}

std::string RedisServer::Command(const std::vector<std::string>& argv) const {
  return RedisCommand(port_, argv, name_ + " (" + address() + ")");
}

std::string RedisServer::InfoField(const std::string& section, const std::string& key) const {
  return FieldOf(Command({"INFO", section}), key);
}

std::string RedisServer::ClusterInfoField(const std::string& key) const {
  return FieldOf(Command({"CLUSTER", "INFO"}), key);
}

// ---- RedisReplicationSet ----

RedisReplicationSet::RedisReplicationSet()
    : dir_("dbtopo-redis"), password_(RandomRedisPassword()) {}

void RedisReplicationSet::Start(int n_replicas) {
  for (int i = 0; i <= n_replicas; ++i) {
    servers_.push_back(std::make_unique<RedisServer>(Pod(i), dir_.path(), false, password_));
    servers_.back()->Start();
  }
  for (int i = 1; i <= n_replicas; ++i) PointAt(i, "127.0.0.1", server(0).port());
  server(0).Command({"SET", "dbtopo:key", "value"});
  for (int i = 1; i <= n_replicas; ++i) {
    const bool up =
        PollUntil([&] { return server(i).InfoField("replication", "master_link_status") == "up"; },
                  std::chrono::seconds(30));
    if (!up) {
      throw std::runtime_error(Pod(i) + " did not connect to its master:\n" +
                               server(i).Command({"INFO", "replication"}) + server(i).LogTail());
    }
  }
}

ClusterSpec RedisReplicationSet::ToClusterSpec(const std::string& name) const {
  ClusterSpec spec;
  spec.name = name;
  spec.engine = "redis";
  spec.username = kRedisExporterUser;
  spec.password = password_;
  for (int i = 0; i < size(); ++i) {
    spec.members.push_back({Pod(i),
                            servers_[i]->address(),
                            {{"kubeblocks.io/role", i == 0 ? "primary" : "secondary"}}});
  }
  return spec;
}

void RedisReplicationSet::PointAt(int i, const std::string& host, int port) {
  server(i).Command({"REPLICAOF", host, std::to_string(port)});
}

// ---- RedisClusterTopology ----

RedisClusterTopology::RedisClusterTopology()
    : dir_("dbtopo-redis-cluster"), password_(RandomRedisPassword()) {}

void RedisClusterTopology::Start() {
  std::vector<std::string> argv = {"redis-cli", "--cluster", "create"};
  for (int i = 0; i < 6; ++i) {
    nodes_.push_back(
        std::make_unique<RedisServer>("node-" + std::to_string(i), dir_.path(), true, password_));
    nodes_.back()->Start();
    argv.push_back(nodes_.back()->address());
  }
  argv.push_back("--cluster-replicas");
  argv.push_back("1");
  argv.push_back("--cluster-yes");
  const std::string log = dir_.File("cluster-create.log");
  if (RunCommand(argv, log) != 0) {
    throw std::runtime_error("redis-cli --cluster create failed:\n" + TailFile(log));
  }
  WaitHealthy(6);
  // Shards as created: each master with the replica that follows it.
  pods_.assign(6, "");
  for (int i = 0; i < 6; ++i) {
    if (node(i).InfoField("replication", "role") != "master") continue;
    const int k = static_cast<int>(shards_.size());
    shards_.push_back({i});
    pods_[i] = "sessions-shard-" + std::to_string(k) + "-0";
  }
  const bool replicas_linked = PollUntil(
      [&] {
        for (int i = 0; i < 6; ++i) {
          if (pods_[i].empty() && node(i).InfoField("replication", "master_link_status") != "up") {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(30));
  if (!replicas_linked) throw std::runtime_error("replicas not linked:\n" + Describe());
  for (int i = 0; i < 6; ++i) {
    if (!pods_[i].empty()) continue;
    const std::string master_port = node(i).InfoField("replication", "master_port");
    for (size_t k = 0; k < shards_.size(); ++k) {
      if (std::to_string(node(shards_[k][0]).port()) == master_port) {
        shards_[k].push_back(i);
        pods_[i] = "sessions-shard-" + std::to_string(k) + "-1";
      }
    }
  }
  if (shards_.size() != 3) throw std::runtime_error("expected 3 masters:\n" + Describe());
  for (const auto& shard : shards_) {
    if (shard.size() != 2)
      throw std::runtime_error("expected one replica per master:\n" + Describe());
  }
}

int RedisClusterTopology::AddLonelyNode() {
  const int i = size();
  nodes_.push_back(
      std::make_unique<RedisServer>("node-" + std::to_string(i), dir_.path(), true, password_));
  nodes_.back()->Start();
  pods_.push_back("sessions-extra-" + std::to_string(i));
  return i;
}

std::string RedisClusterTopology::Pod(int i) const { return pods_.at(i); }

std::vector<ClusterSpec> RedisClusterTopology::ToClusterSpecs(const std::string& name) const {
  std::vector<ClusterSpec> specs;
  auto spec = [&](const std::string& component) {
    ClusterSpec s;
    s.name = name;
    s.engine = "redis-cluster";
    s.component = component;
    s.username = kRedisExporterUser;
    s.password = password_;
    return s;
  };
  for (size_t k = 0; k < shards_.size(); ++k) {
    ClusterSpec s = spec("shard-" + std::to_string(k));
    for (int i : shards_[k]) s.members.push_back({pods_[i], nodes_[i]->address(), {}});
    specs.push_back(std::move(s));
  }
  ClusterSpec extra = spec("extra");
  for (int i = 6; i < size(); ++i) extra.members.push_back({pods_[i], nodes_[i]->address(), {}});
  if (!extra.members.empty()) specs.push_back(std::move(extra));
  return specs;
}

void RedisClusterTopology::Meet(int i, int j) {
  node(i).Command({"CLUSTER", "MEET", "127.0.0.1", std::to_string(node(j).port())});
}

void RedisClusterTopology::RestartAllOnNewPorts() {
  for (auto& n : nodes_) n->Stop();
  for (auto& n : nodes_) n->Start(FreeClusterPort());
}

void RedisClusterTopology::WaitHealthy(int known_nodes, std::chrono::seconds timeout) {
  const bool ok = PollUntil(
      [&] {
        for (auto& n : nodes_) {
          if (!n->IsRunning()) continue;
          try {
            if (n->ClusterInfoField("cluster_state") != "ok" ||
                n->ClusterInfoField("cluster_known_nodes") != std::to_string(known_nodes)) {
              return false;
            }
          } catch (const std::exception&) {
            return false;
          }
        }
        return true;
      },
      timeout, std::chrono::milliseconds(100));
  if (!ok) throw std::runtime_error("cluster not healthy:\n" + Describe());
}

std::string RedisClusterTopology::Describe() {
  std::string out;
  for (auto& n : nodes_) {
    out += n->name() + " " + n->address() + ":\n";
    try {
      out += n->Command({"CLUSTER", "NODES"}) + "\n";
    } catch (const std::exception& e) {
      out += std::string("  ") + e.what() + "\n";
    }
  }
  return out;
}

}  // namespace dbtopo::testing
