#include "gzip.h"

#include <zlib.h>

#include <cctype>
#include <new>

#include "dbtopo/base/strings.h"

namespace dbtopo {
namespace {

// q of "gzip;q=0.5" parameters; 1 when absent or unreadable.
bool QualityIsZero(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    const std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() < 2 || std::tolower(static_cast<unsigned char>(param[0])) != 'q' ||
        param[1] != '=') {
      continue;
    }
    const std::string_view q = Trim(param.substr(2));
    // "0", "0.", "0.0", "0.000": zero; anything else accepts.
    return !q.empty() && q.find_first_not_of("0.") == std::string_view::npos && q[0] == '0';
  }
  return false;
}

}  // namespace

std::string GzipCompress(std::string_view data, int level) {
  z_stream stream{};
  // 15 window bits + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  // deflateBound() leaves room for everything: Z_FINISH completes at once.
  if (result != Z_STREAM_END) throw std::bad_alloc();
  return out;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const std::string_view item = Trim(accept_encoding.substr(0, comma));
    accept_encoding =
        comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string_view coding = Trim(item.substr(0, semi));
    if (!EqualsIgnoreCase(coding, "gzip") && coding != "*") continue;
    const bool zero = semi != std::string_view::npos && QualityIsZero(item.substr(semi + 1));
    if (!zero) return true;
  }
  return false;
}

}  // namespace dbtopo
