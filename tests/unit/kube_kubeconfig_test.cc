// Kubeconfig / in-cluster resolution (collectors/src/kubernetes/kubeconfig)
// and the TLS material checks and token rotation of KubeClient.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base64_for_tests.h"
#include "dbtopo/kube/kube_client.h"
#include "dbtopo/kube/kubeconfig.h"

namespace dbtopo::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TlsFile(const std::string& name) {
  return std::string(DBTOPO_KUBE_TESTDATA) + "/tls/" + name;
}

std::string Base64Of(const std::string& data) { return test::Base64(data); }

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dbtopo-kubeconfig-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
    return path.string();
  }
  KubeConfig MustLoad(const std::string& path) {
    KubeConfigResult result = LoadKubeConfigFiles({path});
    if (!result.ok()) {
      ADD_FAILURE() << result.error().ToString();
      return {};
    }
    return result.value();
  }
  KubeConfigError MustFail(const std::string& path) {
    KubeConfigResult result = LoadKubeConfigFiles({path});
    if (result.ok()) {
      ADD_FAILURE() << "expected an error for " << path;
      return {};
    }
    return result.error();
  }
  // A kubeconfig with one cluster/user/context; the bodies are indented here.
  std::string Config(const std::string& cluster_body, const std::string& user_body,
                     const std::string& context_extra = "") {
    auto indent = [](const std::string& text) {
      std::string out;
      std::stringstream in(text);
      for (std::string line; std::getline(in, line);) out += "    " + line + "\n";
      return out;
    };
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster:\n" +
           indent(cluster_body) + "users:\n- name: u1\n  user:\n" +
           (user_body.empty() ? std::string("    {}\n") : indent(user_body)) +
           "contexts:\n- name: ctx1\n  context:\n    cluster: c1\n    user: u1\n" +
           indent(context_extra) + "current-context: ctx1\n";
  }

  fs::path dir_;
};

TEST_F(KubeconfigTest, TokenAndCaData) {
  const std::string ca = Slurp(TlsFile("ca.crt"));
  const std::string path = Write(
      "config", Config("server: https://10.0.0.1:6443\ncertificate-authority-data: " + Base64Of(ca),
                       "token: s3cr3t-token", "namespace: shop"));
  KubeConfig c = MustLoad(path);
  EXPECT_EQ(c.source, path);
  EXPECT_EQ(c.context, "ctx1");
  EXPECT_EQ(c.user, "u1");
  EXPECT_EQ(c.scheme, "https");
  EXPECT_EQ(c.host, "10.0.0.1");
  EXPECT_EQ(c.port, 6443);
  EXPECT_EQ(c.path_prefix, "");
  EXPECT_EQ(c.ca_pem, ca);
  EXPECT_EQ(c.ca_origin, "certificate-authority-data");
  EXPECT_EQ(c.token.Reveal(), "s3cr3t-token");
  EXPECT_EQ(c.ns, "shop");
  EXPECT_FALSE(c.insecure_skip_tls_verify);
  // Describe() is for logs: no token.
  EXPECT_THAT(c.Describe(), HasSubstr("https://10.0.0.1:6443"));
  EXPECT_THAT(c.Describe(), HasSubstr("context ctx1"));
  EXPECT_THAT(c.Describe(), HasSubstr("bearer token"));
  EXPECT_THAT(c.Describe(), Not(HasSubstr("s3cr3t")));
}

