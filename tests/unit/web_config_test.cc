// --web.config.file: TLS and bcrypt basic auth, served for real by HttpServer
// on a loopback port picked by the kernel (port 0).

#include "web_config.h"

#include <crypt.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "base64_for_tests.h"
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
  ASSERT_TRUE(std::holds_alternative<WebConfig>(loaded)) << std::get<std::string>(loaded);
  const WebConfig& config = std::get<WebConfig>(loaded);
  EXPECT_TRUE(config.tls());
  EXPECT_EQ(config.basic_auth_users.at("prom"), hash);

  auto bad = LoadWebConfig(WriteFile("dbtopo_web_bad.yml", "basic_auth_users:\n  prom: plain\n"));
  ASSERT_TRUE(std::holds_alternative<std::string>(bad));
  EXPECT_NE(std::get<std::string>(bad).find(":2: basic_auth_users.prom: must be a bcrypt hash"),
            std::string::npos)
      << std::get<std::string>(bad);
  bad = LoadWebConfig(
      WriteFile("dbtopo_web_bad2.yml", "tls_server_config:\n  client_auth_type: x\n"));
  ASSERT_TRUE(std::holds_alternative<std::string>(bad));
  EXPECT_NE(std::get<std::string>(bad).find("not supported"), std::string::npos);
}

TEST(WebConfigTest, BasicAuthChecksBcrypt) {
  WebConfig config;
  EXPECT_TRUE(CheckBasicAuth(config, ""));  // no users: open
  config.basic_auth_users["prom"] = Bcrypt("s3cret");
  EXPECT_TRUE(CheckBasicAuth(config, Basic("prom:s3cret")));
  EXPECT_FALSE(CheckBasicAuth(config, Basic("prom:wrong")));
  EXPECT_FALSE(CheckBasicAuth(config, Basic("other:s3cret")));
  EXPECT_FALSE(CheckBasicAuth(config, Basic("proms3cret")));
  EXPECT_FALSE(CheckBasicAuth(config, "Bearer x"));
  EXPECT_FALSE(CheckBasicAuth(config, "Basic %%%"));
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
  std::string error;
  ASSERT_TRUE(server.Bind("127.0.0.1:0", &error)) << error;
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

  server.Stop();
  serving.join();
}

TEST(HttpServerTest, StopBeforeServeIsNotLost) {
  SnapshotStore store;
  HttpServer server(&store, WebConfig{});
  std::string error;
  ASSERT_TRUE(server.Bind("127.0.0.1:0", &error)) << error;
  server.Stop();
  server.Serve();  // returns at once instead of serving forever
  SUCCEED();
}

}  // namespace
}  // namespace dbtopo
