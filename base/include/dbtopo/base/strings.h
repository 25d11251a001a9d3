#pragma once

// String helpers every module shares. ASCII only: they serve protocol and
// config text (HTTP headers, kubeconfig fields, server role names), never
// user-facing prose.

#include <string_view>

namespace dbtopo {

/// `text` without leading and trailing spaces, tabs, CR and LF. A view into
/// `text`: it must outlive the result.
std::string_view Trim(std::string_view text);

/// True when `a` and `b` are equal ignoring ASCII case ("Bearer" ==
/// "bearer"). Bytes outside A-Z compare exactly.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace dbtopo
