#include "dbtopo/base/strings.h"

#include <gtest/gtest.h>

namespace dbtopo {
namespace {

TEST(StringsTest, TrimRemovesSpacesTabsAndLineEnds) {
  EXPECT_EQ(Trim("  token\r\n"), "token");
  EXPECT_EQ(Trim("\tgzip ; q=0 \t"), "gzip ; q=0");
  EXPECT_EQ(Trim(" \t\r\n"), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("a b"), "a b");
}

TEST(StringsTest, EqualsIgnoreCaseIsAsciiOnly) {
  EXPECT_TRUE(EqualsIgnoreCase("Bearer", "bearer"));
  EXPECT_TRUE(EqualsIgnoreCase("CONNECTING", "Connecting"));
  EXPECT_FALSE(EqualsIgnoreCase("gzip", "gzi"));
  EXPECT_FALSE(EqualsIgnoreCase("a", "b"));
  // Bytes outside A-Z compare exactly: no locale folds them.
  EXPECT_FALSE(EqualsIgnoreCase("\xC3\x84", "\xC3\xA4"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
}

}  // namespace
}  // namespace dbtopo
