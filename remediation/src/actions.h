#pragma once

// The actions: what remediation does to servers (and to the Kubernetes API,
// a command, a webhook) once the policy said yes. Each action is a sequence
// of named steps run through an ActionContext, which bounds them by one
// deadline, records them (name, pod, status, detail, duration), turns them
// into "planned" steps for a dry run, and knows whether anything was changed
// yet (a failure before the first change is reported as a refusal: nothing
// changed).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/base/secret.h"
#include "dbtopo/remediation/remediation_config.h"
#include "dbtopo/remediation/remediator.h"
#include "dbtopo/remediation/status.h"
#include "policy.h"

namespace dbtopo::remediation {

using Clock = std::chrono::steady_clock;

/// How to reach one member: its target and the credentials to log in with.
struct MemberAccess {
  Target target;
  std::shared_ptr<const Credentials> credentials;
};

/// Pod -> access, for every member of the unit.
using MemberMap = std::map<std::string, MemberAccess>;

/// Whether a step only reads (runs in a dry run too), changes a server
/// (planned only in a dry run), or undoes a change after a failure (runs
/// even when the deadline has passed).
enum class StepKind { kRead, kChange, kCleanup };

/// Runs and records the steps of one action.
class ActionContext {
 public:
  struct Options {
    Clock::time_point deadline;
    bool dry_run = false;
    /// Timeout of one admin statement that is not a bounded wait.
    std::chrono::milliseconds statement_timeout{2000};
    /// Pause between two re-reads while waiting.
    std::chrono::milliseconds poll_interval{500};
    /// A fresh read of the unit (std::nullopt when the unit is gone).
    std::function<std::optional<UnitView>()> reread;
    /// Waits (until the deadline) for a published round whose topology
    /// satisfies `predicate`; returns the last one seen (or null).
    std::function<std::shared_ptr<const Topology>(
        const std::function<bool(const Topology&)>& predicate, Clock::time_point deadline)>
        wait_topology;
    std::function<void(const std::string& step, const std::string& pod)> on_step;
    std::function<void(const RemediationStep& step)> log_step;
  };

  explicit ActionContext(Options options) : options_(std::move(options)) {}

  /// Runs one step. A kRead step runs even in a dry run; a kChange step is
  /// recorded as "planned" with `plan` as detail in a dry run. `fn` returns
  /// true on success and sets *detail either way (never a secret). A step
  /// whose turn comes after the deadline fails without running. Returns
  /// whether the step succeeded (true for a planned step).
  bool Step(const std::string& name, const std::string& pod, StepKind kind, const std::string& plan,
            const std::function<bool(std::string* detail)>& fn);

  /// Polls `check` (a fresh read -> "" when done, else what is missing) every
  /// poll_interval until it returns "" or the deadline passes. Returns "" on
  /// success, else the last problem.
  std::string WaitFor(const std::function<std::string(const UnitView&)>& check);

  /// Time left before the deadline (0 when past it).
  std::chrono::milliseconds Remaining() const;
  bool Expired() const { return Clock::now() >= options_.deadline; }
  bool dry_run() const { return options_.dry_run; }
  /// True once a kChange step has run (successfully or not).
  bool changed() const { return changed_; }
  const Options& options() const { return options_; }

  std::vector<RemediationStep>& steps() { return steps_; }
  /// The first failed step's name ("" when none failed) and detail.
  const std::string& failed_step() const { return failed_step_; }
  const std::string& failed_detail() const { return failed_detail_; }

