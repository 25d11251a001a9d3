#include <set>

#include "dbtopo/collectors/discovery.h"

namespace dbtopo {

std::vector<DiscoveredTarget> CombinedDiscovery::Targets() {
  std::vector<DiscoveredTarget> all;
  std::set<std::string> keys;
  for (const auto& part : parts_) {
    for (DiscoveredTarget& target : part->Targets()) {
      if (keys.insert(target.target.Key()).second) all.push_back(std::move(target));
    }
  }
  return all;
}

}  // namespace dbtopo
