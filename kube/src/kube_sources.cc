// Where a KubeConfig comes from: kubeconfig files ($KUBECONFIG merge order),
// the in-cluster service account, and the process environment that picks
// between them.

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "dbtopo/base/files.h"
#include "dbtopo/base/strings.h"
#include "dbtopo/kube/kubeconfig.h"

namespace dbtopo::kube {

KubeConfigResult LoadKubeConfigFiles(const std::vector<std::string>& paths) {
  std::vector<KubeConfigFile> files;
  std::string first_error;
  for (const std::string& path : paths) {
    if (path.empty()) continue;
    auto text = ReadWholeFile(path);
    if (!text) {
      if (first_error.empty()) first_error = text.error().message;
      continue;
    }
    files.push_back(KubeConfigFile{path, std::move(text).value()});
  }
  if (files.empty()) {
    return KubeConfigError{paths.empty() ? "" : paths.front(), "",
                           first_error.empty() ? "no kubeconfig file given" : first_error};
  }
  return ParseKubeConfig(files);
}

KubeConfigResult InClusterConfig(const std::string& service_host, const std::string& service_port,
                                 const std::string& service_account_dir) {
  if (service_host.empty() || service_port.empty()) {
    return KubeConfigError{"", "",
                           "no kubeconfig: kubernetes.kubeconfig and $KUBECONFIG are not set, "
                           "and this is not a pod (KUBERNETES_SERVICE_HOST/PORT are not set)"};
  }
  KubeConfig config;
  config.source = "in-cluster service account " + service_account_dir;
  const std::string host =
      service_host.find(':') != std::string::npos ? "[" + service_host + "]" : service_host;
  if (Status parsed = ParseServerUrl("https://" + host + ":" + service_port, &config); !parsed) {
    return KubeConfigError{"", "KUBERNETES_SERVICE_HOST/PORT", parsed.error().message};
  }
  config.token_file = service_account_dir + "/token";
  const auto token = ReadWholeFile(config.token_file);
  if (!token) {
    return KubeConfigError{
        "", "service account token",
        token.error().message + " (is automountServiceAccountToken disabled for this pod?)"};
  }
  if (Trim(*token).empty()) {
    return KubeConfigError{"", "service account token", config.token_file + " is empty"};
  }
  config.ca_origin = service_account_dir + "/ca.crt";
  auto ca = ReadWholeFile(config.ca_origin);
  if (!ca) return KubeConfigError{"", "service account CA", ca.error().message};
  config.ca_pem = std::move(ca).value();
  if (const auto ns = ReadWholeFile(service_account_dir + "/namespace")) {
    config.ns = std::string(Trim(*ns));
  }
  return config;
}

KubeEnvironment KubeEnvironment::FromProcess() {
  KubeEnvironment env;
  auto get = [](const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  env.kubeconfig = get("KUBECONFIG");
  env.service_host = get("KUBERNETES_SERVICE_HOST");
  env.service_port = get("KUBERNETES_SERVICE_PORT");
  return env;
}

KubeConfigResult ResolveKubeConfig(const std::string& configured, const KubeEnvironment& env) {
  if (!configured.empty()) return LoadKubeConfigFiles({configured});
  if (!env.kubeconfig.empty()) {
    std::vector<std::string> paths;
    std::stringstream list(env.kubeconfig);
    for (std::string path; std::getline(list, path, ':');) {
      if (!path.empty()) paths.push_back(path);
    }
    return LoadKubeConfigFiles(paths);
  }
  return InClusterConfig(env.service_host, env.service_port, env.service_account_dir);
}

}  // namespace dbtopo::kube
