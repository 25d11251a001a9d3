// Every secret the exporter holds is redacted from server texts, whole and
// as the prefix a server's length cap leaves of it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "dbtopo/base/secret.h"

namespace dbtopo {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SecretRedactionTest, EveryKindOfSecretIsRedactedWherePresent) {
  // As the config loads them: a probe password, replication credentials, a
  // Redis password, the remediation token.
  const Secret probe("probe-pw-1234"), replication("repl-Secret-99"), redis("redis-pass-xyz"),
      token("remediation-token-abcdef");
  for (const Secret* s : {&probe, &replication, &redis, &token}) {
    std::string text =
        "Error 'Operation CREATE USER failed' on query. Query: 'CREATE USER x "
        "IDENTIFIED BY '" +
        s->Reveal() + "'' and again " + s->Reveal();
    EXPECT_EQ(secrets::Redact(text), 2);
    EXPECT_THAT(text, Not(HasSubstr(s->Reveal())));
    EXPECT_THAT(text, HasSubstr("IDENTIFIED BY '<secret>''"));
  }
}

TEST(SecretRedactionTest, APrefixCutByTheServersLimitIsRedacted) {
  const Secret replication("repl-Secret-99");
  std::string text = std::string(1010, 'x') + "BY 'repl-Sec";  // Cut at 1,023 characters.
  EXPECT_EQ(secrets::Redact(text), 1);
  EXPECT_EQ(text, std::string(1010, 'x') + "BY '<secret>");
  // Three bytes are too short to tell from ordinary text.
  std::string short_end = "ends with rep";
  EXPECT_EQ(secrets::Redact(short_end), 0);
}

TEST(SecretRedactionTest, TextWithoutSecretsIsUntouched) {
  const Secret s("another-secret");
  std::string text = "Slave_IO_Running: Connecting (errno 2003)";
  EXPECT_EQ(secrets::Redact(text), 0);
  EXPECT_EQ(text, "Slave_IO_Running: Connecting (errno 2003)");
}

}  // namespace
}  // namespace dbtopo