TEST_F(KubeconfigTest, RelativeFilesResolveAgainstTheKubeconfigDirectory) {
  Write("sub/ca.crt", Slurp(TlsFile("ca.crt")));
  Write("sub/token", "  file-token\n");
  Write("sub/client.crt", Slurp(TlsFile("client.crt")));
  Write("sub/client.key", Slurp(TlsFile("client.key")));
  const std::string path =
      Write("sub/config",
            Config("server: https://api.example.com\ncertificate-authority: ca.crt",
                   "tokenFile: token\nclient-certificate: client.crt\nclient-key: ./client.key"));
  KubeConfig c = MustLoad(path);
  EXPECT_EQ(c.port, 443);
  EXPECT_EQ(c.ca_origin, (dir_ / "sub" / "ca.crt").string());
  EXPECT_THAT(c.ca_pem, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_EQ(c.token_file, (dir_ / "sub" / "token").string());
  EXPECT_THAT(c.client_cert_pem, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(c.client_key_pem.Reveal(), HasSubstr("PRIVATE KEY"));
  EXPECT_THAT(c.Describe(), HasSubstr("token file"));
  EXPECT_THAT(c.Describe(), HasSubstr("client certificate"));
}

TEST_F(KubeconfigTest, ClientCertificateData) {
  const std::string path =
      Write("config", Config("server: https://127.0.0.1:6443\ninsecure-skip-tls-verify: true",
                             "client-certificate-data: " + Base64Of(Slurp(TlsFile("client.crt"))) +
                                 "\nclient-key-data: " + Base64Of(Slurp(TlsFile("client.key")))));
  KubeConfig c = MustLoad(path);
  EXPECT_TRUE(c.insecure_skip_tls_verify);
  EXPECT_EQ(c.client_cert_pem, Slurp(TlsFile("client.crt")));
  EXPECT_EQ(c.client_key_pem.Reveal(), Slurp(TlsFile("client.key")));
  EXPECT_TRUE(c.token.empty());
  EXPECT_THAT(c.Describe(), HasSubstr("insecure-skip-tls-verify"));
}

TEST_F(KubeconfigTest, HttpServerWithPathPrefixAndTlsServerName) {
  KubeConfig c = MustLoad(Write("config", Config("server: http://127.0.0.1:8001/k8s/clusters/c-1/\n"
                                                 "tls-server-name: kubernetes.default.svc",
                                                 "")));
  EXPECT_EQ(c.scheme, "http");
  EXPECT_EQ(c.port, 8001);
  EXPECT_EQ(c.path_prefix, "/k8s/clusters/c-1");
  EXPECT_EQ(c.tls_server_name, "kubernetes.default.svc");
  EXPECT_THAT(c.Describe(), HasSubstr("no credentials"));
}

TEST_F(KubeconfigTest, PicksCurrentContextAmongSeveral) {
  const std::string path = Write("config", R"(apiVersion: v1
kind: Config
clusters:
- name: dev
  cluster: {server: "https://dev:6443", insecure-skip-tls-verify: true}
- name: prod
  cluster: {server: "https://prod:6443", insecure-skip-tls-verify: true}
users:
- name: dev-user
  user: {token: dev-token}
- name: prod-user
  user: {token: prod-token}
contexts:
- name: dev
  context: {cluster: dev, user: dev-user, namespace: dev-ns}
- name: prod
  context: {cluster: prod, user: prod-user}
current-context: prod
)");
  KubeConfig c = MustLoad(path);
  EXPECT_EQ(c.host, "prod");
  EXPECT_EQ(c.token.Reveal(), "prod-token");
  EXPECT_EQ(c.ns, "");
}

TEST_F(KubeconfigTest, MergesKubeconfigListFirstWins) {
  // Like kubectl with KUBECONFIG=a:b: current-context from the first file
  // that sets it; each named entry from the first file that defines it.
  const std::string a = Write("a", R"(apiVersion: v1
kind: Config
users:
- name: u
  user: {token: from-a}
)");
  const std::string b = Write("b", R"(apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "http://127.0.0.1:1234"}
users:
- name: u
  user: {token: from-b}
contexts:
- name: x
  context: {cluster: c, user: u, namespace: ns-b}
current-context: x
)");
  KubeEnvironment env;
  env.kubeconfig = a + ":" + (dir_ / "missing").string() + ":" + b;
  KubeConfigResult result = ResolveKubeConfig("", env);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  const KubeConfig& c = result.value();
  EXPECT_EQ(c.token.Reveal(), "from-a");
  EXPECT_EQ(c.port, 1234);
  EXPECT_EQ(c.ns, "ns-b");
  EXPECT_EQ(c.source, a + ":" + b);
}

TEST_F(KubeconfigTest, InCluster) {
  Write("sa/token", "eyJhbGciOi.in-cluster\n");
  Write("sa/ca.crt", Slurp(TlsFile("ca.crt")));
  Write("sa/namespace", "dbtopo-system");
  KubeConfigResult result = InClusterConfig("10.96.0.1", "443", (dir_ / "sa").string());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  const KubeConfig& c = result.value();
  EXPECT_EQ(c.server, "https://10.96.0.1:443");
  EXPECT_EQ(c.token_file, (dir_ / "sa" / "token").string());
  EXPECT_THAT(c.ca_pem, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_EQ(c.ns, "dbtopo-system");
  EXPECT_THAT(c.source, HasSubstr("in-cluster"));

  // IPv6 service host.
  result = InClusterConfig("fd00::1", "443", (dir_ / "sa").string());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().host, "fd00::1");
  EXPECT_EQ(result.value().server, "https://[fd00::1]:443");
}

TEST_F(KubeconfigTest, ResolutionOrder) {
  const std::string configured =
      Write("configured", Config("server: http://127.0.0.1:1", "token: configured"));
  const std::string from_env = Write("env", Config("server: http://127.0.0.1:2", "token: env"));
  Write("sa/token", "sa");
  Write("sa/ca.crt", Slurp(TlsFile("ca.crt")));
  KubeEnvironment env;
  env.kubeconfig = from_env;
  env.service_host = "10.96.0.1";
  env.service_port = "443";
  env.service_account_dir = (dir_ / "sa").string();
  auto port_of = [](const KubeConfigResult& r) { return r.ok() ? r.value().port : -1; };
  EXPECT_EQ(port_of(ResolveKubeConfig(configured, env)), 1);
  EXPECT_EQ(port_of(ResolveKubeConfig("", env)), 2);
  env.kubeconfig.clear();
  EXPECT_EQ(port_of(ResolveKubeConfig("", env)), 443);
}

TEST_F(KubeconfigTest, InClusterErrors) {
  KubeConfigResult result = InClusterConfig("", "", (dir_ / "sa").string());
  ASSERT_TRUE(!result.ok());
  EXPECT_THAT(result.error().ToString(), HasSubstr("KUBERNETES_SERVICE_HOST/PORT are not set"));
  result = InClusterConfig("10.96.0.1", "443", (dir_ / "sa").string());
  ASSERT_TRUE(!result.ok());
  EXPECT_THAT(result.error().ToString(), HasSubstr("sa/token"));
  EXPECT_THAT(result.error().ToString(), HasSubstr("automountServiceAccountToken"));
}

TEST_F(KubeconfigTest, ErrorsNameFileAndField) {
  struct Case {
    std::string name;
    std::string content;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"not_yaml", "clusters: [\n", "", "invalid YAML at line"},
      {"not_map", "- a\n- b\n", "", "not a YAML mapping"},
      {"wrong_kind", "kind: Pod\n", "kind", "want Config"},
      {"no_context", "apiVersion: v1\nkind: Config\nclusters: []\n", "current-context", "not set"},
      {"undefined_context", "kind: Config\ncurrent-context: nope\n", "current-context",
       "context \"nope\" is not defined"},
      {"undefined_cluster",
       "kind: Config\ncontexts:\n- name: x\n  context: {cluster: gone, user: u}\n"
       "current-context: x\n",
       "contexts[0].context.cluster", "cluster \"gone\" is not defined"},
      {"undefined_user",
       "kind: Config\nclusters:\n- name: c\n  cluster: {server: 'http://a:1'}\ncontexts:\n"
       "- name: x\n  context: {cluster: c, user: ghost}\ncurrent-context: x\n",
       "contexts[0].context.user", "user \"ghost\" is not defined"},
      {"no_server", Config("certificate-authority-data: eA==", "token: t"),
       "clusters[0].cluster.server", "missing"},
      {"bad_scheme", Config("server: ftp://host", "token: t"), "clusters[0].cluster.server",
       "scheme \"ftp\" is not supported"},
      {"bad_port", Config("server: https://host:99999", "token: t"), "clusters[0].cluster.server",
       "bad port"},
      {"not_a_url", Config("server: host:6443", "token: t"), "clusters[0].cluster.server",
       "is not a URL"},
      {"bad_base64", Config("server: https://h\ncertificate-authority-data: '***'", "token: t"),
       "clusters[0].cluster.certificate-authority-data", "not valid base64"},
      {"not_pem", Config("server: https://h\ncertificate-authority-data: aGVsbG8=", "token: t"),
       "clusters[0].cluster.certificate-authority-data", "does not contain PEM data"},
      {"missing_ca_file", Config("server: https://h\ncertificate-authority: nope.crt", "token: t"),
       "clusters[0].cluster.certificate-authority", "nope.crt"},
      {"insecure_with_ca",
       Config("server: https://h\ninsecure-skip-tls-verify: true\ncertificate-authority-data: " +
                  Base64Of(Slurp(TlsFile("ca.crt"))),
              "token: t"),
       "clusters[0].cluster.insecure-skip-tls-verify", "cannot be combined"},
      {"insecure_not_bool", Config("server: https://h\ninsecure-skip-tls-verify: yes please", ""),
       "clusters[0].cluster.insecure-skip-tls-verify", "must be true or false"},
      {"missing_token_file", Config("server: https://h", "tokenFile: /nonexistent/token"),
       "users[0].user.tokenFile", "/nonexistent/token"},
      {"cert_without_key",
       Config("server: https://h",
              "client-certificate-data: " + Base64Of(Slurp(TlsFile("client.crt")))),
       "users[0].user.client-key", "go together"},
      {"key_without_cert",
       Config("server: https://h", "client-key-data: " + Base64Of(Slurp(TlsFile("client.key")))),
       "users[0].user.client-certificate", "go together"},
      {"exec_plugin",
       Config("server: https://h",
              "exec:\n  apiVersion: client.authentication.k8s.io/v1\n  command: aws"),
       "users[0].user.exec", "not supported"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write(c.name, c.content);
    const KubeConfigError error = MustFail(path);
    EXPECT_EQ(error.file, path);
    EXPECT_EQ(error.field, c.field);
    EXPECT_THAT(error.message, HasSubstr(c.message));
    EXPECT_THAT(error.ToString(), HasSubstr("kubeconfig " + path));
  }
}

TEST_F(KubeconfigTest, MissingFileNamesIt) {
  const std::string path = (dir_ / "absent").string();
  const KubeConfigError error = MustFail(path);
  EXPECT_EQ(error.file, path);
  EXPECT_THAT(error.ToString(), HasSubstr("cannot read " + path));
}

TEST_F(KubeconfigTest, SecretsNeverInErrors) {
  // An error in a file that holds a token and a key must not quote them.
  const std::string path =
      Write("config", Config("server: gopher://h", "token: do-not-print-me\nclient-key-data: " +
                                                       Base64Of(Slurp(TlsFile("client.key")))));
  const std::string text = MustFail(path).ToString();
  EXPECT_THAT(text, Not(HasSubstr("do-not-print-me")));
  EXPECT_THAT(text, Not(HasSubstr("PRIVATE")));
}

TEST(ServerUrlTest, Forms) {
  KubeConfig c;
  EXPECT_TRUE(ParseServerUrl("https://[::1]:6443/prefix", &c).ok());
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, 6443);
  EXPECT_EQ(c.path_prefix, "/prefix");
  EXPECT_TRUE(ParseServerUrl("http://kube", &c).ok());
  EXPECT_EQ(c.port, 80);
  EXPECT_THAT(ParseServerUrl("https://user:pw@host", &c).error().message,
              HasSubstr("credentials in the server URL"));
  EXPECT_THAT(ParseServerUrl("https://:443", &c).error().message, HasSubstr("no host"));
  EXPECT_THAT(ParseServerUrl("https://[::1", &c).error().message, HasSubstr("unterminated"));
}

TEST(Base64Test, DecodesAndRejects) {
  std::string out;
  EXPECT_TRUE(DecodeBase64("aGVsbG8gd29ybGQ=", &out));
  EXPECT_EQ(out, "hello world");
  EXPECT_TRUE(DecodeBase64("aGVs\nbG8=\n", &out));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(DecodeBase64("a*b", &out));
  EXPECT_FALSE(DecodeBase64("aGk=aGk=", &out));
  // Unpadded input (some kubeconfig writers drop the padding) decodes too.
  EXPECT_TRUE(DecodeBase64("aGk", &out));
  EXPECT_EQ(out, "hi");
  EXPECT_TRUE(DecodeBase64("aA", &out));
  EXPECT_EQ(out, "h");
  EXPECT_TRUE(DecodeBase64("", &out));
  EXPECT_EQ(out, "");
  EXPECT_FALSE(DecodeBase64("a", &out));       // Not a whole byte.
  EXPECT_FALSE(DecodeBase64("aGk===", &out));  // Three padding characters.
  EXPECT_FALSE(DecodeBase64("aG=k", &out));    // Data after padding.
  // Binary survives (a DER key or certificate inside PEM data).
  EXPECT_TRUE(DecodeBase64("AP8AgA==", &out));
  EXPECT_EQ(out, std::string("\x00\xff\x00\x80", 4));
}

// ---------------------------------------------------------------- KubeClient

KubeConfig HttpsConfig() {
  KubeConfig c;
  EXPECT_TRUE(ParseServerUrl("https://127.0.0.1:1", &c).ok());
  c.source = "test";
  return c;
}

TEST(KubeClientTest, AcceptsGoodTlsMaterial) {
  KubeConfig c = HttpsConfig();
  c.ca_pem = Slurp(TlsFile("ca.crt")) + Slurp(TlsFile("other-ca.crt"));  // A bundle.
  c.client_cert_pem = Slurp(TlsFile("client.crt"));
  c.client_key_pem = Secret(Slurp(TlsFile("client.key")));
  auto client = KubeClient::Create(c);
  EXPECT_TRUE(client.ok()) << client.error().message;
}

TEST(KubeClientTest, RejectsBadTlsMaterial) {
  KubeConfig c = HttpsConfig();
  c.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
  c.ca_origin = "/etc/ca.crt";
  auto client = KubeClient::Create(c);
  ASSERT_TRUE(!client.ok());
  EXPECT_THAT(client.error().message, HasSubstr("/etc/ca.crt"));

  c = HttpsConfig();
  c.client_cert_pem = Slurp(TlsFile("client.crt"));
  c.client_key_pem = Secret(Slurp(TlsFile("server.key")));  // Key of another cert.
  client = KubeClient::Create(c);
  ASSERT_TRUE(!client.ok());
  EXPECT_THAT(client.error().message, HasSubstr("does not match"));

  c.client_key_pem = Secret("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n");
  client = KubeClient::Create(c);
  ASSERT_TRUE(!client.ok());
  EXPECT_THAT(client.error().message, HasSubstr("client-key"));
  EXPECT_THAT(client.error().message, Not(HasSubstr("garbage")));

  KubeConfig http;
  ASSERT_TRUE(ParseServerUrl("http://127.0.0.1:1", &http).ok());
  http.client_cert_pem = Slurp(TlsFile("client.crt"));
  http.client_key_pem = Secret(Slurp(TlsFile("client.key")));
  client = KubeClient::Create(http);
  ASSERT_TRUE(!client.ok());
  EXPECT_THAT(client.error().message, HasSubstr("needs an https server"));
}

TEST(BearerTokenTest, StaticToken) {
  BearerToken token(Secret("abc"), "");
  EXPECT_EQ(token.Current().Reveal(), "abc");
}

TEST(BearerTokenTest, ReReadsTheFileWhenItChanges) {
  const fs::path dir = fs::temp_directory_path() / ("dbtopo-token-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "token").string();
  std::ofstream(file) << "first\n";
  BearerToken token(Secret(), file);
  EXPECT_EQ(token.Current().Reveal(), "first");
  EXPECT_EQ(token.Current().Reveal(), "first");
  EXPECT_EQ(token.loads(), 1);  // Unchanged file: not re-read.

  // Kubelet rotates projected tokens by swapping a symlink to a new file.
  std::ofstream(dir / "token.new") << "second-token\n";
  fs::rename(dir / "token.new", file);
  EXPECT_EQ(token.Current().Reveal(), "second-token");
  EXPECT_EQ(token.loads(), 2);

  // An unreadable/empty file keeps the last good token.
  std::ofstream(file, std::ios::trunc).flush();
  EXPECT_EQ(token.Current().Reveal(), "second-token");
  fs::remove(file);
  EXPECT_EQ(token.Current().Reveal(), "second-token");

  // Invalidate() forces a re-read even when the stamp looks the same.
  std::ofstream(file) << "third\n";
  token.Invalidate();
  EXPECT_EQ(token.Current().Reveal(), "third");
  fs::remove_all(dir);
}

TEST(UrlEncodeTest, EncodesSelectorCharacters) {
  EXPECT_EQ(UrlEncode("app.kubernetes.io/instance=orders,x in (a,b),!y"),
            "app.kubernetes.io%2Finstance%3Dorders%2Cx%20in%20%28a%2Cb%29%2C%21y");
  EXPECT_EQ(UrlEncode("A-z_0.9~"), "A-z_0.9~");
}

}  // namespace
}  // namespace dbtopo::kube
