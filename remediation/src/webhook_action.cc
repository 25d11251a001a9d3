// switchover.action webhook: POST the switchover to a URL that performs it.

#include <httplib.h>

#include "actions.h"

namespace dbtopo::remediation {
namespace {

/// Splits "scheme://host[:port]/path" into "scheme://host[:port]" and
/// "/path" (at least "/"). False when there is no scheme.
bool SplitUrl(const std::string& url, std::string* origin, std::string* path) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return false;
  const std::size_t slash = url.find('/', scheme + 3);
  *origin = url.substr(0, slash);
  *path = slash == std::string::npos ? "/" : url.substr(slash);
  return !origin->empty();
}

/// The URL for messages: without user info and without the query (either
/// may carry a token).
std::string SafeUrl(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  const std::size_t scheme = out.find("://");
  const std::size_t at = out.find('@', scheme == std::string::npos ? 0 : scheme + 3);
  const std::size_t slash = out.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme != std::string::npos && at != std::string::npos && at < slash) {
    out.erase(scheme + 3, at + 1 - (scheme + 3));
  }
  return out;
}

}  // namespace

nlohmann::json WebhookBody(const UnitId& unit, const std::string& old_primary,
                           const std::string& candidate) {
  return {{"action", "switchover"},        {"namespace", unit.ns},
          {"db_cluster", unit.db_cluster}, {"component", unit.component},
          {"old_primary", old_primary},    {"candidate", candidate}};
}

ActionOutcome WebhookSwitchover(const UnitId& unit, const SwitchoverPlan& plan,
                                const std::string& url, ActionContext& ctx) {
  const std::string body = WebhookBody(unit, plan.old_primary, plan.candidate).dump();
  ExternalSwitchover external;
  external.who = "the webhook";
  external.step = "post_webhook";
  external.plan = "would POST " + body + " to " + SafeUrl(url);
  external.recovery =
      "the webhook did not accept the switchover; nothing was changed by the exporter";
  external.candidate = plan.candidate;
  external.hand_over = [&](std::string* detail) {
    std::string origin, path;
    if (!SplitUrl(url, &origin, &path)) {
      *detail = "remediation.switchover.url is not an http(s) URL";
      return false;
    }
    httplib::Client client(origin);
    const auto timeout = std::max(ctx.Remaining(), std::chrono::milliseconds(1));
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    auto response = client.Post(path, body, "application/json");
    if (!response) {
      *detail = "POST " + SafeUrl(url) + ": " + httplib::to_string(response.error());
      return false;
    }
    *detail = "POST " + SafeUrl(url) + ": HTTP " + std::to_string(response->status);
    return response->status >= 200 && response->status < 300;
  };
  return RunExternalSwitchover(external, ctx);
}

}  // namespace dbtopo::remediation
