// libFuzzer: result rows as the mysql client prints them with \G
// ("  Column_name: value" lines; "NULL" is SQL NULL; a "*** N. row ***" line
// starts the next row; the first row is the globals SELECT, the others replica
// status rows) -> ParseReplicaStatusRow / ParseGlobalsRow /
// DetectServerInfo -> analysis. Seeds are real MariaDB rows and the MySQL
// reference manual's. Must not crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dbtopo/analysis/analysis.h"
#include "mysql_replica_status.h"

namespace {

std::vector<dbtopo::mysql::ColumnMap> Rows(std::string_view text) {
  std::vector<dbtopo::mysql::ColumnMap> rows(1);
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.starts_with("***")) {
      if (!rows.back().empty()) rows.emplace_back();
      continue;
    }
    const auto colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    const std::string_view value = line.substr(colon + 2);
    rows.back()[std::string(name)] =
        value == "NULL" ? std::nullopt : std::optional<std::string>(std::string(value));
  }
  return rows;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto rows = Rows(text);
  dbtopo::Member member;
  member.target.engine = dbtopo::Engine::kMysql;
  member.target.pod = "mysql-0";
  member.target.host = "127.0.0.1";
  member.target.port = 3306;
  dbtopo::Observation& observation = member.observation;
  observation.up = true;
  const dbtopo::mysql::ServerGlobals globals = dbtopo::mysql::ParseGlobalsRow(rows.front());
  dbtopo::mysql::ApplyGlobals(globals, observation);
  dbtopo::mysql::DetectServerInfo(globals.version);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    dbtopo::ReplicationChannel channel = dbtopo::mysql::ParseReplicaStatusRow(rows[i]);
    dbtopo::mysql::RedactSecret("s3cret", channel);
    observation.channels.push_back(std::move(channel));
  }
  dbtopo::mysql::ParseServerVersion(text.substr(0, 64));
  // A second member following the first, so the source graph and errant
  // GTID arithmetic see the fuzzed values.
  dbtopo::Member replica = member;
  replica.target.pod = "mysql-1";
  replica.target.port = 3307;
  (void)dbtopo::Analyze({member, replica}, dbtopo::AnalysisOptions{});
  return 0;
}
