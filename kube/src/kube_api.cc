#include "dbtopo/kube/kube_api.h"

#include "dbtopo/kube/kube_client.h"
#include "dbtopo/kube/kubeconfig.h"

namespace dbtopo {
namespace {

class KubeClientApi : public KubeApi {
 public:
  explicit KubeClientApi(std::unique_ptr<kube::KubeClient> client) : client_(std::move(client)) {}

  Response Post(const std::string& path, const std::string& body) override {
    return Convert(client_->Post(path, body, "application/json", std::chrono::seconds(30)));
  }
  Response Put(const std::string& path, const std::string& body) override {
    return Convert(client_->Put(path, body, "application/json", std::chrono::seconds(30)));
  }
  Response Get(const std::string& path) override {
    return Convert(client_->Get(path, std::chrono::seconds(30)));
  }
  std::string Describe() const override { return client_->config().Describe(); }
  std::string Namespace() const override { return client_->config().ns; }

 private:
  static Response Convert(const kube::HttpResult& r) { return {r.status, r.body, r.error}; }
  std::unique_ptr<kube::KubeClient> client_;
};

}  // namespace

Result<std::unique_ptr<KubeApi>> MakeKubeApi(const std::string& kubeconfig) {
  kube::KubeConfigResult resolved = kube::ResolveKubeConfig(kubeconfig);
  if (!resolved) return Error{resolved.error().ToString()};
  auto client = kube::KubeClient::Create(std::move(resolved).value());
  if (!client) return client.error();
  return std::unique_ptr<KubeApi>(new KubeClientApi(std::move(client).value()));
}

}  // namespace dbtopo
