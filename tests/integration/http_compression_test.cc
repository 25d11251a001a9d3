// /metrics and /api/v1/topology compressed by the exporter itself: gzip when
// the client accepts it, one gzip layer (the HTTP library never compresses
// again, nor answers brotli), and /metrics compressed once per poll round:
// every gzip scrape of one round gets the same bytes. Real Redis master and
// replicas behind the exporter.

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

#include "gunzip_for_tests.h"
#include "support/exporter_process.h"
#include "support/redis_servers.h"

namespace dbtopo::testing {
namespace {

struct Answer {
  int status = 0;
  std::string encoding;
  std::string vary;
  std::string body;
};

class HttpCompressionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_.Start(2);
    ExporterOptions options;
    // Long rounds, so that two scrapes in a row fall in one.
    options.poll_interval = "5s";
    options.probe_timeout = "2s";
    options.clusters = {redis_.ToClusterSpec("cache")};
    exporter_.Start(options);
  }

  // GET with `accept` as Accept-Encoding ("" = none), the body as sent.
  Answer Get(const std::string& path, const std::string& accept) const {
    httplib::Client client("127.0.0.1", exporter_.port());
    client.set_decompress(false);
    httplib::Headers headers;
    if (!accept.empty()) headers.emplace("Accept-Encoding", accept);
    auto res = client.Get(path, headers);
    if (!res) return {};
    return {res->status, res->get_header_value("Content-Encoding"), res->get_header_value("Vary"),
            res->body};
  }

  static std::string Gunzipped(const Answer& answer) {
    bool ok = false;
    std::string text = Gunzip(answer.body, &ok);
    EXPECT_TRUE(ok) << "not one whole gzip member (" << answer.body.size() << " bytes)";
    return text;
  }

  RedisReplicationSet redis_;
  TempDir dir_;
  ExporterProcess exporter_{dir_};
};

TEST_F(HttpCompressionTest, MetricsAreGzippedOncePerRound) {
  // Two gzip scrapes and a plain one of the same round (its number in each).
  for (int attempt = 0; attempt < 5; ++attempt) {
    const Answer first = Get("/metrics", "gzip");
    const Answer second = Get("/metrics", "gzip, deflate, br");
    const Answer plain = Get("/metrics", "");
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.encoding, "gzip");
    EXPECT_EQ(first.vary, "Accept-Encoding");
    const Metrics a = Metrics::Parse(Gunzipped(first));
    const Metrics b = Metrics::Parse(Gunzipped(second));
    const Metrics p = Metrics::Parse(plain.body);
    EXPECT_EQ(plain.encoding, "");
    const auto round = [](const Metrics& m) { return m.Value("dbtopo_poll_rounds_total"); };
    if (round(a) != round(b) || round(b) != round(p)) continue;  // a round ended in between
    EXPECT_EQ(first.body, second.body) << "compressed twice in one round";
    EXPECT_EQ(Gunzipped(first), plain.body);
    EXPECT_TRUE(p.Is("dbtopo_up", {{"pod", RedisReplicationSet::Pod(0)}}, 1)) << p.Dump();
    return;
  }
  FAIL() << "no three scrapes fell in one 5 s round";
}

TEST_F(HttpCompressionTest, NoGzipUnlessAcceptedAndNeverAnotherCoding) {
  for (const std::string accept : {"", "identity", "br", "deflate", "gzip;q=0"}) {
    const Answer answer = Get("/metrics", accept);
    EXPECT_EQ(answer.status, 200) << accept;
    EXPECT_EQ(answer.encoding, "") << "Accept-Encoding: " << accept;
    EXPECT_NO_THROW(Metrics::Parse(answer.body)) << accept;
  }
  const Answer json = Get("/api/v1/topology", "gzip");
  EXPECT_EQ(json.encoding, "gzip");
  const nlohmann::json topology = nlohmann::json::parse(Gunzipped(json));
  EXPECT_EQ(topology["clusters"].size(), 1u);
  const Answer plain_json = Get("/api/v1/topology", "br");
  EXPECT_EQ(plain_json.encoding, "");
  EXPECT_TRUE(nlohmann::json::accept(plain_json.body));
}

}  // namespace
}  // namespace dbtopo::testing
