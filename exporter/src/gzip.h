#pragma once

// gzip for HTTP responses (zlib). The exporter compresses its responses
// itself: the /metrics bytes once per poll round, shared by every scrape of
// that round, instead of once per scrape.

#include <string>
#include <string_view>

namespace dbtopo {

/// `data` as one gzip member (RFC 1952) at zlib `level` (1 fastest .. 9
/// smallest). Never fails on valid input; throws std::bad_alloc when zlib
/// cannot allocate.
std::string GzipCompress(std::string_view data, int level = 1);

/// True when an `Accept-Encoding` header value accepts gzip: a `gzip` or `*`
/// coding whose q is not 0 (RFC 9110 12.5.3). "" accepts nothing.
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace dbtopo
