#include "dbtopo/remediation/leader_election.h"

#include <cassert>

#include "dbtopo/kube/kube_json.h"
#include "lease_record.h"

namespace dbtopo {
namespace {

using Clock = std::chrono::steady_clock;

std::string Now() { return FormatMicroTime(std::chrono::system_clock::now()); }

int Seconds(std::chrono::milliseconds d) {
  return static_cast<int>(std::chrono::ceil<std::chrono::seconds>(d).count());
}

}  // namespace

LeaderElector::LeaderElector(LeaderElectionConfig config, std::shared_ptr<KubeApi> kube,
                             log::Sink log)
    : config_(std::move(config)), kube_(std::move(kube)), log_(std::move(log)) {
  assert(kube_ != nullptr);
  assert(config_.retry_period < config_.renew_deadline &&
         config_.renew_deadline < config_.lease_duration);
}

LeaderElector::~LeaderElector() { Stop(); }

std::string LeaderElector::LeasePath() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + config_.ns + "/leases/" + config_.lease_name;
}

void LeaderElector::Start() {
  MutexLock lock(&mutex_);
  if (thread_.joinable() || stopping_) return;
  log::To(log_, log::Level::kInfo, "leader election started",
          {{"lease", config_.ns + "/" + config_.lease_name},
           {"identity", config_.identity},
           {"lease_duration_seconds", std::to_string(Seconds(config_.lease_duration))}});
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Run() {
  MutexLock lock(&mutex_);
  while (!stopping_) {
    lock.Unlock();
    TryAcquireOrRenew();
    lock.Lock();
    wake_.WaitFor(lock, config_.retry_period,
                  [this]() DBTOPO_REQUIRES(mutex_) { return stopping_; });
  }
}

void LeaderElector::Stop() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  wake_.NotifyAll();
  if (thread_.joinable()) thread_.join();
  Release();
}

bool LeaderElector::TryAcquireOrRenew() {
  const KubeApi::Response read = kube_->Get(LeasePath());
  if (read.status != 200 && read.status != 404) {
    LogProblem("cannot read the lease: " + kube::KubeApiError(read.status, read.body, read.error));
    KeepUntilRenewDeadline();
    return false;
  }
  std::optional<LeaseRecord> current;
  if (read.status == 200) {
    auto parsed = ParseLease(read.body);
    if (!parsed) {
      LogProblem("the lease is not a Lease object: " + parsed.error().message);
      KeepUntilRenewDeadline();
      return false;
    }
    current = std::move(parsed).value();
    // Expiry runs on our clock from when the record last changed.
    if (!observed_ || !observed_->SameRecord(*current)) {
      observed_ = std::make_unique<LeaseRecord>(*current);
      observed_at_ = Clock::now();
    }
  }
  const auto duration = current && current->lease_duration_seconds > 0
                            ? std::chrono::milliseconds(current->lease_duration_seconds * 1000)
                            : config_.lease_duration;
  const bool expired = Clock::now() >= observed_at_ + duration;
  const LeaseStep step = DecideLeaseStep(current, config_.identity, expired);
  if (step == LeaseStep::kFollow) {
    SetLeader(false, current->holder);
    last_problem_.clear();
    return false;
  }
  const Clock::time_point attempt = Clock::now();
  const LeaseRecord next =
      NextLeaseRecord(current, step, config_.identity, Seconds(config_.lease_duration), Now());
  const std::string body = LeaseJson(config_.ns, config_.lease_name, next);
  const KubeApi::Response wrote =
      step == LeaseStep::kCreate
          ? kube_->Post("/apis/coordination.k8s.io/v1/namespaces/" + config_.ns + "/leases", body)
          : kube_->Put(LeasePath(), body);
  if (wrote.status == 409) {
    // Another replica wrote first; the next read shows who.
    SetLeader(false, current ? current->holder : "");
    return false;
  }
  auto written =
      wrote.status == 200 || wrote.status == 201
          ? ParseLease(wrote.body)
          : Result<LeaseRecord>(Error{kube::KubeApiError(wrote.status, wrote.body, wrote.error)});
  if (!written) {
    LogProblem("cannot write the lease: " + written.error().message);
    KeepUntilRenewDeadline();
    return false;
  }
  observed_ = std::make_unique<LeaseRecord>(std::move(written).value());
  observed_at_ = attempt;
  last_problem_.clear();
  {
    MutexLock lock(&mutex_);
    leader_until_ = attempt + config_.renew_deadline;
  }
  SetLeader(true, config_.identity);
  return true;
}

void LeaderElector::SetLeader(bool leader, const std::string& holder) {
  std::string was_holder;
  bool was_leader;
  {
    MutexLock lock(&mutex_);
    if (leader_ && Clock::now() >= leader_until_) leader = false;  // renew deadline passed
    was_leader = leader_;
    was_holder = holder_;
    leader_ = leader;
    if (!leader && !holder.empty()) holder_ = holder;
    if (leader) holder_ = config_.identity;
  }
  const std::string lease = config_.ns + "/" + config_.lease_name;
  if (leader && !was_leader) {
    log::To(log_, log::Level::kInfo, "became the remediation leader",
            {{"lease", lease}, {"identity", config_.identity}, {"previous_holder", was_holder}});
  } else if (!leader && was_leader) {
    log::To(log_, log::Level::kWarn, "lost the remediation leadership",
            {{"lease", lease}, {"identity", config_.identity}, {"holder", holder}});
  } else if (!leader && !holder.empty() && holder != was_holder) {
    log::To(log_, log::Level::kInfo, "remediation leader is another replica",
            {{"lease", lease}, {"holder", holder}, {"identity", config_.identity}});
  }
}

void LeaderElector::KeepUntilRenewDeadline() {
  // A transient API failure: a leader keeps acting until its renew deadline,
  // as client-go's does; a follower stays one.
  SetLeader(Current().leader, "");
}

void LeaderElector::LogProblem(const std::string& problem) {
  // Once per distinct problem, not every retry_period.
  if (problem == last_problem_) return;
  last_problem_ = problem;
  log::To(log_, log::Level::kWarn, "leader election: " + problem,
          {{"lease", config_.ns + "/" + config_.lease_name}, {"api", kube_->Describe()}});
}

void LeaderElector::Release() {
  {
    MutexLock lock(&mutex_);
    if (!leader_ || !observed_) return;
    leader_ = false;
  }
  const KubeApi::Response r =
      kube_->Put(LeasePath(),
                 LeaseJson(config_.ns, config_.lease_name, ReleasedLeaseRecord(*observed_, Now())));
  if (r.status == 200) {
    log::To(log_, log::Level::kInfo, "released the remediation lease",
            {{"lease", config_.ns + "/" + config_.lease_name}, {"identity", config_.identity}});
  } else {
    log::To(log_, log::Level::kWarn, "could not release the remediation lease",
            {{"lease", config_.ns + "/" + config_.lease_name},
             {"err", kube::KubeApiError(r.status, r.body, r.error)}});
  }
}

Leadership LeaderElector::Current() const {
  MutexLock lock(&mutex_);
  Leadership l;
  l.elected = true;
  l.leader = leader_ && Clock::now() < leader_until_;
  l.holder = holder_;
  l.lease = config_.ns + "/" + config_.lease_name;
  l.identity = config_.identity;
  return l;
}

}  // namespace dbtopo
