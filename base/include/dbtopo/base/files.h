#pragma once

#include <string>

namespace dbtopo {

/// Reads the whole file at `path` (binary) into `*out`. On failure returns
/// false and sets `*error` to "cannot read <path>: <strerror>".
bool ReadWholeFile(const std::string& path, std::string* out, std::string* error);

}  // namespace dbtopo
