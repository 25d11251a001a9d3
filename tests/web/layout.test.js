// node --test tests/web/: the topology page's layout of real topology shapes.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('../../web/layout.js');

function member(pod, role, channels = [], extra = {}) {
  return { pod, observed_role: role, channels, ...extra };
}
function channel(sourcePod, extra = {}) {
  return { name: '', source: `${sourcePod}:3306`, source_pod: sourcePod, link_up: true,
    io_running: true, sql_running: true, lag_seconds: 0, ...extra };
}
const rowOf = (layout, pod) => layout.nodes.find((n) => n.pod === pod).row;

test('a chain through an intermediate primary is three rows', () => {
  const layout = L.layoutUnit({ members: [
    member('db-2', 'replica', [channel('db-1', { lag_seconds: 12 })]),
    member('db-0', 'primary'),
    member('db-1', 'replica', [channel('db-0')]),
  ] });
  assert.equal(rowOf(layout, 'db-0'), 0);
  assert.equal(rowOf(layout, 'db-1'), 1);
  assert.equal(rowOf(layout, 'db-2'), 2);
  assert.equal(layout.rows, 3);
  const lagging = layout.edges.find((e) => e.to === 'db-2');
  assert.deepEqual([lagging.from, lagging.state, lagging.lag_seconds], ['db-1', 'up', 12]);
});

test('co-primaries share row 0 with an edge each way; their replicas go below', () => {
  const layout = L.layoutUnit({ members: [
    member('a', 'primary', [channel('b')], { co_primary: true }),
    member('b', 'primary', [channel('a')], { co_primary: true }),
    member('r', 'replica', [channel('a')]),
  ] });
  assert.equal(rowOf(layout, 'a'), 0);
  assert.equal(rowOf(layout, 'b'), 0);
  assert.equal(rowOf(layout, 'r'), 1);
  assert.deepEqual(layout.edges.filter((e) => e.to !== 'r').map((e) => `${e.from}>${e.to}`).sort(),
    ['a>b', 'b>a']);
  const xs = layout.nodes.filter((n) => n.row === 0).map((n) => n.x);
  assert.notEqual(xs[0], xs[1], 'co-primaries side by side, not on top of each other');
});

test('a detached replica and a replica of an outside source start trees of their own', () => {
  const layout = L.layoutUnit({ members: [
    member('p', 'primary'),
    member('detached', 'replica'),
    member('outside', 'replica', [channel('', { source: '10.0.0.9:3306', link_up: false,
      io_running: false })]),
  ] });
  assert.equal(rowOf(layout, 'p'), 0);
  assert.equal(rowOf(layout, 'detached'), 0);
  assert.equal(rowOf(layout, 'outside'), 0);
  const e = layout.edges.find((x) => x.to === 'outside');
  assert.equal(e.from, null);
  assert.equal(e.state, 'broken');
  assert.equal(e.source, '10.0.0.9:3306');
  // Primaries first on their row.
  assert.equal(layout.nodes.find((n) => n.row === 0 && n.column === 0).pod, 'p');
});

test('link states: up, broken (a thread stopped), unknown', () => {
  assert.equal(L.linkState({ link_up: true }), 'up');
  assert.equal(L.linkState({ link_up: false, io_running: true, sql_running: false }), 'broken');
  assert.equal(L.linkState({ link_up: false, io_running: null, sql_running: null }), 'broken');
  assert.equal(L.linkState({ io_running: null, sql_running: null }), 'unknown');
});

test('a replication cycle without co-primaries still places everyone once', () => {
  const layout = L.layoutUnit({ members: [
    member('x', 'replica', [channel('y')]), member('y', 'replica', [channel('x')]),
  ] });
  assert.deepEqual(layout.nodes.map((n) => n.pod).sort(), ['x', 'y']);
});

