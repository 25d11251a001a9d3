// libFuzzer: the exporter's config YAML -> ParseConfig (every duration,
// address, port, label and remediation key) -> StaticTargets. Seeds are the
// README's, the demo's and deploy/'s configs. Must not crash, hang or leak,
// and every error must carry a message.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = dbtopo::ParseConfig(text, "/nonexistent/fuzz/dbtopo.yml");
  if (parsed.ok()) {
    (void)dbtopo::StaticTargets(*parsed);
  } else if (parsed.error().message.empty()) {
    std::abort();  // An error must say what is wrong.
  }
  return 0;
}
