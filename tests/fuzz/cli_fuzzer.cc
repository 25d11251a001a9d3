// libFuzzer: what people type on the command line and in the web config ->
// ParseFlags (NUL-separated arguments), ParseShardFlags, PodOrdinal and
// StatefulSetReplicas, ParseDuration, ParseListenAddress,
// ParseWebConfig and BasicAuth::Check of an Authorization header. Must not
// crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "basic_auth.h"
#include "dbtopo/base/duration.h"
#include "flags.h"
#include "http_server.h"
#include "sharding.h"
#include "web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  for (std::size_t at = 0; at <= text.size();) {
    const auto end = std::min(text.find('\0', at), text.size());
    args.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  (void)dbtopo::ParseFlags(args);
  (void)dbtopo::ParseShardFlags(args.front(), args.back());
  (void)dbtopo::PodOrdinal(args.front());
  (void)dbtopo::StatefulSetReplicas(text);
  for (const std::string& arg : args) {
    if (auto d = dbtopo::ParseDuration(arg)) (void)dbtopo::FormatDuration(*d);
    std::string host;
    int port = 0;
    (void)dbtopo::ParseListenAddress(arg, &host, &port);
  }
  (void)dbtopo::ParseWebConfig(text, "/nonexistent/fuzz/web.yml");
  // A cost-4 bcrypt hash of "s3cret": the header is judged, not the hash.
  static dbtopo::BasicAuth auth(
      {{"prom", "$2b$04$ngyOHoMW0aVfEPuNRec9suPp25w7q5KSeozb.Vk8H/U8n36w36y1."}});
  (void)auth.Check(args.front());
  return 0;
}
