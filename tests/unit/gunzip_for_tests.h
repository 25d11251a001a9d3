#pragma once

// gunzip for tests (zlib): checks what the exporter compressed.

#include <zlib.h>

#include <string>

namespace dbtopo::testing {

// Inflates one gzip member; "" and a failure on anything else.
inline std::string Gunzip(const std::string& data, bool* ok) {
  z_stream stream{};
  *ok = inflateInit2(&stream, 15 + 16) == Z_OK;
  std::string out;
  char buffer[16384];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  int result = Z_OK;
  while (*ok && result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  *ok = *ok && result == Z_STREAM_END && stream.avail_in == 0;
  inflateEnd(&stream);
  return out;
}

}  // namespace dbtopo::testing
