#include "dbtopo/base/duration.h"

#include <gtest/gtest.h>

namespace dbtopo {
namespace {

TEST(DurationTest, ParsesAndFormats) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(ParseDuration("5s"), milliseconds(5000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(ParseDuration("2h"), milliseconds(7'200'000));
  EXPECT_EQ(ParseDuration("7"), milliseconds(7000));
  for (const char* bad : {"", "s", "5x", "-1s", "5s3", "1.5s", "99999999999999999999s"}) {
    EXPECT_FALSE(ParseDuration(bad)) << bad;
  }
  EXPECT_EQ(FormatDuration(milliseconds(90'500)), "1m30s500ms");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(10)), "10s");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(90)), "1m30s");
  EXPECT_EQ(FormatDuration(std::chrono::minutes(5)), "5m");
}

TEST(DurationTest, FormatsWhatItParses) {
  for (long long ms : {1LL, 999LL, 1000LL, 61'001LL, 3'600'000LL, 90'061'001LL}) {
    const std::chrono::milliseconds d(ms);
    EXPECT_EQ(ParseDuration(FormatDuration(d)), d) << ms;
  }
}

}  // namespace
}  // namespace dbtopo
