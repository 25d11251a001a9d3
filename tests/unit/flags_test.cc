#include "flags.h"

#include <gtest/gtest.h>

#include "http_server.h"

namespace dbtopo {
namespace {

TEST(FlagsTest, DefaultsAndBothSyntaxes) {
  auto parsed = ParseFlags({"--config.file=/etc/x.yml", "--web.listen-address", "127.0.0.1:1",
                            "--check-config", "--log.format=json"});
  ASSERT_TRUE(parsed.ok());
  const Flags& f = parsed.value();
  EXPECT_EQ(f.config_file, "/etc/x.yml");
  EXPECT_EQ(f.listen_address, "127.0.0.1:1");
  EXPECT_TRUE(f.check_config);
  EXPECT_EQ(f.log_format, "json");
  EXPECT_EQ(f.log_level, "info");
  EXPECT_EQ((ParseFlags({})).value().listen_address, ":9856");
}

TEST(FlagsTest, Errors) {
  EXPECT_TRUE(!(ParseFlags({"--nope"})).ok());
  EXPECT_TRUE(!(ParseFlags({"--config.file"})).ok());
  EXPECT_TRUE(!(ParseFlags({"--check-config=maybe"})).ok());
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
