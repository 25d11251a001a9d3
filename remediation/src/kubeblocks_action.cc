// switchover.action kubeblocks: ask KubeBlocks to switch over by creating an
// OpsRequest, follow it, and wait until the pods' role labels move.
//
// RBAC the exporter's service account needs: create and get on
// opsrequests.operations.kubeblocks.io in the clusters' namespaces.

#include <thread>

#include "actions.h"
#include "dbtopo/kube/kube_client.h"
#include "dbtopo/kube/kube_json.h"

namespace dbtopo {
namespace remediation {
namespace {

constexpr char kGroupVersion[] = "operations.kubeblocks.io/v1alpha1";

/// The status message of a failed API call, without the body's noise.
std::string ApiError(const KubeApi::Response& r) {
  return kube::KubeApiError(r.status, r.body, r.error);
}

const MemberView* FindIn(const Topology& topology, const UnitId& unit, const std::string& pod) {
  for (const UnitView& u : topology.units) {
    if (u.unit != unit) continue;
    for (const MemberView& m : u.members) {
      if (m.target.pod == pod) return &m;
    }
  }
  return nullptr;
}

// Step 1: POST the OpsRequest; its generated name into `*name`.
bool CreateOpsRequest(KubeApi* kube, const std::string& path, const nlohmann::json& body,
                      const UnitId& unit, const SwitchoverPlan& plan, std::string* name,
                      std::string* detail) {
  const KubeApi::Response r = kube->Post(path, body.dump());
  if (r.status != 201 && r.status != 200) {
    *detail = "create OpsRequest: " + ApiError(r);
    return false;
  }
  const nlohmann::json created = nlohmann::json::parse(r.body, nullptr, false);
  *name = kube::StringAt(created, {"metadata", "name"});
  if (name->empty()) {
    *detail = "create OpsRequest: the answer has no metadata.name";
    return false;
  }
  *detail = "created OpsRequest " + unit.ns + "/" + *name + " (Switchover of " + unit.component +
            ": " + plan.old_primary + " -> " + plan.candidate + ")";
  return true;
}

// Step 2: follow the OpsRequest's status.phase until Succeed (or a final
// failure, or the deadline).
bool WaitOpsRequest(KubeApi* kube, const std::string& path, const std::string& name,
                    ActionContext& ctx, std::string* detail) {
  std::string phase;
  std::string last_error;
  while (true) {
    const KubeApi::Response r = kube->Get(path + "/" + kube::UrlEncode(name));
    if (r.status == 200) {
      const nlohmann::json ops = nlohmann::json::parse(r.body, nullptr, false);
      phase = kube::StringAt(ops, {"status", "phase"});
      if (phase == "Succeed") {
        *detail = "OpsRequest " + name + " phase Succeed";
        return true;
      }
      if (phase == "Failed" || phase == "Cancelled" || phase == "Aborted") {
        *detail = "OpsRequest " + name + " phase " + phase + " " + kube::LastConditionMessage(ops);
        return false;
      }
    } else {
      last_error = ApiError(r);
    }
    if (ctx.Expired()) {
      *detail = "timeout: OpsRequest " + name + " phase \"" + phase + "\"" +
                (last_error.empty() ? "" : " (last error " + last_error + ")");
      return false;
    }
    std::this_thread::sleep_for(std::min(ctx.options().poll_interval, ctx.Remaining()));
  }
}

// Step 3: wait until the rounds show the candidate labelled primary and the
// old primary not.
bool WaitRoleLabels(const UnitId& unit, const SwitchoverPlan& plan, const std::string& name,
                    ActionContext& ctx, std::string* detail) {
  auto moved = [&](const Topology& t) {
    const MemberView* cand = FindIn(t, unit, plan.candidate);
    const MemberView* old = FindIn(t, unit, plan.old_primary);
    return cand != nullptr && cand->target.labelled_role == Role::kPrimary &&
           (old == nullptr || old->target.labelled_role != Role::kPrimary);
  };
  auto last = ctx.options().wait_topology
                  ? ctx.options().wait_topology(moved, ctx.options().deadline)
                  : nullptr;
  if (last != nullptr && moved(*last)) {
    *detail = "role labels moved: " + plan.candidate + " is labelled primary";
    return true;
  }
  std::string now = "no round seen";
  if (last != nullptr) {
    const MemberView* cand = FindIn(*last, unit, plan.candidate);
    now = plan.candidate + " labelled \"" +
          (cand != nullptr ? cand->target.role_label_value : "?") + "\"";
  }
  *detail = "timeout: OpsRequest " + name +
            " succeeded but the role labels did "
            "not move (" +
            now + ")";
  return false;
}

}  // namespace

std::string OpsRequestsPath(const std::string& ns) {
  return std::string("/apis/") + kGroupVersion + "/namespaces/" + kube::UrlEncode(ns) +
         "/opsrequests";
}

nlohmann::json OpsRequestBody(const UnitId& unit, const std::string& old_primary,
                              const std::string& candidate) {
  return {
      {"apiVersion", kGroupVersion},
      {"kind", "OpsRequest"},
      {"metadata", {{"generateName", unit.db_cluster + "-switchover-"}, {"namespace", unit.ns}}},
      {"spec",
       {{"clusterName", unit.db_cluster},
        {"type", "Switchover"},
        {"switchover", nlohmann::json::array({{{"componentName", unit.component},
                                               {"instanceName", old_primary},
                                               {"candidateName", candidate}}})}}}};
}

ActionOutcome KubeblocksSwitchover(const UnitId& unit, const SwitchoverPlan& plan, KubeApi* kube,
                                   ActionContext& ctx) {
  ActionOutcome out;
  const std::string path = OpsRequestsPath(unit.ns);
  const nlohmann::json body = OpsRequestBody(unit, plan.old_primary, plan.candidate);
  std::string name;
  if (!ctx.Step("create_opsrequest", "", StepKind::kChange,
                "would POST " + path + " " + body.dump(), [&](std::string* detail) {
                  return CreateOpsRequest(kube, path, body, unit, plan, &name, detail);
                })) {
    out.summary = ctx.failed_detail();
    out.recovery = "no OpsRequest was created; nothing changed";
    return out;
  }
  if (!ctx.Step(
          "wait_opsrequest", "", StepKind::kChange,
          "would follow the OpsRequest's status.phase until Succeed",
          [&](std::string* detail) { return WaitOpsRequest(kube, path, name, ctx, detail); })) {
    out.summary = ctx.failed_detail();
    out.recovery = "kubectl describe opsrequest -n " + unit.ns + " " + name +
                   "; KubeBlocks owns the switchover from here (re-running creates another "
                   "OpsRequest)";
    return out;
  }
  if (!ctx.Step(
          "wait_role_labels", plan.candidate, StepKind::kChange,
          "would wait until the role label of " + plan.candidate + " says primary",
          [&](std::string* detail) { return WaitRoleLabels(unit, plan, name, ctx, detail); })) {
    out.summary = ctx.failed_detail();
    out.recovery =
        "the database may have switched but the labels lag (a half-done switchover): check "
        "the pods' kubeblocks.io/role labels and the OpsRequest " +
        name;
    return out;
  }
  out.ok = true;
  out.summary = "KubeBlocks switched " + unit.component + " over to " + plan.candidate +
                " (OpsRequest " + name + ")";
  return out;
}

}  // namespace remediation
}  // namespace dbtopo
