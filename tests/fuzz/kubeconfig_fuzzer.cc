// libFuzzer: kubeconfig YAML -> ParseKubeConfig (merge, current context,
// server URL, inline base64 certificates), and the first line as a label
// selector. Seeds are kubeconfigs as kubectl and kind write them. Must not
// crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string>

#include "dbtopo/kube/kubeconfig.h"
#include "kubernetes/label_selector.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)dbtopo::kube::ParseKubeConfig({{"/nonexistent/fuzz/kubeconfig", text}});
  if (auto selector = dbtopo::kube::LabelSelector::Parse(text.substr(0, text.find('\n')))) {
    (void)selector->Matches({{"app.kubernetes.io/instance", "orders"}, {"tier", "db"}});
  }
  std::string decoded;
  (void)dbtopo::kube::DecodeBase64(text, &decoded);
  return 0;
}
