// The remediation endpoints' request parsing (token, Alertmanager payload)
// and the code -> HTTP status map.

#include "remediation_api.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "remediation_requests.h"

namespace dbtopo {
namespace {

// ---------------------------------------------------------------- token

TEST(BearerTokenTest, AcceptsOnlyTheExactToken) {
  const Secret token("s3cret-token");
  EXPECT_TRUE(BearerTokenMatches("Bearer s3cret-token", token));
  EXPECT_TRUE(BearerTokenMatches("bearer s3cret-token", token));
  EXPECT_TRUE(BearerTokenMatches("  Bearer   s3cret-token  ", token));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cret-toke", token));
  EXPECT_FALSE(BearerTokenMatches("Bearer s3cret-token2", token));
  EXPECT_FALSE(BearerTokenMatches("Bearer ", token));
  EXPECT_FALSE(BearerTokenMatches("s3cret-token", token));
  EXPECT_FALSE(BearerTokenMatches("Basic s3cret-token", token));
  EXPECT_FALSE(BearerTokenMatches("", token));
}

TEST(BearerTokenTest, NoConfiguredTokenMatchesNothing) {
  EXPECT_FALSE(BearerTokenMatches("Bearer ", Secret()));
  EXPECT_FALSE(BearerTokenMatches("Bearer x", Secret()));
}

// ---------------------------------------------------------------- alerts

TEST(AlertmanagerPayloadTest, ParsesVersion4) {
  const char* body = R"({
    "version": "4", "groupKey": "{}:{alertname=\"DbtopoDualPrimary\"}", "status": "firing",
    "receiver": "dbtopo", "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
    "externalURL": "http://am:9093", "truncatedAlerts": 0,
    "alerts": [
      {"status": "firing", "labels": {"alertname": "DbtopoDualPrimary", "db_cluster": "orders",
       "namespace": "prod", "component": "mysql", "pod": "orders-mysql-1", "severity": "critical"},
       "annotations": {}, "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
       "generatorURL": "", "fingerprint": "abc"},
      {"status": "resolved", "labels": {"alertname": "X"}}
    ]})";
  auto v = ParseAlertmanagerPayload(body);
  ASSERT_TRUE((v.ok()));
  const auto& alerts = v.value();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].status, "firing");
  EXPECT_EQ(alerts[0].labels.at("pod"), "orders-mysql-1");
  EXPECT_EQ(alerts[1].status, "resolved");
}

TEST(AlertmanagerPayloadTest, RejectsGarbage) {
  EXPECT_TRUE(!(ParseAlertmanagerPayload("not json")).ok());
  EXPECT_TRUE(!(ParseAlertmanagerPayload("[]")).ok());
  EXPECT_TRUE(!(ParseAlertmanagerPayload(R"({"alerts": 3})")).ok());
  EXPECT_TRUE(!(ParseAlertmanagerPayload(R"({"version": "3", "alerts": []})")).ok());
  EXPECT_TRUE(!(ParseAlertmanagerPayload(R"({"alerts": [{"labels": []}]})")).ok());
}

TEST(HttpStatusTest, EveryCodeHasItsStatus) {
  EXPECT_EQ(HttpStatusOf(RemediationCode::kOk), 200);
  EXPECT_EQ(HttpStatusOf(RemediationCode::kBadRequest), 400);
  EXPECT_EQ(HttpStatusOf(RemediationCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusOf(RemediationCode::kBusy), 409);
  EXPECT_EQ(HttpStatusOf(RemediationCode::kRefused), 422);
  EXPECT_EQ(HttpStatusOf(RemediationCode::kCoolingDown), 429);
  EXPECT_EQ(HttpStatusOf(RemediationCode::kFailed), 500);
  EXPECT_EQ(HttpStatusOf(RemediationCode::kUnavailable), 503);
}

}  // namespace
}  // namespace dbtopo
