// libFuzzer: GTID text (MySQL gtid_executed sets, MariaDB gtid_binlog_state)
// -> parsers, set arithmetic, errant detection through Analyze. Must not
// crash, hang or leak; a parsed set must print back to text that parses to
// the same set, and A - A must be empty.

#include <cstddef>
#include <cstdint>
#include <string>

#include "dbtopo/analysis/analysis.h"
#include "dbtopo/analysis/gtid.h"

namespace {

dbtopo::Member Server(const std::string& pod, bool writable, const std::string& version) {
  dbtopo::Member m;
  m.target.unit = {"ns", "db", "mysql"};
  m.target.pod = pod;
  m.target.host = pod;
  m.target.port = 3306;
  m.observation.up = true;
  m.observation.writable = writable;
  m.observation.read_only = !writable;
  m.observation.server_id = writable ? 1 : 2;
  m.observation.server_uuid = writable ? "00000000-0000-4000-8000-000000000000" : "";
  m.observation.version = version;
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using dbtopo::gtid::MysqlGtidSet;
  if (auto set = MysqlGtidSet::Parse(text)) {
    auto again = MysqlGtidSet::Parse(set->ToString());
    if (!again || again->sets() != set->sets()) __builtin_trap();
    if (!set->Subtract(*set).empty()) __builtin_trap();
    auto other = MysqlGtidSet::Parse("00000000-0000-4000-8000-000000000000:1-5:9:tag_a:2-3");
    (void)set->Subtract(*other).ToString();
    (void)other->Subtract(*set).ToString();
  }
  if (auto state = dbtopo::gtid::ParseMariadbGtidState(text)) {
    (void)dbtopo::gtid::MariadbErrant(*state, *state, 1);
  }
  for (const char* version : {"8.0.36", "10.11.6-MariaDB"}) {
    dbtopo::Member primary = Server("p", true, version);
    dbtopo::Member replica = Server("r", false, version);
    replica.observation.gtid_executed = text;
    replica.observation.gtid_binlog_state = text;
    primary.observation.gtid_executed = text.substr(0, text.size() / 2);
    primary.observation.gtid_binlog_state = primary.observation.gtid_executed;
    dbtopo::ReplicationChannel c;
    c.source_host = "p";
    c.source_port = 3306;
    c.io_running = true;
    c.sql_running = true;
    replica.observation.channels.push_back(c);
    (void)dbtopo::Analyze({primary, replica}, dbtopo::AnalysisOptions{});
  }
  return 0;
}
