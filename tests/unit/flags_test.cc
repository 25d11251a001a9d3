#include "flags.h"

#include <gtest/gtest.h>

#include "http_server.h"

namespace dbtopo {
namespace {

TEST(FlagsTest, DefaultsAndBothSyntaxes) {
  auto parsed = ParseFlags({"--config.file=/etc/x.yml", "--web.listen-address", "127.0.0.1:1",
                            "--check-config", "--log.format=json"});
  ASSERT_TRUE(std::holds_alternative<Flags>(parsed));
  const Flags& f = std::get<Flags>(parsed);
  EXPECT_EQ(f.config_file, "/etc/x.yml");
  EXPECT_EQ(f.listen_address, "127.0.0.1:1");
  EXPECT_TRUE(f.check_config);
  EXPECT_EQ(f.log_format, "json");
  EXPECT_EQ(f.log_level, "info");
  EXPECT_EQ(std::get<Flags>(ParseFlags({})).listen_address, ":9856");
}

TEST(FlagsTest, Errors) {
  EXPECT_TRUE(std::holds_alternative<std::string>(ParseFlags({"--nope"})));
  EXPECT_TRUE(std::holds_alternative<std::string>(ParseFlags({"--config.file"})));
  EXPECT_TRUE(std::holds_alternative<std::string>(ParseFlags({"--check-config=maybe"})));
}

TEST(ListenAddressTest, Forms) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(ParseListenAddress(":9856", &host, &port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9856);
  ASSERT_TRUE(ParseListenAddress("[::1]:80", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(ParseListenAddress("9856", &host, &port));
  EXPECT_FALSE(ParseListenAddress("h:99999", &host, &port));
  EXPECT_FALSE(ParseListenAddress("h:x", &host, &port));
}

}  // namespace
}  // namespace dbtopo
