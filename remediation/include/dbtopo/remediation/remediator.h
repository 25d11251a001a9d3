#pragma once

// The remediation hook.
//
// Detection (analysis findings) and recovery are separate, as in orchestrator
// and Vitess VTOrc. Every action, whoever asks for it, goes through the same
// sequence:
//
//   1. resolve  the unit (namespace, db_cluster, component) and the pods named
//               in the request against discovery's current targets;
//   2. lock     the unit: one action in flight per unit (409 otherwise);
//   3. re-read  every member of the unit with fresh probes (never the
//               snapshot alone) and analyse that read;
//   4. confirm  the problem and the preconditions on the fresh read (pure
//               policy, policy.h): the whole unit is visible, the candidate's
//               link is up and within max_lag, exactly one legitimate primary
//               for a fence, ...;
//   5. act      unless dry run (remediation.enabled false): record "dry_run"
//               with the steps it would take, change nothing;
//   6. verify   with fresh probes until the new state holds or the timeout
//               passes;
//   7. record   log line, dbtopo_remediation_actions_total{action,result},
//               and the record in Status() (shown in /api/v1/topology).
//
// Threads: OnTopology() only stores the round's topology and wakes the
// remediator's own thread (the poll loop never waits on remediation); that
// thread runs the automatic fencing (remediation.fence_stray_primaries). API
// switchovers run on the calling (HTTP) thread; alert-triggered actions run
// on threads of their own. Status() takes one mutex that no action holds
// while it talks to a server.
//
// Credentials: the remediator asks Discovery for the unit's targets (and the
// credentials to log in with) when it acts; credentials never enter a
// Topology, a Snapshot, a record, a log line or an HTTP answer.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/base/log.h"
#include "dbtopo/base/secret.h"
#include "dbtopo/collectors/discovery.h"
#include "dbtopo/collectors/worker_pool.h"
#include "dbtopo/kube/kube_api.h"
#include "dbtopo/remediation/remediation_config.h"
#include "dbtopo/remediation/status.h"

