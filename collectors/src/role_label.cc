#include <algorithm>
#include <cctype>

#include "dbtopo/collectors/discovery.h"

namespace dbtopo {

RoleValues DefaultRoleValues() {
  return {{"primary", Role::kPrimary},   {"leader", Role::kPrimary},
          {"master", Role::kPrimary},    {"secondary", Role::kReplica},
          {"follower", Role::kReplica},  {"learner", Role::kReplica},
          {"slave", Role::kReplica},     {"replica", Role::kReplica}};
}

std::optional<Role> MapRoleLabel(const std::string& value, const RoleValues& values) {
  if (value.empty()) return std::nullopt;
  std::string lower = value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = values.find(lower);
  return it == values.end() ? Role::kUnknown : it->second;
}

}  // namespace dbtopo
