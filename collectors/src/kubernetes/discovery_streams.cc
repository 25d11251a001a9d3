#include "kubernetes/discovery_streams.h"

#include "kubernetes/pod_parser.h"

namespace dbtopo::kube {

std::vector<std::size_t> StreamRules(const std::vector<StreamSpec>& streams) {
  std::vector<std::size_t> rules;
  for (const StreamSpec& s : streams) rules.push_back(s.rule);
  return rules;
}

Result<Prepared> Prepare(const KubernetesConfig& config, const KubernetesDiscoveryOptions& options,
                         bool connect_offline_only) {
  Prepared prepared;
  Prepared* out = &prepared;
  if (config.discover.empty()) return Error{"kubernetes.discover: must be a non-empty list"};
  std::vector<std::string> namespaces = config.namespaces;
  if (namespaces.empty()) namespaces.push_back("");
  for (std::size_t i = 0; i < config.discover.size(); ++i) {
    const KubernetesDiscoverRule& rule = config.discover[i];
    auto selector = LabelSelector::Parse(rule.label_selector);
    if (!selector) {
      return Error{"kubernetes.discover[" + std::to_string(i) + "].label_selector \"" +
                   rule.label_selector + "\": " + selector.error().message};
    }
    if (rule.credentials == nullptr) {
      return Error{"kubernetes.discover[" + std::to_string(i) + "].credentials: missing"};
    }
    for (const std::string& ns : namespaces) {
      if (!ns.empty() && !IsValidLabelValue(ns)) {
        return Error{"kubernetes.namespaces: \"" + ns + "\" is not a valid namespace name"};
      }
      StreamSpec stream;
      stream.rule = i;
      stream.ns = ns;
      stream.selector = *selector;
      stream.base_path = ns.empty() ? "/api/v1/pods" : "/api/v1/namespaces/" + ns + "/pods";
      if (!selector->empty()) {
        stream.selector_param = "&labelSelector=" + UrlEncode(selector->ToString());
      }
      out->streams.push_back(std::move(stream));
    }
  }
  const KubeEnvironment env = KubeEnvironment::FromProcess();
  if (connect_offline_only && config.kubeconfig.empty() && env.kubeconfig.empty() &&
      env.service_host.empty()) {
    return prepared;  // In-cluster config of a pod we are not in: nothing to check here.
  }
  KubeConfigResult resolved = ResolveKubeConfig(config.kubeconfig, env);
  if (!resolved) return Error{resolved.error().ToString()};
  auto client =
      KubeClient::Create(std::move(resolved).value(), KubeClient::Options{options.connect_timeout});
  if (!client) return client.error();
  out->client = std::move(client).value();
  return prepared;
}

Problem ExplainApiError(KubeClient& client, int status, const std::string& body,
                        const std::string& path) {
  Problem p;
  p.http = true;
  const auto api_status = ParseStatus(body);
  const std::string server_said =
      api_status ? api_status->reason + ": " + api_status->message : body.substr(0, 200);
  switch (status) {
    case 401:
      client.token().Invalidate();  // A rotated token is re-read before the retry.
      p.level = log::Level::kError;
      p.msg = "401 Unauthorized from API server: check the token / RBAC";
      p.detail = "the API server rejected the credentials of " + client.config().source +
                 " (token expired, revoked, or for another cluster?)";
      break;
    case 403:
      p.level = log::Level::kError;
      p.msg = "403 Forbidden from API server: check the RBAC rules";
      p.detail =
          "the account may not list/watch pods here; apply deploy/rbac.yaml (" + server_said + ")";
      break;
    case 404:
      p.level = log::Level::kError;
      p.msg = "404 Not Found from API server";
      p.detail = "GET " + path + " does not exist: wrong server URL or path prefix?";
      break;
    default:
      p.level = log::Level::kWarn;
      p.msg = std::to_string(status) + " from API server";
      p.detail = server_said;
  }
  return p;
}

}  // namespace dbtopo::kube
