#pragma once

#include <string>

#include "dbtopo/base/result.h"

namespace dbtopo {

/// The whole file at `path` (binary), or "cannot read <path>: <strerror>".
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace dbtopo
