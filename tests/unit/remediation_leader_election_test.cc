// Leader election: the Lease record (parsing, writing, MicroTime), the pure
// decision of each try, and LeaderElector against an in-memory API with the
// API server's resourceVersion conflicts.

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "dbtopo/remediation/leader_election.h"
#include "lease_record.h"

namespace dbtopo {
namespace {

using nlohmann::json;

TEST(LeaseRecordTest, ParsesAnApiServerLease) {
  const auto parsed = ParseLease(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
    "metadata":{"name":"l","namespace":"ns","resourceVersion":"812","uid":"u"},
    "spec":{"holderIdentity":"exporter-1","leaseDurationSeconds":15,
            "acquireTime":"2026-12-03T03:07:23.123456Z","renewTime":"2026-12-03T03:09:01.000001Z",
            "leaseTransitions":3}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const LeaseRecord& r = parsed.value();
  EXPECT_EQ(r.holder, "exporter-1");
  EXPECT_EQ(r.lease_duration_seconds, 15);
  EXPECT_EQ(r.renew_time, "2026-12-03T03:09:01.000001Z");
  EXPECT_EQ(r.transitions, 3);
  EXPECT_EQ(r.resource_version, "812");
}

TEST(LeaseRecordTest, BadShapesAreErrorsNamingTheField) {
  EXPECT_EQ((ParseLease("{")).error().message, "not JSON");
  EXPECT_EQ((ParseLease("[]")).error().message, "not a JSON object");
  EXPECT_EQ((ParseLease(R"({"spec":{"holderIdentity":7}})")).error().message,
            "spec.holderIdentity: not a string");
  EXPECT_EQ((ParseLease(R"({"spec":{"leaseDurationSeconds":-1}})")).error().message,
            "spec.leaseDurationSeconds: not a non-negative integer");
  // A Lease without spec (created by hand) has no holder.
  EXPECT_EQ((ParseLease(R"({"metadata":{"name":"l"}})")).value().holder, "");
}

TEST(LeaseRecordTest, WritesWhatItReadsAndMicroTime) {
  LeaseRecord r{"exporter-0", 15, "2026-12-03T03:07:23.000000Z", "2026-12-03T03:07:25.5Z", 2, "99"};
  const json j = json::parse(LeaseJson("ns", "l", r));
  EXPECT_EQ(j["metadata"]["resourceVersion"], "99");
  EXPECT_EQ(j["spec"]["holderIdentity"], "exporter-0");
  EXPECT_TRUE((ParseLease(j.dump())).value().SameRecord(r));
  EXPECT_FALSE(
      json::parse(LeaseJson("ns", "l", LeaseRecord{}))["metadata"].contains("resourceVersion"));
  const auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1796267243123456));
  EXPECT_EQ(FormatMicroTime(t), "2026-12-03T03:07:23.123456Z");
}

TEST(LeaseRecordTest, DecisionsAndTransitions) {
  const LeaseRecord held{"b", 15, "t0", "t1", 4, "7"};
  EXPECT_EQ(DecideLeaseStep(std::nullopt, "a", false), LeaseStep::kCreate);
  EXPECT_EQ(DecideLeaseStep(held, "a", false), LeaseStep::kFollow);
  EXPECT_EQ(DecideLeaseStep(held, "a", true), LeaseStep::kTakeOver);
  EXPECT_EQ(DecideLeaseStep(held, "b", false), LeaseStep::kRenew);
  EXPECT_EQ(DecideLeaseStep(LeaseRecord{}, "a", false), LeaseStep::kTakeOver);  // released

  const LeaseRecord renewed = NextLeaseRecord(held, LeaseStep::kRenew, "b", 15, "t2");
  EXPECT_EQ(renewed.acquire_time, "t0");
  EXPECT_EQ(renewed.renew_time, "t2");
  EXPECT_EQ(renewed.transitions, 4);
  EXPECT_EQ(renewed.resource_version, "7");
  const LeaseRecord taken = NextLeaseRecord(held, LeaseStep::kTakeOver, "a", 15, "t2");
  EXPECT_EQ(taken.holder, "a");
  EXPECT_EQ(taken.acquire_time, "t2");
  EXPECT_EQ(taken.transitions, 5);
  EXPECT_EQ(NextLeaseRecord(std::nullopt, LeaseStep::kCreate, "a", 15, "t").transitions, 0);
  const LeaseRecord released = ReleasedLeaseRecord(held, "t3");
  EXPECT_EQ(released.holder, "");
  EXPECT_EQ(released.lease_duration_seconds, 1);
  EXPECT_EQ(released.resource_version, "7");
}

// Leases in memory with the API server's optimistic concurrency.
class MemoryLeaseApi : public KubeApi {
 public:
  Response Get(const std::string& path) override {
    std::lock_guard lock(mu_);
    if (down_) return {500, R"({"kind":"Status","message":"etcd down"})", ""};
    auto it = objects_.find(path);
    if (it == objects_.end()) return {404, R"({"kind":"Status","reason":"NotFound"})", ""};
    return {200, it->second.dump(), ""};
  }
  Response Post(const std::string& path, const std::string& body) override {
    std::lock_guard lock(mu_);
    if (down_) return {500, "", ""};
    json object = json::parse(body);
    const std::string key = path + "/" + object["metadata"]["name"].get<std::string>();
    if (objects_.contains(key)) return {409, R"({"reason":"AlreadyExists"})", ""};
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    objects_[key] = object;
    return {201, object.dump(), ""};
  }
  Response Put(const std::string& path, const std::string& body) override {
    std::lock_guard lock(mu_);
    if (down_) return {500, "", ""};
    json object = json::parse(body);
    auto it = objects_.find(path);
    if (it == objects_.end()) return {404, "", ""};
    if (object["metadata"]["resourceVersion"] != it->second["metadata"]["resourceVersion"]) {
      return {409, R"({"reason":"Conflict"})", ""};
    }
    object["metadata"]["resourceVersion"] = std::to_string(++rv_);
    it->second = object;
    return {200, object.dump(), ""};
  }
  std::string Describe() const override { return "memory"; }
  std::string Namespace() const override { return "ns"; }
  void SetDown(bool down) {
    std::lock_guard lock(mu_);
    down_ = down;
  }

