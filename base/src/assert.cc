#include "dbtopo/base/assert.h"

#include <cstdlib>
#include <string>

#include "dbtopo/base/log.h"

namespace dbtopo::detail {

void AssertionFailed(const char* condition, const char* why, const char* file, int line) {
  log::Error("invariant broken; aborting",
             {{"condition", condition},
              {"why", why},
              {"at", std::string(file) + ":" + std::to_string(line)}});
  std::abort();
}

}  // namespace dbtopo::detail
