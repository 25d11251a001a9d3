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

std::variant<std::unique_ptr<KubeApi>, std::string> MakeKubeApi(const std::string& kubeconfig) {
  kube::KubeConfigResult resolved = kube::ResolveKubeConfig(kubeconfig);
  if (auto* error = std::get_if<kube::KubeConfigError>(&resolved)) return error->ToString();
  auto client = kube::KubeClient::Create(std::get<kube::KubeConfig>(std::move(resolved)));
  if (auto* error = std::get_if<std::string>(&client)) return *error;
  return std::unique_ptr<KubeApi>(
      new KubeClientApi(std::get<std::unique_ptr<kube::KubeClient>>(std::move(client))));
}

}  // namespace dbtopo
