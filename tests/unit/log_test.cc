#include "dbtopo/base/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <sstream>

namespace dbtopo {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(LogTest, LogfmtQuotesAndEscapes) {
  log::Init(log::Level::kInfo, log::Format::kLogfmt);
  testing::internal::CaptureStderr();
  log::Info("target down", {{"err", "can't connect \"x\""}, {"pod", "a"}});
  spdlog::warn("direct text with = and \"quotes\"");
  log::Debug("hidden at info");
  const auto lines = Lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0],
              HasSubstr(R"(level=info msg="target down" err="can't connect \"x\"" pod=a)"));
  EXPECT_THAT(lines[1], HasSubstr(R"(level=warning msg="direct text with = and \"quotes\"")"));
}

TEST(LogTest, LogfmtRepairsInvalidUtf8) {
  // A target key is logged as configured or discovered, before any repair.
  log::Init(log::Level::kInfo, log::Format::kLogfmt);
  testing::internal::CaptureStderr();
  log::Info("target removed", {{"target", "shop/orders/mysql/p\xff\xfe-0"}});
  const auto lines = Lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("target=shop/orders/mysql/p\uFFFD\uFFFD-0"));
  log::Init(log::Level::kError, log::Format::kLogfmt);
}

TEST(LogTest, JsonLinesParseWhateverTheSource) {
  log::Init(log::Level::kDebug, log::Format::kJson);
  testing::internal::CaptureStderr();
  log::Warn("finding raised", {{"kind", "dual_primary"}, {"detail", "a\nb\xff"}});
  spdlog::info("from a collector: {\"not\": json}");
  const auto lines = Lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u);
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["msg"], "finding raised");
  EXPECT_EQ(first["kind"], "dual_primary");
  EXPECT_EQ(first["level"], "warning");
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["msg"], "from a collector: {\"not\": json}");
  log::Init(log::Level::kError, log::Format::kLogfmt);
}

}  // namespace
}  // namespace dbtopo