 private:
  std::mutex mu_;
  std::map<std::string, json> objects_;
  int rv_ = 100;
  bool down_ = false;
};

LeaderElectionConfig Config(const std::string& identity) {
  LeaderElectionConfig c;
  c.ns = "ns";
  c.identity = identity;
  c.lease_duration = std::chrono::milliseconds(1000);
  c.renew_deadline = std::chrono::milliseconds(300);
  c.retry_period = std::chrono::milliseconds(100);
  return c;
}

log::Sink Quiet() {
  return [](log::Level, const std::string&, const auto&) {};
}

TEST(LeaderElectorTest, OneHoldsTheOtherFollowsUntilReleased) {
  auto api = std::make_shared<MemoryLeaseApi>();
  LeaderElector a(Config("a"), api, Quiet());
  LeaderElector b(Config("b"), api, Quiet());
  EXPECT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  EXPECT_TRUE(a.Current().leader);
  EXPECT_FALSE(b.Current().leader);
  EXPECT_EQ(b.Current().holder, "a");
  EXPECT_TRUE(a.TryAcquireOrRenew());   // renewal
  EXPECT_FALSE(b.TryAcquireOrRenew());  // a renewed: not expired for b
  a.Stop();                             // releases
  EXPECT_FALSE(a.Current().leader);
  EXPECT_TRUE(b.TryAcquireOrRenew());  // a released lease is taken at once
  EXPECT_EQ(b.Current().holder, "b");
}

TEST(LeaderElectorTest, AnUnrenewedLeaseIsTakenOnlyAfterItsDurationOnTheReadersClock) {
  auto api = std::make_shared<MemoryLeaseApi>();
  LeaderElector a(Config("a"), api, Quiet());
  LeaderElector b(Config("b"), api, Quiet());
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_FALSE(b.TryAcquireOrRenew());  // b first sees the record now
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(b.TryAcquireOrRenew());  // half the lease duration
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_TRUE(b.TryAcquireOrRenew());  // a never renewed: taken over
  // a's renewal now carries a stale resourceVersion: 409, a follows.
  EXPECT_FALSE(a.TryAcquireOrRenew());
  EXPECT_FALSE(a.Current().leader);
}

TEST(LeaderElectorTest, ALeaderThatCannotRenewStopsActingAtItsRenewDeadline) {
  auto api = std::make_shared<MemoryLeaseApi>();
  LeaderElector a(Config("a"), api, Quiet());
  ASSERT_TRUE(a.TryAcquireOrRenew());
  api->SetDown(true);
  EXPECT_FALSE(a.TryAcquireOrRenew());
  EXPECT_TRUE(a.Current().leader) << "a transient failure keeps the leader until its deadline";
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_FALSE(a.Current().leader);
  api->SetDown(false);
  EXPECT_TRUE(a.TryAcquireOrRenew());  // still its own lease: renewed
  EXPECT_TRUE(a.Current().leader);
}

}  // namespace
}  // namespace dbtopo
