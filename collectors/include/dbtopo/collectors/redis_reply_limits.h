#pragma once

// Bounds on what one Redis reply may make the client allocate.
//
// hiredis allocates an array reply's element table from the count in its
// header: 13 bytes ("*400000000\r\n") would make it allocate 3 GB before a
// single element arrives. Nothing the exporter asks for has more than a few
// thousand elements, so a reader limited here answers such a header with a
// protocol error instead (the probe reports the target down, "out of
// memory" from hiredis).

#include <hiredis/hiredis.h>

#include <cstddef>

namespace dbtopo::redis {

/// Most elements an array reply may announce (ROLE, SENTINEL ... replies are
/// far smaller; CLUSTER NODES is one bulk string).
inline constexpr int kMaxReplyElements = 1 << 16;

/// Makes `reader` refuse array replies announcing more than
/// kMaxReplyElements elements; otherwise replies are built as usual. Call
/// on a fresh reader (redisReaderCreate, or a context's `reader` right after
/// connecting). Thread-safe.
void LimitReplies(redisReader* reader);

}  // namespace dbtopo::redis
