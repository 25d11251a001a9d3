#include "gzip.h"

#include <gtest/gtest.h>

#include <string>

#include "gunzip_for_tests.h"

namespace dbtopo {
namespace {

TEST(GzipTest, CompressesToOneGzipMemberThatInflatesBack) {
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text += "dbtopo_up{namespace=\"shop\",db_cluster=\"c" + std::to_string(i % 300) +
            "\",component=\"redis\",pod=\"p" + std::to_string(i) + "\"} 1\n";
  }
  const std::string zipped = GzipCompress(text);
  ASSERT_GE(zipped.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(zipped[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(zipped[1]), 0x8b);
  EXPECT_LT(zipped.size(), text.size() / 5);
  bool ok = false;
  EXPECT_EQ(testing::Gunzip(zipped, &ok), text);
  EXPECT_TRUE(ok);
  EXPECT_EQ(testing::Gunzip(GzipCompress(""), &ok), "");
  EXPECT_TRUE(ok);
}

TEST(GzipTest, AcceptEncodingIsReadAsRfc9110Says) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip, deflate, br"));  // curl --compressed
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.8"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.001"));
  EXPECT_TRUE(AcceptsGzip(" identity ,gzip ; q=1"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip("br"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000, br"));
  EXPECT_FALSE(AcceptsGzip("x-gzip2"));
  EXPECT_FALSE(AcceptsGzip("gzipx"));
}

}  // namespace
}  // namespace dbtopo
