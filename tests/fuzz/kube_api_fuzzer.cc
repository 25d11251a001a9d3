// libFuzzer: Kubernetes API bodies -> ParsePodList / ParseWatchEvent /
// ParsePod / ParseStatus -> PodToTarget. Seeds are real PodList and watch
// event JSON (KubeBlocks MySQL pods). Must not crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kubernetes/pod_parser.h"
#include "kubernetes/pod_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dbtopo::KubernetesConfig config;
  dbtopo::KubernetesDiscoverRule rule;
  rule.engine = dbtopo::Engine::kMysql;
  rule.port_name = "mysql";
  config.role_label = "kubeblocks.io/role";
  auto list = dbtopo::kube::ParsePodList(text);
  if (list.ok()) {
    for (const auto& pod : list->items) (void)dbtopo::kube::PodToTarget(pod, rule, config);
  }
  // A watch stream is one event per line.
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    (void)dbtopo::kube::ParseWatchEvent(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  (void)dbtopo::kube::ParsePod(text);
  (void)dbtopo::kube::ParseStatus(text);
  return 0;
}
