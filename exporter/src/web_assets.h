#pragma once

// The topology page's files (web/), compiled into the binary: the page needs
// nothing from the network or the disk. Generated into web_assets.cc by
// cmake/embed_web_assets.cmake.

#include <cstddef>
#include <string_view>

namespace dbtopo::web {

struct Asset {
  const char* path;          ///< URL path it is served at, e.g. "/assets/page.js".
  const char* content_type;  ///< Content-Type header value.
  std::string_view body;     ///< The file's bytes.
};

extern const Asset kAssets[];
extern const std::size_t kAssetCount;

}  // namespace dbtopo::web
