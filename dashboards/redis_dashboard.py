"""The Redis and Redis Cluster dashboard (dbtopo-redis.json)."""

from panels import *  # noqa: F401,F403 (the panel vocabulary)


def redis():
    L = Layout()
    L.row("Health")
    L.add(dual_primary_stat(), 4, 4)
    L.add(stat(
        "Nodes in cluster_state:fail",
        "Redis Cluster nodes that report cluster_state:fail. Alert: DbtopoRedisClusterStateFail.",
        f"count(max by ({POD}) (dbtopo_redis_cluster_state{{{F_POD}}}) == 0) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)
    L.add(stat(
        "Uncovered slots",
        "Per Redis Cluster, slots that even its best-informed node sees unassigned or owned by a "
        "failed node; the worst cluster is shown. Alert: DbtopoRedisClusterSlotsUncovered.",
        f"max(min by (namespace, db_cluster) ("
        f"(16384 - dbtopo_redis_cluster_slots{{{F_UNIT}, state=\"assigned\"}}) "
        f"+ ignoring (state) dbtopo_redis_cluster_slots{{{F_UNIT}, state=\"fail\"}})) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)
    L.add(stat(
        "Nodes with unmet peers",
        "Nodes that have not met every cluster member. Alert: DbtopoRedisClusterUnmetNodes.",
        f"count(max by ({POD}) (dbtopo_redis_cluster_unmet_nodes{{{F_POD}}}) > 0) or vector(0)",
        steps("green", None, "orange", 1)), 4, 4)
    L.add(stat(
        "Failed nodes",
        "Most nodes any node flags as fail. Alert: DbtopoRedisClusterFailedNodes.",
        f'max(dbtopo_redis_cluster_nodes{{{F_POD}, flag="fail"}}) or vector(0)',
        steps("green", None, "orange", 1)), 4, 4)
    L.add(stat(
        "Clusters with split views",
        "Redis Clusters whose reachable nodes disagree on membership or slot owners. Alert: "
        "DbtopoRedisClusterViewsSplit.",
        f"count(min by (namespace, db_cluster) (dbtopo_redis_cluster_views_consistent{{{F_CLUSTER}}}) == 0)"
        f" or vector(0)",
        steps("green", None, "orange", 1)), 4, 4)

    L.row("Redis replication")
    # Lag in bytes only: the exporter has no lag in seconds for Redis.
    L.add(pods_table(lag_column=LAG_BYTES_COLUMN), 24, 10)
    L.add(link_timeline(), 8, 8)
    L.add(timeseries(
        "Replication lag (bytes)",
        "dbtopo_replication_lag_bytes: master_repl_offset minus the replica's offset, while the "
        "master link is up (absent otherwise). Redis has no lag in seconds; see also the time "
        "since the last master I/O.",
        [target(f"max by ({CHAN}) (dbtopo_replication_lag_bytes{{{F_POD}}})", CHAN_LEGEND)],
        unit="bytes"), 8, 8)
    L.add(timeseries(
        "Seconds since last master I/O",
        "dbtopo_replication_last_io_seconds_ago (master_last_io_seconds_ago): grows when the "
        "master link is silent.",
        [target(f"max by ({CHAN}) (dbtopo_replication_last_io_seconds_ago{{{F_POD}}})", CHAN_LEGEND)],
        unit="s"), 8, 8)

    L.row("Redis Cluster")
    L.add(table(
        "Cluster nodes",
        "One row per Redis Cluster node, as that node sees the cluster (CLUSTER INFO / CLUSTER "
        "NODES): its state, slots by state, nodes it knows, members it has not met, and nodes it "
        "flags fail / pfail / handshake / noaddr.",
        [
            ("State", f"max by ({POD}) (dbtopo_redis_cluster_state{{{F_POD}}})", "none", STATE_OK),
            ("Slots assigned", f'max by ({POD}) (dbtopo_redis_cluster_slots{{{F_POD}, state="assigned"}})',
             "none", None),
            ("Slots ok", f'max by ({POD}) (dbtopo_redis_cluster_slots{{{F_POD}, state="ok"}})', "none", None),
            ("Slots pfail", f'max by ({POD}) (dbtopo_redis_cluster_slots{{{F_POD}, state="pfail"}})',
             "none", None),
            ("Slots fail", f'max by ({POD}) (dbtopo_redis_cluster_slots{{{F_POD}, state="fail"}})',
             "none", None),
            ("Known nodes", f"max by ({POD}) (dbtopo_redis_cluster_known_nodes{{{F_POD}}})", "none", None),
            ("Unmet", f"max by ({POD}) (dbtopo_redis_cluster_unmet_nodes{{{F_POD}}})", "none", None),
            ("Fail", f'max by ({POD}) (dbtopo_redis_cluster_nodes{{{F_POD}, flag="fail"}})', "none", None),
            ("PFail", f'max by ({POD}) (dbtopo_redis_cluster_nodes{{{F_POD}, flag="pfail"}})', "none", None),
            ("Handshake", f'max by ({POD}) (dbtopo_redis_cluster_nodes{{{F_POD}, flag="handshake"}})',
             "none", None),
            ("Noaddr", f'max by ({POD}) (dbtopo_redis_cluster_nodes{{{F_POD}, flag="noaddr"}})', "none", None),
        ],
        ["namespace", "db_cluster", "component", "pod"], sort_by=["db_cluster", "component"]), 24, 10)
    L.add(series_timeline(
        "cluster_state per node",
        "dbtopo_redis_cluster_state: 1 when the node reports cluster_state:ok.",
        "dbtopo_redis_cluster_state", STATE_OK), 12, 8)
    L.add(state_timeline(
        "Views consistent",
        "dbtopo_redis_cluster_views_consistent per Redis Cluster: all reachable nodes agree on "
        "membership and slot owners.",
        f"min by (namespace, db_cluster) (dbtopo_redis_cluster_views_consistent{{{F_CLUSTER}}})",
        "{{namespace}}/{{db_cluster}}", CONSISTENT), 12, 8)
    L.add(timeseries(
        "Slots by state",
        "dbtopo_redis_cluster_slots per node and state; a healthy cluster has 16384 assigned and "
        "ok on every node.",
        [target(f"max by ({POD}, state) (dbtopo_redis_cluster_slots{{{F_POD}}})",
                POD_LEGEND + " {{state}}")]), 12, 8)
    L.add(timeseries(
        "Known and unmet nodes",
        "dbtopo_redis_cluster_known_nodes and dbtopo_redis_cluster_unmet_nodes per node.",
        [target(f"max by ({POD}) (dbtopo_redis_cluster_known_nodes{{{F_POD}}})", POD_LEGEND + " known"),
         target(f"max by ({POD}) (dbtopo_redis_cluster_unmet_nodes{{{F_POD}}})", POD_LEGEND + " unmet",
                ref="B")]), 12, 8)
    L.add(timeseries(
        "Nodes by flag",
        "dbtopo_redis_cluster_nodes: nodes each node sees with flag fail, pfail, handshake, "
        "noaddr or a disconnected link.",
        [target(f"max by ({POD}, flag) (dbtopo_redis_cluster_nodes{{{F_POD}}}) > 0",
                POD_LEGEND + " {{flag}}")], stack=False), 12, 8)
    L.add(timeseries(
        "Masters per unit",
        "dbtopo_cluster_primaries per unit (a Redis Cluster shard has one master) and "
        "dbtopo_cluster_dual_primary (two masters claim one slot).",
        [target(f"max by ({UNIT}) (dbtopo_cluster_primaries{{{F_UNIT}}})", UNIT_LEGEND + " masters"),
         target(f"max by ({UNIT}) (dbtopo_cluster_dual_primary{{{F_UNIT}}})", UNIT_LEGEND + " dual",
                ref="B")]), 12, 8)
    sentinel_rows(L)
    return dashboard(
        "dbtopo-redis", "dbtopo / Redis",
        "Redis replication (roles, master links, lag), Redis Cluster state (cluster_state, "
        "slots by state, known and unmet nodes, node flags, whether the nodes agree) and what "
        "each Redis Sentinel believes.",
        ["dbtopo", "redis", "redis-cluster", "redis-sentinel", "replication"], L)


QUORUM = value_map((1, "ok", "green"), (0, "LOST", "red"))
ODOWN = value_map((0, "no", "green"), (1, "ODOWN", "red"))
TILT = value_map((0, "no", "green"), (1, "TILT", "orange"))
SENTINEL_KEYS = ["namespace", "db_cluster", "component", "pod", "master_name"]


def sentinel_rows(L):
    """What each sentinel names as master and whether it could fail over."""
    L.row("Redis Sentinel")
    L.add(labels_table(
        "Master named by each sentinel",
        "dbtopo_sentinel_master_info: the master_address each sentinel gives clients for each "
        "master name. Compare with the Role (database) column of the replication row. Alerts: "
        "DbtopoSentinelMasterMismatch, DbtopoSentinelsDisagree.",
        f"max by ({POD}, master_name, master_address) (dbtopo_sentinel_master_info{{{F_POD}}})",
        SENTINEL_KEYS + ["master_address"], "Named"), 12, 8)
    L.add(table(
        "Sentinel health",
        "Per sentinel and master name: SENTINEL CKQUORUM, the sentinels and replicas it knows, "
        "its config epoch, and whether it reports the master objectively down. Alerts: "
        "DbtopoSentinelQuorumLost, DbtopoSentinelMasterDown.",
        [
            ("Quorum", f"max by ({POD}, master_name) (dbtopo_sentinel_quorum_ok{{{F_POD}}})",
             "none", QUORUM),
            ("Sentinels", f"max by ({POD}, master_name) (dbtopo_sentinel_known_sentinels{{{F_POD}}})",
             "none", None),
            ("Replicas", f"max by ({POD}, master_name) (dbtopo_sentinel_known_replicas{{{F_POD}}})",
             "none", None),
            ("Epoch", f"max by ({POD}, master_name) (dbtopo_sentinel_config_epoch{{{F_POD}}})",
             "none", None),
            ("Objectively down",
             f'max by ({POD}, master_name) (dbtopo_sentinel_master_status{{{F_POD}, flag="odown"}})',
             "none", ODOWN),
        ],
        SENTINEL_KEYS, sort_by=["db_cluster", "pod"]), 12, 8)
    L.add(series_timeline(
        "TILT per sentinel",
        "dbtopo_sentinel_tilt: a sentinel in TILT mode acts on nothing. Alert: DbtopoSentinelTilt.",
        "dbtopo_sentinel_tilt", TILT), 24, 6)
