// PodList / watch event parsing (collectors/src/kubernetes/pod_parser), on
// recorded API server shapes under testdata/kube/.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "kubernetes/pod_parser.h"

namespace dbtopo::kube {
namespace {

using ::testing::HasSubstr;

std::string Testdata(const std::string& name) {
  std::ifstream in(std::string(DBTOPO_KUBE_TESTDATA) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

template <typename T>
T Ok(Result<T> parsed) {
  if (!parsed.ok()) {
    ADD_FAILURE() << parsed.error().message;
    return T{};
  }
  return std::move(parsed).value();
}

template <typename T>
std::string Err(Result<T> parsed) {
  if (parsed.ok()) {
    ADD_FAILURE() << "expected a parse error";
    return "";
  }
  return parsed.error().message;
}

TEST(PodListTest, ParsesKubeBlocksPods) {
  PodList list = Ok(ParsePodList(Testdata("podlist_kubeblocks_mysql.json")));
  EXPECT_EQ(list.resource_version, "734521");
  EXPECT_EQ(list.continue_token, "");
  ASSERT_EQ(list.items.size(), 3u);

  const PodInfo& primary = list.items[0];
  EXPECT_EQ(primary.ns, "shop");
  EXPECT_EQ(primary.name, "orders-mysql-0");
  EXPECT_EQ(primary.Key(), "shop/orders-mysql-0");
  EXPECT_EQ(primary.uid, "0b7c0a5e-6a47-4d6b-9d0e-2f0c1b1e7a01");
  EXPECT_EQ(primary.resource_version, "734400");
  EXPECT_EQ(primary.labels.at("kubeblocks.io/role"), "primary");
  EXPECT_EQ(primary.labels.at("app.kubernetes.io/instance"), "orders");
  EXPECT_EQ(primary.phase, "Running");
  EXPECT_EQ(primary.pod_ip, "10.244.1.17");
  EXPECT_TRUE(primary.ready);
  EXPECT_FALSE(primary.deleting);
  ASSERT_EQ(primary.ports.size(), 4u);
  EXPECT_EQ(primary.ports[0].container, "mysql");
  EXPECT_EQ(primary.ports[0].name, "mysql");
  EXPECT_EQ(primary.ports[0].port, 3306);
  EXPECT_EQ(primary.ports[0].protocol, "TCP");
  EXPECT_EQ(primary.ports[3].name, "lorry-grpc");
  EXPECT_EQ(primary.ports[3].protocol, "TCP");  // Default when absent.

  const PodInfo& not_ready = list.items[1];
  EXPECT_EQ(not_ready.phase, "Running");
  EXPECT_FALSE(not_ready.ready);
  EXPECT_EQ(not_ready.ports.at(0).port, 3307);

  const PodInfo& pending = list.items[2];
  EXPECT_EQ(pending.phase, "Pending");
  EXPECT_EQ(pending.pod_ip, "");
  EXPECT_FALSE(pending.ready);
  EXPECT_FALSE(pending.labels.contains("kubeblocks.io/role"));
}

TEST(PodListTest, ContinueTokenAndEmptyItems) {
  PodList list = Ok(ParsePodList(
      R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"abc"},"items":null})"));
  EXPECT_EQ(list.resource_version, "9");
  EXPECT_EQ(list.continue_token, "abc");
  EXPECT_TRUE(list.items.empty());
}

TEST(PodListTest, PodIpFromPodIpsWhenPodIpAbsent) {
  PodInfo pod = Ok(ParsePod(
      R"({"metadata":{"name":"p","namespace":"n"},"status":{"phase":"Running","podIPs":[{"ip":"fd00::5"}]}})"));
  EXPECT_EQ(pod.pod_ip, "fd00::5");
}

TEST(PodListTest, Errors) {
  EXPECT_THAT(Err(ParsePodList("<html>502 Bad Gateway</html>")), HasSubstr("not valid JSON"));
  EXPECT_THAT(Err(ParsePodList("[1,2]")), HasSubstr("not a JSON object"));
  EXPECT_THAT(Err(ParsePodList(R"({"kind":"ServiceList","items":[]})")), HasSubstr("want PodList"));
  EXPECT_THAT(Err(ParsePodList(R"({"kind":"PodList","items":{}})")), HasSubstr("not an array"));
  EXPECT_THAT(Err(ParsePodList(R"({"kind":"PodList","items":[{"metadata":{}}]})")),
              HasSubstr("items[0]: pod without metadata.name"));
  EXPECT_THAT(Err(ParsePodList(R"({"kind":"PodList","items":[{"metadata":{"name":"a"}}, 5]})")),
              HasSubstr("items[1]"));
  EXPECT_THAT(
      Err(ParsePodList(
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods is forbidden","reason":"Forbidden","code":403})")),
      HasSubstr("403 Forbidden: pods is forbidden"));
}

TEST(PodListTest, WrongFieldTypesAreIgnoredNotFatal) {
  PodInfo pod = Ok(ParsePod(
      R"({"metadata":{"name":"p","namespace":"n","labels":{"a":"b","n":5}},
          "spec":{"containers":[{"name":"c","ports":[{"name":"x","containerPort":"3306"}]}]},
          "status":{"phase":7,"conditions":"bad"}})"));
  EXPECT_EQ(pod.labels.size(), 1u);
  EXPECT_EQ(pod.ports.at(0).port, 0);
  EXPECT_EQ(pod.phase, "");
  EXPECT_FALSE(pod.ready);
}

TEST(WatchEventTest, RecordedStream) {
  const std::vector<std::string> lines = Lines(Testdata("watch_events.jsonl"));
  ASSERT_EQ(lines.size(), 5u);

  WatchEvent added = Ok(ParseWatchEvent(lines[0]));
  EXPECT_EQ(added.type, WatchEvent::Type::kAdded);
  EXPECT_EQ(added.pod.Key(), "shop/orders-mysql-3");
  EXPECT_EQ(added.pod.phase, "Pending");
  EXPECT_EQ(added.resource_version, "734600");

  WatchEvent modified = Ok(ParseWatchEvent(lines[1]));
  EXPECT_EQ(modified.type, WatchEvent::Type::kModified);
  EXPECT_EQ(modified.pod.phase, "Running");
  EXPECT_EQ(modified.pod.pod_ip, "10.244.3.4");
  EXPECT_TRUE(modified.pod.ready);
  EXPECT_EQ(modified.pod.labels.at("kubeblocks.io/role"), "secondary");
  EXPECT_EQ(modified.resource_version, "734611");

  WatchEvent bookmark = Ok(ParseWatchEvent(lines[2]));
  EXPECT_EQ(bookmark.type, WatchEvent::Type::kBookmark);
  EXPECT_EQ(bookmark.resource_version, "734700");

  WatchEvent deleted = Ok(ParseWatchEvent(lines[3]));
  EXPECT_EQ(deleted.type, WatchEvent::Type::kDeleted);
  EXPECT_EQ(deleted.pod.Key(), "shop/orders-mysql-3");
  EXPECT_TRUE(deleted.pod.deleting);
  EXPECT_EQ(deleted.resource_version, "734801");

  WatchEvent error = Ok(ParseWatchEvent(lines[4]));
  EXPECT_EQ(error.type, WatchEvent::Type::kError);
  EXPECT_EQ(error.status.code, 410);
  EXPECT_EQ(error.status.reason, "Expired");
  EXPECT_THAT(error.status.message, HasSubstr("too old resource version"));
  EXPECT_STREQ(WatchEventTypeName(error.type), "ERROR");
}

TEST(WatchEventTest, Errors) {
  EXPECT_THAT(Err(ParseWatchEvent(R"({"type":"ADDED","object":{"metadata":{}}})")),
              HasSubstr("ADDED event: pod without metadata.name"));
  EXPECT_THAT(Err(ParseWatchEvent(R"({"type":"ADDED"})")), HasSubstr("without an object"));
  EXPECT_THAT(Err(ParseWatchEvent(R"({"type":"SYNC","object":{}})")),
              HasSubstr("unknown watch event type \"SYNC\""));
  EXPECT_THAT(Err(ParseWatchEvent(R"({"type":"BOOKMARK","object":{"metadata":{}}})")),
              HasSubstr("BOOKMARK without resourceVersion"));
  EXPECT_THAT(Err(ParseWatchEvent(
                  R"({"type":"MODIFIED","object":{"kind":"Node","metadata":{"name":"n"}}})")),
              HasSubstr("want Pod"));
  EXPECT_THAT(Err(ParseWatchEvent(R"({"type":"ADDED","obj)")), HasSubstr("not valid JSON"));
}

TEST(StatusTest, ParsesStatusOnly) {
  auto status = ParseStatus(
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 401);
  EXPECT_EQ(status->reason, "Unauthorized");
  EXPECT_FALSE(ParseStatus("Unauthorized").has_value());
  EXPECT_FALSE(ParseStatus(R"({"kind":"PodList"})").has_value());
}

}  // namespace
}  // namespace dbtopo::kube
