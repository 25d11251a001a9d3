// Every string becomes valid UTF-8 before it reaches a label: the sanitizer
// itself, and a member full of invalid bytes rendered into /metrics.

#include "dbtopo/base/utf8.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "analysis_fixtures.h"
#include "metrics_text.h"
#include "snapshot.h"

namespace dbtopo {
namespace {

using ::testing::HasSubstr;

TEST(Utf8Test, ValidTextIsUntouched) {
  std::string text = "mysql-0 \xE2\x82\xAC \xF0\x9F\x98\x80 plain";
  EXPECT_TRUE(utf8::IsValid(text));
  EXPECT_EQ(utf8::Sanitize(text), 0u);
  EXPECT_EQ(text, "mysql-0 \xE2\x82\xAC \xF0\x9F\x98\x80 plain");
}

TEST(Utf8Test, IllFormedSequencesBecomeReplacementCharacters) {
  struct Case {
    std::string in, out;
    std::size_t replaced;
  };
  const std::string r = "\xEF\xBF\xBD";
  for (const Case& c : std::vector<Case>{
           {"h\xff\xfe", "h" + r + r, 2},           // Bytes that never occur.
           {"\xC0\xAF", r + r, 2},                  // Overlong '/'.
           {"\xED\xA0\x80", r + r + r, 3},          // Surrogate U+D800.
           {"\xF4\x90\x80\x80", r + r + r + r, 4},  // Above U+10FFFF.
           {"ab\xE2\x82", "ab" + r, 1},             // Truncated at the end.
           {"\xE2\x82x", r + "x", 1},               // Truncated before ASCII.
       }) {
    std::string text = c.in;
    EXPECT_FALSE(utf8::IsValid(text));
    EXPECT_EQ(utf8::Sanitize(text), c.replaced) << c.out;
    EXPECT_EQ(text, c.out);
    EXPECT_TRUE(utf8::IsValid(text));
  }
}

TEST(Utf8Test, SanitizedMemberRendersValidMetrics) {
  Member m = fixtures::MysqlReplicaOfAddress("pod-\xff", "10.0.0.2", 3306, "h\xff\xfe", 3306);
  m.observation.version = "8.0.36-\xC0";
  m.observation.channels[0].name = "ch\xfe";
  m.target.labels["kubeblocks.io/role"] = "secondary\xff";
  // pod, server_uuid ("uuid-<pod>"), source host (2), version, channel, label.
  EXPECT_EQ(utf8::SanitizeMember(m), 7u);

  Snapshot snapshot;
  snapshot.topology = Analyze({m}, {});
  const std::string text = RenderMetrics(snapshot);
  EXPECT_TRUE(utf8::IsValid(text));
  EXPECT_THAT(text, HasSubstr("source=\"h\xEF\xBF\xBD\xEF\xBF\xBD:3306\""));
}

}  // namespace
}  // namespace dbtopo
