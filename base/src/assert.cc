#include "dbtopo/base/assert.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "dbtopo/base/log.h"

namespace dbtopo::detail {

void AssertionFailed(const char* condition, const char* why, const char* file, int line) {
  log::Error("invariant broken; aborting",
             {{"condition", condition},
              {"why", why},
              {"at", std::string(file) + ":" + std::to_string(line)}});
  // Also straight to stderr: the crash report must not depend on the
  // logger's sink or on it being flushed before abort().
  std::fprintf(stderr, "dbtopo: invariant broken at %s:%d: %s (%s)\n", file, line, why, condition);
  std::abort();
}

}  // namespace dbtopo::detail
