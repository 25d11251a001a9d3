#pragma once

// Discovery yields the targets to probe this round.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dbtopo/analysis/model.h"
#include "dbtopo/base/secret.h"

namespace dbtopo {

/// A target plus the credentials to probe it with.
struct DiscoveredTarget {
  Target target;
  std::shared_ptr<const Credentials> credentials;
};

class Discovery {
 public:
  virtual ~Discovery() = default;
  /// The current targets. Must be cheap (called once per poll round) and must
  /// not drop known targets on a transient error.
  virtual std::vector<DiscoveredTarget> Targets() = 0;
};

/// Role label value -> role (`role_values`). Keys are compared lower-case.
using RoleValues = std::map<std::string, Role>;

/// Defaults: primary, leader, master -> primary; secondary, follower,
/// learner, slave, replica -> replica.
RoleValues DefaultRoleValues();

/// Maps a role label value through `values` (case-insensitive); values not in
/// the map become Role::kUnknown; an empty value is std::nullopt (no label).
std::optional<Role> MapRoleLabel(const std::string& value, const RoleValues& values);

/// A fixed list of targets (the static `clusters[].members` config).
class StaticDiscovery : public Discovery {
 public:
  explicit StaticDiscovery(std::vector<DiscoveredTarget> targets) : targets_(std::move(targets)) {}
  std::vector<DiscoveredTarget> Targets() override { return targets_; }

 private:
  std::vector<DiscoveredTarget> targets_;
};

/// The targets of several discoveries (e.g. static members + Kubernetes), in
/// order. A target whose Key() an earlier discovery already yielded is
/// dropped, so a pod listed statically and discovered is probed once.
class CombinedDiscovery : public Discovery {
 public:
  explicit CombinedDiscovery(std::vector<std::unique_ptr<Discovery>> parts)
      : parts_(std::move(parts)) {}
  std::vector<DiscoveredTarget> Targets() override;

 private:
  std::vector<std::unique_ptr<Discovery>> parts_;
};

}  // namespace dbtopo
