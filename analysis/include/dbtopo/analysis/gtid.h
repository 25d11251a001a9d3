#pragma once

// GTID arithmetic for errant-transaction detection. Pure: parsing and set
// operations on the text the servers report, no I/O.
//
// MySQL: `@@gtid_executed` is a GTID set, `uuid:interval[:interval]...`
// joined by commas, where MySQL >= 8.3 may switch to a tag inside a uuid
// set (`uuid:1-5:tag_a:1-3`: transactions 1-3 of `uuid:tag_a`). Subtraction
// follows `GTID_SUBTRACT`.
//
// MariaDB: `@@gtid_binlog_state` lists the last sequence number per
// (domain_id, server_id) as `domain-server-seq` joined by commas.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dbtopo::gtid {

/// A MySQL GTID set: for each (uuid, tag) the executed transaction numbers
/// as sorted, disjoint, non-adjacent closed intervals [first, last].
/// uuid and tag are lower-cased (both compare case-insensitively in MySQL);
/// the tag is "" for untagged transactions.
class MysqlGtidSet {
 public:
  using Key = std::pair<std::string, std::string>;  ///< (uuid, tag).
  using Intervals = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

  /// Parses `@@gtid_executed` text. Whitespace and newlines are ignored; ""
  /// is the empty set. std::nullopt when the text is not a GTID set (bad
  /// uuid, interval with first > last or 0, trailing garbage).
  static std::optional<MysqlGtidSet> Parse(std::string_view text);

  /// this minus `other`, as GTID_SUBTRACT(this, other).
  MysqlGtidSet Subtract(const MysqlGtidSet& other) const;
  /// Drops every transaction of `uuid` (any tag).
  void EraseUuid(std::string_view uuid);
  bool empty() const { return sets_.empty(); }
  /// Canonical text: `uuid:1-5:7,uuid:tag:1-3`, sorted by uuid then tag.
  std::string ToString() const;

  const std::map<Key, Intervals>& sets() const { return sets_; }

 private:
  void Add(const Key& key, std::uint64_t first, std::uint64_t last);
  std::map<Key, Intervals> sets_;
};

/// One MariaDB GTID state: (domain_id, server_id) -> last seq_no.
using MariadbGtidState = std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t>;

/// Parses `@@gtid_binlog_state` ("0-1-100,0-2-5"; "" is empty). Where one
/// (domain, server) appears twice the higher seq_no wins. std::nullopt on
/// any malformed entry.
std::optional<MariadbGtidState> ParseMariadbGtidState(std::string_view text);

/// The entries of `replica` whose (domain, server_id) `primary` lacks or
/// holds with a lower seq_no, leaving out `primary_server_id` (its own
/// transactions may just be newer than the primary's reading). Text as
/// "domain-server-seq" joined by commas; "" when none.
std::string MariadbErrant(const MariadbGtidState& replica, const MariadbGtidState& primary,
                          std::uint32_t primary_server_id);

}  // namespace dbtopo::gtid
