// --web.config.file: TLS and bcrypt basic auth, served for real by HttpServer
// on a loopback port picked by the kernel (port 0).

#include "web_config.h"

#include <crypt.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base64_for_tests.h"
#include "basic_auth.h"
#include "http_server.h"

namespace dbtopo {
namespace {

const std::string kTls = DBTOPO_TESTDATA "/kube/tls";

std::string Bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn("$2b$", 5, nullptr, 0, salt, sizeof salt), nullptr);
  crypt_data data{};
  return crypt_r(password.c_str(), salt, &data);
}

std::string Basic(const std::string& user_colon_password) {
  return "Basic " + test::Base64(user_colon_password);
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(WebConfigTest, LoadsToolkitFormatAndRejectsWhatItDoesNotSupport) {
  const std::string hash = Bcrypt("s3cret");
  auto loaded = LoadWebConfig(WriteFile(
      "dbtopo_web_ok.yml", "tls_server_config:\n  cert_file: " + kTls +
                               "/server.crt\n  key_file: " + kTls +
                               "/server.key\nbasic_auth_users:\n  prom: '" + hash + "'\n"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const WebConfig& config = loaded.value();
  EXPECT_TRUE(config.tls());
  EXPECT_EQ(config.basic_auth_users.at("prom"), hash);

  auto bad = LoadWebConfig(WriteFile("dbtopo_web_bad.yml", "basic_auth_users:\n  prom: plain\n"));
  ASSERT_TRUE(!bad.ok());
  EXPECT_NE(bad.error().message.find(":2: basic_auth_users.prom: must be a bcrypt hash"),
            std::string::npos)
      << bad.error().message;
  bad = LoadWebConfig(
      WriteFile("dbtopo_web_bad2.yml", "tls_server_config:\n  client_auth_type: x\n"));
  ASSERT_TRUE(!bad.ok());
  EXPECT_NE(bad.error().message.find("not supported"), std::string::npos);
}

TEST(WebConfigTest, BasicAuthChecksBcrypt) {
  EXPECT_EQ(BasicAuth({}).Check(""), BasicAuth::Verdict::kAllowed);  // no users: open
  BasicAuth auth({{"prom", Bcrypt("s3cret")}});
  EXPECT_EQ(auth.Check(Basic("prom:s3cret")), BasicAuth::Verdict::kAllowed);
  EXPECT_EQ(auth.Check(Basic("prom:wrong")), BasicAuth::Verdict::kDenied);
  EXPECT_EQ(auth.Check(Basic("prom:s3cretX")), BasicAuth::Verdict::kDenied);
  EXPECT_EQ(auth.Check(Basic("other:s3cret")), BasicAuth::Verdict::kDenied);
  EXPECT_EQ(auth.Check(Basic("proms3cret")), BasicAuth::Verdict::kDenied);
  EXPECT_EQ(auth.Check("Bearer x"), BasicAuth::Verdict::kDenied);
  EXPECT_EQ(auth.Check("Basic %%%"), BasicAuth::Verdict::kDenied);
}

TEST(WebConfigTest, BasicAuthRunsBcryptOncePerCredentials) {
  BasicAuth auth({{"prom", Bcrypt("s3cret")}});
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(auth.Check(Basic("prom:s3cret")), BasicAuth::Verdict::kAllowed);
    EXPECT_EQ(auth.Check(Basic("prom:wrong")), BasicAuth::Verdict::kDenied);
  }
  EXPECT_EQ(auth.bcrypt_runs(), 2u);
  // Unknown users cost nothing.
  EXPECT_EQ(auth.Check(Basic("nobody:x")), BasicAuth::Verdict::kDenied);
  EXPECT_EQ(auth.bcrypt_runs(), 2u);
}

TEST(WebConfigTest, BasicAuthFloodOfNewPasswordsLeavesKnownCredentialsAnswering) {
  // Eight threads each trying new wrong passwords queue for the one bcrypt
  // slot; the known good credentials answer from the cache throughout.
  BasicAuth auth({{"prom", Bcrypt("s3cret")}});
  ASSERT_EQ(auth.Check(Basic("prom:s3cret")), BasicAuth::Verdict::kAllowed);
  std::atomic<bool> stop{false};
  std::atomic<int> denied{0};
  std::vector<std::thread> flood;
  for (int t = 0; t < 8; ++t) {
    flood.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        if (auth.Check(Basic("prom:guess-" + std::to_string(t) + "-" + std::to_string(i))) !=
            BasicAuth::Verdict::kAllowed) {
          ++denied;
        }
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(auth.Check(Basic("prom:s3cret")), BasicAuth::Verdict::kAllowed);
  }
  while (auth.bcrypt_runs() < 5) std::this_thread::yield();
  stop = true;
  for (auto& t : flood) t.join();
  EXPECT_GE(denied.load(), 4);
  EXPECT_EQ(auth.Check(Basic("prom:s3cret")), BasicAuth::Verdict::kAllowed);
}

TEST(WebConfigTest, TlsMaterialIsLoadedAtLoadTime) {
  // What --check-config accepts must start: missing or mismatched files fail
  // here with the key and the file.
  auto missing = LoadWebConfig(WriteFile("dbtopo_web_missing.yml",
                                         "tls_server_config:\n  cert_file: /nonexistent/tls.crt\n"
                                         "  key_file: " +
                                             kTls + "/server.key\n"));
  ASSERT_TRUE(!missing.ok());
  EXPECT_NE(missing.error().message.find(
                ":2: tls_server_config: cert_file /nonexistent/tls.crt: cannot load"),
            std::string::npos)
      << missing.error().message;
  auto mismatched = LoadWebConfig(WriteFile(
      "dbtopo_web_mismatch.yml", "tls_server_config:\n  cert_file: " + kTls +
                                     "/server.crt\n  key_file: " + kTls + "/client.key\n"));
  ASSERT_TRUE(!mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("key values mismatch"), std::string::npos)
      << mismatched.error().message;
  // Relative paths are relative to the web config file.
  const auto dir = std::filesystem::temp_directory_path() / "dbtopo_web_rel";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kTls + "/server.crt", dir / "tls.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(kTls + "/server.key", dir / "tls.key",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(dir / "web.yml") << "tls_server_config: {cert_file: tls.crt, key_file: tls.key}\n";
  auto relative = LoadWebConfig((dir / "web.yml").string());
  ASSERT_TRUE(relative.ok()) << relative.error().message;
  EXPECT_EQ(relative.value().cert_file, (dir / "tls.crt").string());
}

TEST(WebConfigTest, BadShapesAndDuplicatesNameTheirKey) {
  auto check = [](const std::string& name, const std::string& yaml, const std::string& want) {
    auto bad = LoadWebConfig(WriteFile(name, yaml));
    ASSERT_TRUE(!bad.ok()) << yaml;
    EXPECT_NE(bad.error().message.find(want), std::string::npos) << bad.error().message;
  };
  check("dbtopo_web_dup.yml", "basic_auth_users:\n  a: $2y$x\n  a: $2y$y\n",
        ":3: basic_auth_users.a: duplicate key");
  check("dbtopo_web_list.yml", "basic_auth_users:\n  a: [$2y$x]\n",
        ":2: basic_auth_users.a: must be a string");
  check("dbtopo_web_users.yml", "basic_auth_users: [a]\n", "basic_auth_users: must map");
  EXPECT_NE((LoadWebConfig("/nonexistent/web.yml")).error().message.find("cannot read"),
            std::string::npos);
}

TEST(WebConfigTest, ServesHttpsWithBasicAuth) {
  WebConfig config;
  config.cert_file = kTls + "/server.crt";
  config.key_file = kTls + "/server.key";
  config.basic_auth_users["prom"] = Bcrypt("s3cret");
  SnapshotStore store;
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->metrics_text = "dbtopo_up 1\n";
  store.Set(snapshot);
  HttpServer server(&store, config);
  const Status bound = server.Bind("127.0.0.1:0");
  ASSERT_TRUE(bound.ok()) << bound.error().message;
  std::thread serving([&server] { server.Serve(); });

  httplib::SSLClient client("127.0.0.1", server.port());
  client.set_ca_cert_path((kTls + "/ca.crt").c_str());
  client.enable_server_certificate_verification(true);
  auto healthy = client.Get("/-/healthy");  // probes stay open, like the exporter-toolkit
  ASSERT_TRUE(healthy) << httplib::to_string(healthy.error());
  EXPECT_EQ(healthy->status, 200);
  auto denied = client.Get("/metrics");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(denied->get_header_value("WWW-Authenticate"), "Basic realm=\"dbtopo_exporter\"");
  auto allowed = client.Get("/metrics", {{"Authorization", Basic("prom:s3cret")}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  EXPECT_EQ(allowed->body, "dbtopo_up 1\n");
  // The topology page and its scripts sit behind the same web config.
  for (const char* path : {"/", "/assets/page.js", "/assets/layout.js", "/assets/page.css"}) {
    auto page = client.Get(path);
    ASSERT_TRUE(page) << path;
    EXPECT_EQ(page->status, 401) << path;
    auto shown = client.Get(path, {{"Authorization", Basic("prom:s3cret")}});
    ASSERT_TRUE(shown) << path;
    EXPECT_EQ(shown->status, 200) << path;
    EXPECT_FALSE(shown->body.empty()) << path;
  }

  server.Stop();
  serving.join();
}

TEST(HttpServerTest, StopBeforeServeIsNotLost) {
  SnapshotStore store;
  HttpServer server(&store, WebConfig{});
  const Status bound = server.Bind("127.0.0.1:0");
  ASSERT_TRUE(bound.ok()) << bound.error().message;
  server.Stop();
  server.Serve();  // returns at once instead of serving forever
  SUCCEED();
}

}  // namespace
}  // namespace dbtopo
