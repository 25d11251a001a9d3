#pragma once

// DBTOPO_ASSERT(condition, "why it must hold"): an invariant of the code, not
// a check of input. Input (config, server replies, HTTP requests) is never
// asserted: it gets an error. A broken invariant is a bug; continuing would
// act on a wrong picture of the databases, so the process logs the place and
// aborts, in every build type (NDEBUG does not turn it off).

namespace dbtopo::detail {
[[noreturn]] void AssertionFailed(const char* condition, const char* why, const char* file,
                                  int line);
}  // namespace dbtopo::detail

#define DBTOPO_ASSERT(condition, why)                                         \
  do {                                                                        \
    if (!(condition)) {                                                       \
      ::dbtopo::detail::AssertionFailed(#condition, why, __FILE__, __LINE__); \
    }                                                                         \
  } while (false)