 private:
  Options options_;
  std::vector<RemediationStep> steps_;
  bool changed_ = false;
  std::string failed_step_;
  std::string failed_detail_;
};

/// What an action achieved.
struct ActionOutcome {
  bool ok = false;
  /// One line: what was done, or why it failed.
  std::string summary;
  /// On failure: the state the unit is in and how a person can finish.
  std::string recovery;
};

// ---- native MySQL/MariaDB (mysql_actions.cc)

/// Planned switchover: preflight, read-only on the old primary, wait until the
/// candidate applied the old primary's GTID position, promote, re-point the
/// old primary and the others, verify. `replication` is the replication user
/// (required). See docs/remediation.md for the states a failure leaves.
ActionOutcome MysqlSwitchover(const SwitchoverPlan& plan, const MemberMap& members,
                              const Credentials& replication, ActionContext& ctx);
/// read_only=1 (MySQL: super_read_only=1) on every stray, then verify.
ActionOutcome MysqlFence(const FencePlan& plan, const MemberMap& members, ActionContext& ctx);

// ---- native Redis / Redis Cluster (redis_actions.cc)

/// CLIENT PAUSE WRITE on the old master, wait for the candidate's offset,
/// REPLICAOF NO ONE on it, REPLICAOF the candidate on the others, verify.
ActionOutcome RedisSwitchover(const SwitchoverPlan& plan, const MemberMap& members,
                              ActionContext& ctx);
/// CLUSTER FAILOVER on the candidate replica, wait for ROLE master, verify.
ActionOutcome RedisClusterFailover(const SwitchoverPlan& plan, const MemberMap& members,
                                   ActionContext& ctx);
/// REPLICAOF <legit primary> on every stray master, then verify.
ActionOutcome RedisFence(const FencePlan& plan, const MemberMap& members, ActionContext& ctx);

// ---- Redis under Sentinel (sentinel_actions.cc)

/// Switchover of a Redis unit that sentinels watch (UnitView::sentinel_views
/// not empty), without losing an acknowledged write: checks that every
/// sentinel names the old primary and reaches its quorum and that admin
/// login works; makes the old master refuse writes (CONFIG SET
/// min-replicas-to-write to an unreachable count, read back first); waits
/// until every replica has the old master's offset; sets replica-priority 0
/// on the replicas other than the candidate until the asked sentinel reports
/// it (Sentinel promotes by priority first); runs SENTINEL FAILOVER <name> on
/// that sentinel; waits until the databases show one master other than the
/// old one, every other member replicates from it, and every sentinel names
/// it with no failover under way; restores min-replicas-to-write and
/// replica-priority in any case. Never runs REPLICAOF itself. Needs, besides
/// the probe's
/// commands, +config|get +config|set on the servers and +sentinel|failover
/// on the sentinels.
ActionOutcome SentinelSwitchover(const SwitchoverPlan& plan, const UnitView& unit,
                                 const MemberMap& members, ActionContext& ctx);

// ---- KubeBlocks (kubeblocks_action.cc)

/// The OpsRequest the kubeblocks action creates: apiVersion
/// operations.kubeblocks.io/v1alpha1, kind OpsRequest, metadata
/// {generateName "<cluster>-switchover-", namespace}, spec {clusterName,
/// type Switchover, switchover [{componentName, instanceName (current
/// primary pod), candidateName}]}.
nlohmann::json OpsRequestBody(const UnitId& unit, const std::string& old_primary,
                              const std::string& candidate);
/// "/apis/operations.kubeblocks.io/v1alpha1/namespaces/<ns>/opsrequests".
std::string OpsRequestsPath(const std::string& ns);
/// Creates the OpsRequest, follows status.phase until Succeed (Failed,
/// Cancelled, Aborted fail), then waits until the published rounds show the
/// candidate labelled primary and the old primary not.
ActionOutcome KubeblocksSwitchover(const UnitId& unit, const SwitchoverPlan& plan, KubeApi* kube,
                                   ActionContext& ctx);

// ---- exec / webhook (exec_action.cc, webhook_action.cc)

/// Environment of the exec command: DBTOPO_NAMESPACE, DBTOPO_DB_CLUSTER,
/// DBTOPO_COMPONENT, DBTOPO_OLD_PRIMARY, DBTOPO_CANDIDATE.
std::map<std::string, std::string> ExecEnvironment(const UnitId& unit,
                                                   const std::string& old_primary,
                                                   const std::string& candidate);
/// Result of running a command.
struct CommandResult {
  bool started = false;
  bool timed_out = false;
  int exit_code = -1;  ///< When it exited normally.
  int signal = 0;      ///< When killed by a signal.
  std::string output;  ///< Last bytes of stdout+stderr.
  std::string error;   ///< Why it could not be started.
};
/// Runs argv (PATH lookup) with `env` added to the environment, stdin
/// /dev/null, in its own process group; kills the group at `timeout`.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout);
/// Runs remediation.switchover.command (exit 0 = success), then verifies with
/// fresh reads until the candidate is the primary.
ActionOutcome ExecSwitchover(const UnitId& unit, const SwitchoverPlan& plan,
                             const std::vector<std::string>& command, ActionContext& ctx);

/// The webhook body: {"action": "switchover", "namespace", "db_cluster",
/// "component", "old_primary", "candidate"}.
nlohmann::json WebhookBody(const UnitId& unit, const std::string& old_primary,
                           const std::string& candidate);
/// POSTs the body to remediation.switchover.url (2xx = accepted), then
/// verifies with fresh reads until the candidate is the primary.
ActionOutcome WebhookSwitchover(const UnitId& unit, const SwitchoverPlan& plan,
                                const std::string& url, ActionContext& ctx);

/// The shared last step of every switchover: wait until VerifySwitchover
/// holds on a fresh read.
bool VerifySwitchoverStep(const std::string& candidate, ActionContext& ctx);

/// A switchover that something else performs (a command, a webhook): one
/// step hands it over, then the exporter verifies on fresh reads.
struct ExternalSwitchover {
  std::string who;        ///< "the command", "the webhook": for the summary.
  std::string step;       ///< The step's name ("run_command", "post_webhook").
  std::string plan;       ///< What a dry run says the step would do.
  std::string recovery;   ///< What to do when the hand-over step fails.
  std::string candidate;  ///< The pod that must end up primary.
  /// Runs the hand-over; its detail, and true when it was accepted.
  std::function<bool(std::string* detail)> hand_over;
};

/// Runs `external.hand_over` as a step and, when it was accepted, verifies
/// that the unit converged on the candidate; the outcome says which part
/// failed and what to do.
ActionOutcome RunExternalSwitchover(const ExternalSwitchover& external, ActionContext& ctx);

}  // namespace dbtopo::remediation
