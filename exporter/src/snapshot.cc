#include "snapshot.h"

#include "gzip.h"

namespace dbtopo {

const std::string& Snapshot::MetricsGzip() const {
  std::call_once(gzip_.once, [this] { gzip_.bytes = GzipCompress(metrics_text); });
  return gzip_.bytes;
}

}  // namespace dbtopo