test('Redis Cluster shards are columns ordered by their first slot, with ranges', () => {
  const shard = (component, slots) => ({ component, members: [
    member(`${component}-0`, 'primary', [], { redis_cluster: { slots } }),
    member(`${component}-1`, 'replica', [channel(`${component}-0`)]),
  ] });
  const shards = L.layoutRedisCluster([
    shard('shard-c', [[10923, 16383]]), shard('shard-a', [[0, 5460]]),
    shard('shard-b', [[5461, 10921], [10922, 10922]]),
  ]);
  assert.deepEqual(shards.map((s) => s.component), ['shard-a', 'shard-b', 'shard-c']);
  assert.equal(shards[1].ranges, '5461-10921,10922');
  assert.equal(rowOf(shards[0].layout, 'shard-a-1'), 1);
});

test('units with critical findings come first; filters match the URL fields', () => {
  const healthy = { namespace: 'a', db_cluster: 'ok', component: 'mysql', findings: [], members: [] };
  const warned = { namespace: 'b', db_cluster: 'lag', component: 'mysql', members: [],
    findings: [{ kind: 'replication_lagging', severity: 'warning', message: 'lag 90 s' }] };
  const broken = { namespace: 'z', db_cluster: 'orders', component: 'mysql',
    members: [member('orders-mysql-1', 'primary')],
    findings: [{ kind: 'dual_primary', severity: 'critical', message: 'two primaries' }] };
  assert.deepEqual(L.orderUnits([healthy, warned, broken]).map((c) => c.db_cluster),
    ['orders', 'lag', 'ok']);
  assert.ok(L.matches(broken, { db_cluster: 'orders' }));
  assert.ok(!L.matches(healthy, { db_cluster: 'orders' }));
  assert.ok(L.matches(broken, { kind: 'dual_primary' }));
  assert.ok(!L.matches(warned, { kind: 'dual_primary' }));
  assert.ok(L.matches(broken, { q: 'MYSQL-1' }));
  assert.ok(L.matches(warned, { q: '90 s' }));
  assert.ok(L.matches(healthy, { namespace: '', q: '' }));
});

test('stale after three poll intervals without a round', () => {
  const doc = { timestamp_seconds: 1000, poll_interval_seconds: 5 };
  assert.equal(L.freshness(doc, 1014), 'fresh');
  assert.equal(L.freshness(doc, 1016), 'stale');
});

test('sentinel views: a sentinel naming another server than the primary is marked, and disagreement found', () => {
  const view = (pod, address, masterPod, extra = {}) => ({ sentinel_pod: pod, master_name: 'mymaster',
    master_address: address, master_pod: masterPod, config_epoch: 0, quorum_ok: true, flags: ['master'], ...extra });
  const unit = { engine: 'redis', primary_pod: 'redis-0', sentinels: [
    view('sentinel-1', '10.0.0.1:6379', 'redis-0'),
    view('sentinel-0', '10.0.0.1:6379', 'redis-0', { quorum_ok: false, flags: ['master', 'o_down'] }),
    view('sentinel-2', '10.0.0.2:6379', 'redis-1'),
  ] };
  const { rows, disagree } = L.sentinelRows(unit);
  assert.deepEqual(rows.map((r) => [r.sentinel, r.agrees]),
    [['sentinel-0', true], ['sentinel-1', true], ['sentinel-2', false]]);
  assert.equal(rows[0].quorum, 'lost');
  assert.deepEqual(rows[0].flags, ['o_down']);
  assert.equal(rows[2].names, '10.0.0.2:6379 (redis-1)');
  assert.equal(disagree, true);
  // All name the primary: no disagreement; a sentinel unit's own rows are not judged.
  assert.equal(L.sentinelRows({ ...unit, sentinels: unit.sentinels.slice(0, 2) }).disagree, false);
  assert.deepEqual(L.sentinelRows({ engine: 'redis-sentinel', sentinels: unit.sentinels }).rows.map((r) => r.agrees),
    [null, null, null]);
  assert.deepEqual(L.sentinelRows({ engine: 'redis', members: [] }).rows, []);
});