namespace dbtopo {

/// Reads one target once with its own connection (a fresh probe). Must not
/// take much longer than `timeout` and must not throw.
using FreshProbeFn = std::function<Observation(const Target& target, const Credentials& credentials,
                                               std::chrono::milliseconds timeout)>;

struct RemediatorOptions {
  /// `remediation:` (token, dry run, switchover policy, cooldown, ...).
  RemediationConfig config;
  /// Current targets with their credentials (not owned; must outlive the
  /// Remediator). Targets() is called from remediation threads.
  Discovery* discovery = nullptr;
  /// The replication user of a unit (`clusters[].replication_credentials`),
  /// used in CHANGE MASTER when replicas are re-pointed; null when none.
  std::function<std::shared_ptr<const Credentials>(const UnitId&)> replication_credentials;
  /// Same thresholds as the poll loop (Redis lag in bytes).
  AnalysisOptions analysis;
  /// Timeout of every fresh probe and of every admin statement that is not a
  /// bounded wait.
  std::chrono::milliseconds probe_timeout{2000};
  /// Automatic fencing acts only after a dual_primary / writable_replica
  /// finding was present in this many consecutive rounds.
  int auto_rounds = 2;
  /// Records kept per unit for Status().
  std::size_t history_per_unit = 10;
  /// Pause between two fresh re-reads while verifying.
  std::chrono::milliseconds verify_interval{500};
  /// How long POST /api/v1/alerts waits for the actions it started before
  /// it answers "in_progress" for the ones still running.
  std::chrono::milliseconds alert_reply_wait{5000};
  /// Fresh probe; null => MakeProbe(target, credentials, {timeout})->Collect().
  FreshProbeFn probe;
  /// The workers the fresh re-reads probe on: the poll loop's (not owned;
  /// must outlive the Remediator), so that remediation talks to no more
  /// servers at once than `max_concurrency`. Null => a pool of its own with
  /// 16 workers.
  WorkerPool* pool = nullptr;
  /// Kubernetes API for switchover.action kubeblocks; null => such a
  /// switchover is refused with a reason.
  std::shared_ptr<KubeApi> kube;
  /// Leader election among replicas (LeaderElector::Current); null => this
  /// replica is the only remediator. A follower answers the POST endpoints
  /// 503 naming the holder and holds back its automatic actions.
  std::function<Leadership()> leadership;
  /// Where log lines go (at most 10 fields, never a secret); null =>
  /// log::Write.
  log::Sink log;
  /// Called after Status() changed (a record added, an action taken in
  /// hand, an automatic action held back), on the thread that changed it and
  /// holding no lock of the Remediator, so that the exporter re-publishes
  /// /metrics and /api/v1/topology with it before the next round. May call
  /// Status(); must not block on an action.
  std::function<void()> on_status_change;
  /// Test seam: called before each step runs, with the step name and pod.
  std::function<void(const std::string& step, const std::string& pod)> on_step;
};

/// A switchover request (POST /api/v1/switchover, or an alert).
struct SwitchoverRequest {
  std::string ns;  ///< `namespace`; only used when ns_set.
  bool ns_set = false;
  std::string db_cluster;  ///< Required.
  std::string component;   ///< Only used when component_set.
  bool component_set = false;
  /// Pod to promote; "" => the best healthy replica (alert-triggered).
  std::string candidate;
  /// Force a dry run even when remediation is enabled.
  bool dry_run = false;
  /// Finding kinds the trigger claims (an alert's); the fresh read must show
  /// one of them in the unit, else the request is refused. Empty: an API
  /// request, which states its own intent.
  std::vector<std::string> confirm_kinds;
};

/// A fence request (an alert, or the automatic path).
struct FenceRequest {
  std::string ns;
  bool ns_set = false;
  std::string db_cluster;
  std::string component;
  bool component_set = false;
  /// Only fence this pod; "" => every stray primary of the unit.
  std::string pod;
  bool dry_run = false;
  /// As SwitchoverRequest::confirm_kinds.
  std::vector<std::string> confirm_kinds;
};

/// One alert of an Alertmanager notification.
struct Alert {
  std::string status;  ///< "firing" or "resolved".
  std::map<std::string, std::string> labels;
};

/// What became of one alert of a notification.
struct AlertDecision {
  /// The alert's alertname, status and unit labels ("" when absent).
  std::string alertname, status, ns, db_cluster, component, pod;
  /// The remediation.alert_actions entry it maps to; "" when none.
  std::string action;
  /// "ignored", "in_progress", or the record's result (refused, dry_run,
  /// success, failure).
  std::string decision;
  std::string reason;
  /// The decision's record, when it finished within alert_reply_wait.
  std::optional<RemediationRecord> record;
};

/// "this replica (<identity>) is not the remediation leader: lease <lease>
/// is held by <holder>", for refusals on a follower.
std::string NotLeaderReason(const Leadership& leadership);

class Remediator {
 public:
  /// Starts the remediator's thread. `options.discovery` is required.
  explicit Remediator(RemediatorOptions options);
  /// Stops the thread and waits for actions in flight (each is bounded by
  /// remediation.switchover.timeout).
  ~Remediator();
  Remediator(const Remediator&) = delete;
  Remediator& operator=(const Remediator&) = delete;

  /// Hands the latest round to the remediator. Never blocks on an action:
  /// stores the pointer and wakes the remediator's thread.
  void OnTopology(std::shared_ptr<const Topology> topology);

  /// An Alertmanager notification: firing alerts whose alertname is in
  /// remediation.alert_actions run that action on the unit named by their
  /// labels (namespace, db_cluster, component; fence also `pod`), each on its
  /// own thread, the same action on the same unit once. Waits up to
  /// alert_reply_wait for them; one decision per alert, in order.
  std::vector<AlertDecision> OnAlerts(const std::vector<Alert>& alerts);

  /// Runs a switchover now on the calling thread; returns its record.
  RemediationRecord Switchover(const SwitchoverRequest& request, const std::string& trigger);
  /// Runs a fence now on the calling thread; returns its record.
  RemediationRecord Fence(const FenceRequest& request, const std::string& trigger);

  /// Counters and recent records; cheap, never waits on an action.
  RemediationStatus Status() const;
  /// RemediatorOptions::leadership(), or the sole remediator's when none.
  Leadership CurrentLeadership() const;
  /// `remediation:` as given.
  const RemediationConfig& config() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dbtopo
