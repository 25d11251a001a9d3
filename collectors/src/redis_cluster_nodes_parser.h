#pragma once

// Parser for `CLUSTER NODES` replies. Internal to collectors/.
//
// One line per node, as the answering node sees it:
//
//   <id> <ip:port@cport[,hostname[,aux=value...]]> <flags> <master-id|->
//       <ping-sent> <pong-recv> <config-epoch> <connected|disconnected>
//       [slot | first-last | [slot->-id] | [slot-<-id]]...
//
// Forms seen in practice: `127.0.0.1:7000@17000`, `10.0.0.1:6379@16379,
// redis-0.redis-headless` (Redis 7 announced hostname), `:0@0` (noaddr),
// `:7007@17007` (a node that never learned its own IP), `::1:7000@17000`
// (IPv6), `127.0.0.1:7000` (Redis < 4, no bus port). Flags are kept
// verbatim (`myself`, `master`, `slave`, `fail?`, `fail`, `handshake`,
// `noaddr`, `nofailover`, `noflags`, and any future ones).

#include <string>
#include <string_view>
#include <vector>

#include "dbtopo/analysis/model.h"
#include "dbtopo/base/result.h"

namespace dbtopo::redis {

/// Number of hash slots of a Redis Cluster.
inline constexpr int kClusterSlots = 16384;

/// The result of parsing a whole `CLUSTER NODES` reply.
struct ClusterNodesReply {
  /// Well-formed node lines, in reply order.
  std::vector<RedisClusterNode> nodes;
  /// Non-empty lines skipped because they are malformed.
  int bad_lines = 0;
  /// "line N: why" for the first few bad lines (at most 5), for logs.
  std::vector<std::string> errors;
};

/// Parses one node line (without its line end); the error says why the line
/// is malformed: fewer than 8 fields, an id or master id that is
/// not 40 hex digits (`-` for none), an address without `:port`, an empty
/// flag list, a non-numeric ping/pong/epoch, a link state other than
/// connected/disconnected, a slot outside 0..16383, a reversed range, or an
/// unreadable `[...]` migration entry.
Result<RedisClusterNode> ParseClusterNodeLine(std::string_view line);

/// Parses a whole reply: lines end in LF or CRLF; blank lines are ignored;
/// malformed lines are skipped and counted. Never fails.
ClusterNodesReply ParseClusterNodes(std::string_view text);

}  // namespace dbtopo::redis
