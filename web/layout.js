// Layout of one database unit for the topology page: pure functions over the
// /api/v1/topology JSON, no DOM, so that node's test runner checks them.
//
// A unit's members become rows: a primary (or the co-primaries, side by
// side) on row 0, the replicas that follow it on row 1, replicas of those
// (a chain through an intermediate primary) on row 2, and so on. A member
// whose source is outside the unit or unknown, or that follows nobody (a
// detached replica, a server that is down), starts a row-0 tree of its own
// after the primaries. Edges go from source to replica, one per replication
// channel, with its state: "up", "broken" (IO or SQL thread stopped, master
// link down) or "unknown".
(function (root) {
  'use strict';

  const COLUMN_WIDTH = 170;
  const ROW_HEIGHT = 110;

  // "up" | "broken" | "unknown" for one channel of the JSON.
  function linkState(channel) {
    if (channel.link_up === true) return 'up';
    if (channel.io_running === false || channel.sql_running === false) return 'broken';
    if (channel.link_up === false) return 'broken';
    return 'unknown';
  }

  function byPrimaryThenName(a, b) {
    const pa = a.observed_role === 'primary' ? 0 : 1;
    const pb = b.observed_role === 'primary' ? 0 : 1;
    return pa - pb || (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0);
  }

  // {nodes: [{pod, member, row, column, x, y}], edges: [...], width, height}
  function layoutUnit(cluster) {
    const members = (cluster.members || []).slice().sort(byPrimaryThenName);
    const byPod = new Map(members.map((m) => [m.pod, m]));
    const children = new Map(members.map((m) => [m.pod, []]));
    const edges = [];
    const hasInUnitSource = new Set();
    for (const m of members) {
      for (const ch of m.channels || []) {
        const source = ch.source_pod && byPod.has(ch.source_pod) ? ch.source_pod : null;
        edges.push({
          from: source, to: m.pod, channel: ch.name || '', state: linkState(ch),
          lag_seconds: ch.lag_seconds === undefined ? null : ch.lag_seconds,
          source: ch.source || '',
        });
        if (source === null || source === m.pod) continue;
        children.get(source).push(m.pod);
        // Co-primaries replicate from each other; both stay on row 0.
        if (!(m.co_primary && byPod.get(source).co_primary)) hasInUnitSource.add(m.pod);
      }
    }
    const roots = members.filter((m) => !hasInUnitSource.has(m.pod));
    const placed = new Map();
    const rows = [];
    const place = (pod, row) => {
      if (placed.has(pod)) return;
      if (!rows[row]) rows[row] = [];
      const node = { pod, member: byPod.get(pod), row, column: rows[row].length };
      rows[row].push(node);
      placed.set(pod, node);
    };
    // Breadth first from the roots; a replica appears under its first source.
    let frontier = [];
    for (const r of roots) { place(r.pod, 0); frontier.push(r.pod); }
    for (let row = 1; frontier.length > 0; ++row) {
      const next = [];
      for (const pod of frontier) {
        for (const child of children.get(pod)) {
          if (placed.has(child)) continue;
          place(child, row);
          next.push(child);
        }
      }
      frontier = next;
    }
    // A cycle without co-primaries (A follows B follows A): nobody is a root.
    for (const m of members) place(m.pod, 0);
    const nodes = [...placed.values()];
    const columns = Math.max(1, ...rows.map((r) => (r ? r.length : 0)));
    for (const n of nodes) {
      const inRow = rows[n.row].length;
      // Rows are centred over the widest one.
      n.x = (n.column + 0.5 + (columns - inRow) / 2) * COLUMN_WIDTH;
      n.y = n.row * ROW_HEIGHT + ROW_HEIGHT / 2;
    }
    return {
      nodes, edges, rows: rows.length,
      width: columns * COLUMN_WIDTH, height: rows.length * ROW_HEIGHT,
    };
  }

  // "0-5460,10923" from [[0, 5460], [10923, 10923]].
  function slotRanges(slots) {
    return (slots || []).map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
  }

  // The shards of one Redis Cluster (its units, one per component), each a
  // column: {component, slots, layout}, ordered by their first slot.
  function layoutRedisCluster(units) {
    const shards = units.map((u) => {
      const primary = (u.members || []).find((m) => m.observed_role === 'primary');
      const slots = primary && primary.redis_cluster ? primary.redis_cluster.slots || [] : [];
      return { component: u.component, unit: u, slots, ranges: slotRanges(slots), layout: layoutUnit(u) };
    });
    const first = (s) => (s.slots.length > 0 ? s.slots[0][0] : 16384);
    shards.sort((a, b) => first(a) - first(b) || (a.component < b.component ? -1 : 1));
    return shards;
  }

  // What the sentinels of a unit believe (its `sentinels` views: a Redis
  // unit's watchers, or a sentinel unit's own members), one row per
  // (sentinel, master name): {sentinel, master_name, names (address and the
  // pod it is), epoch, quorum ('ok', 'lost', 'unknown'), flags, agrees}.
  // `agrees`: for a Redis unit, the sentinel names the unit's one primary;
  // for a sentinel unit, unknown (null). `disagree`: the rows name more than
  // one master address for one master name.
  function sentinelRows(unit) {
    const isRedis = unit.engine === 'redis';
    const rows = (unit.sentinels || []).map((v) => ({
      sentinel: v.sentinel_pod,
      master_name: v.master_name,
      names: v.master_pod ? `${v.master_address} (${v.master_pod})` : v.master_address,
      epoch: v.config_epoch,
      quorum: v.quorum_ok === true ? 'ok' : v.quorum_ok === false ? 'lost' : 'unknown',
      flags: (v.flags || []).filter((f) => f !== 'master'),
      agrees: isRedis ? Boolean(v.master_pod) && v.master_pod === unit.primary_pod : null,
    }));
    rows.sort((a, b) => (a.master_name < b.master_name ? -1 : a.master_name > b.master_name ? 1 : 0) ||
      (a.sentinel < b.sentinel ? -1 : 1));
    const addresses = new Map();
    for (const v of unit.sentinels || []) {
      if (!addresses.has(v.master_name)) addresses.set(v.master_name, new Set());
      addresses.get(v.master_name).add(v.master_address);
    }
    const disagree = [...addresses.values()].some((s) => s.size > 1);
    return { rows, disagree };
  }

  // Severity order for the findings list and for ordering units.
  const SEVERITY = { critical: 0, warning: 1, info: 2 };

  function worstSeverity(cluster) {
    let worst = 3;
    for (const f of cluster.findings || []) worst = Math.min(worst, SEVERITY[f.severity] ?? 2);
    return worst;
  }

  // Units with a critical finding first, then warnings, then the healthy;
  // by namespace/db_cluster/component inside each.
  function orderUnits(clusters) {
    const key = (c) => `${c.namespace}/${c.db_cluster}/${c.component}`;
    return clusters.slice().sort((a, b) => worstSeverity(a) - worstSeverity(b) ||
      (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  // Filter from the URL's query: namespace, db_cluster, kind (finding kind)
  // and q (text in a pod, unit or finding message). Empty values match all.
  function matches(cluster, filter) {
    if (filter.namespace && cluster.namespace !== filter.namespace) return false;
    if (filter.db_cluster && cluster.db_cluster !== filter.db_cluster) return false;
    if (filter.kind && !(cluster.findings || []).some((f) => f.kind === filter.kind)) return false;
    if (filter.q) {
      const q = filter.q.toLowerCase();
      const texts = [cluster.namespace, cluster.db_cluster, cluster.component,
        ...(cluster.members || []).map((m) => m.pod),
        ...(cluster.findings || []).map((f) => `${f.kind} ${f.message}`)];
      if (!texts.some((t) => String(t || '').toLowerCase().includes(q))) return false;
    }
    return true;
  }

  // "fresh" | "stale" (no round for three poll intervals) for a JSON
  // document read at `nowSeconds`.
  function freshness(doc, nowSeconds) {
    const interval = doc.poll_interval_seconds || 5;
    return nowSeconds - doc.timestamp_seconds > 3 * interval ? 'stale' : 'fresh';
  }

  const api = { layoutUnit, layoutRedisCluster, slotRanges, linkState, orderUnits, matches,
    freshness, worstSeverity, sentinelRows, COLUMN_WIDTH, ROW_HEIGHT };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.DbtopoLayout = api;
})(typeof self !== 'undefined' ? self : this);
