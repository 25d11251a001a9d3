"""The MySQL/MariaDB dashboard (dbtopo-mysql.json)."""

from panels import *  # noqa: F401,F403 (the panel vocabulary)


def mysql():
    L = Layout()
    L.row("Health")
    L.add(dual_primary_stat(), 4, 4)
    L.add(no_primary_stat(), 4, 4)
    L.add(stat(
        "Broken replication threads",
        "Replica channels whose IO or SQL thread is not running. Alert: DbtopoReplicationBroken.",
        f"count(min by ({CHAN}) (dbtopo_replication_io_running{{{F_POD}}} == 0 "
        f"or dbtopo_replication_sql_running{{{F_POD}}} == 0)) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)
    L.add(stat(
        "Max replication lag",
        "Largest known dbtopo_replication_lag_seconds (unknown lag is not counted).",
        f"max(dbtopo_replication_lag_seconds{{{F_POD}}})",
        steps("green", None, "orange", ALERT_LAG_SECONDS), unit="s"), 4, 4)
    L.add(stat(
        "server_id conflicts",
        "Members sharing a server_id or server_uuid with another member, summed over units. "
        "Alert: DbtopoServerIdConflict.",
        f"sum(max by ({UNIT}) (dbtopo_cluster_server_id_conflicts{{{F_UNIT}}})) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)
    L.add(stat(
        "Wrong sources",
        "Replica channels whose sources do not lead to the unit's primary (chains that reach it "
        "are fine). Alert: DbtopoWrongSource.",
        f"count(min by ({CHAN}) (dbtopo_replication_source_valid{{{F_POD}}}) == 0) or vector(0)",
        steps("green", None, "red", 1)), 4, 4)

    L.row("Chains, delays and GTIDs")
    L.add(stat(
        "Errant GTIDs",
        "Replicas that executed transactions the unit's primary lacks "
        "(dbtopo_replication_errant_gtid). Alert: DbtopoErrantGtid.",
        f"count(max by ({POD}) (dbtopo_replication_errant_gtid{{{F_POD}}}) == 1) or vector(0)",
        steps("green", None, "orange", 1)), 6, 4)
    L.add(stat(
        "Detached replicas",
        "Read-only members with no replication configured beside a primary (RESET SLAVE ALL in "
        "a half-done switchover). Alert: DbtopoDetachedReplica.",
        f'count(max by ({POD}) (dbtopo_finding{{kind="detached_replica", {F_POD}}}) > 0) '
        "or vector(0)",
        steps("green", None, "orange", 1)), 6, 4)
    L.add(stat(
        "Primaries the exporter cannot reach",
        "Members the exporter cannot probe while replicas still stream from them. Alert: "
        "DbtopoPrimaryUnreachable.",
        f'count(max by ({POD}) (dbtopo_finding{{kind="primary_unreachable", {F_POD}}}) > 0) '
        "or vector(0)",
        steps("green", None, "orange", 1)), 6, 4)
    L.add(stat(
        "Units with no pod labelled primary",
        "One database primary but no pod carries the primary role label: Services that select "
        "it have no endpoint. Alert: DbtopoLabelledNoPrimary.",
        f'count(max by ({UNIT}) (dbtopo_finding{{kind="labelled_no_primary", {F_UNIT}}}) > 0) '
        "or vector(0)",
        steps("green", None, "red", 1)), 6, 4)
    L.add(timeseries(
        "Lag beyond the configured delay",
        "dbtopo_replication_lag_seconds minus dbtopo_replication_configured_delay_seconds "
        "(SQL_Delay) per channel: what replication_lagging judges. A delayed replica keeping "
        "its delay stays near 0.",
        [target(f"max by ({CHAN}) (dbtopo_replication_lag_seconds{{{F_POD}}} - "
                f"dbtopo_replication_configured_delay_seconds{{{F_POD}}})", CHAN_LEGEND)],
        unit="s", thresholds=steps("green", None, "red", ALERT_LAG_SECONDS)), 12, 8)
    L.add(timeseries(
        "Configured delay",
        "dbtopo_replication_configured_delay_seconds (SQL_Delay, MASTER_DELAY) per channel; 0 "
        "for none.",
        [target(f"max by ({CHAN}) (dbtopo_replication_configured_delay_seconds{{{F_POD}}})",
                CHAN_LEGEND)], unit="s"), 12, 8)

    L.row("Topology")
    L.add(pods_table(), 24, 10)
    L.add(timeseries(
        "Primaries per unit",
        "dbtopo_cluster_primaries (database view) and dbtopo_cluster_labelled_primaries (role "
        "labels) per unit over time: a switchover shows as a short dip or bump.",
        [target(f"max by ({UNIT}) (dbtopo_cluster_primaries{{{F_UNIT}}})", UNIT_LEGEND + " database"),
         target(f"max by ({UNIT}) (dbtopo_cluster_labelled_primaries{{{F_UNIT}}})",
                UNIT_LEGEND + " label", ref="B")]), 12, 8)
    L.add(state_timeline(
        "Dual primary",
        "dbtopo_cluster_dual_primary per unit.",
        f"max by ({UNIT}) (dbtopo_cluster_dual_primary{{{F_UNIT}}})", UNIT_LEGEND, DUAL), 12, 8)

    L.row("Replication")
    L.add(labels_table(
        "Replication links and sources",
        "dbtopo_replication_link_up per replica channel with the source it replicates from.",
        f"min by ({CHAN}, source) (dbtopo_replication_link_up{{{F_POD}}})",
        ["namespace", "db_cluster", "component", "pod", "channel", "source"], "Link", UP_DOWN), 24, 8)
    for thread in ("IO", "SQL"):
        metric = f"dbtopo_replication_{thread.lower()}_running"
        L.add(series_timeline(f"{thread} thread", f"{metric} (Replica_{thread}_Running = Yes).",
                              metric, RUNNING, per="channel"), 12, 8)
    L.add(lag_panel(), 12, 8)
    L.add(series_timeline(
        "Source valid",
        "dbtopo_replication_source_valid: 1 when following sources reaches the unit's primary "
        "(chains allowed), 0 when not.",
        "dbtopo_replication_source_valid", VALID, per="channel"), 12, 8)
    L.add(labels_table(
        "Last replication errors",
        "dbtopo_replication_last_error_number (Last_IO_Errno / Last_SQL_Errno) that are not 0. "
        "Common: 1062 duplicate key, 1236 binlog purged, 2003/2005 cannot connect to source. "
        "The error text is in SHOW REPLICA STATUS and GET /api/v1/topology.",
        f"max by ({CHAN}, thread) (dbtopo_replication_last_error_number{{{F_POD}}}) > 0",
        ["namespace", "db_cluster", "component", "pod", "channel", "thread"], "Errno"), 24, 7)

    L.row("Roles and writability")
    L.add(state_timeline(
        "Observed role",
        "Role the database reports, per pod.",
        role_expr("dbtopo_role", F_POD), POD_LEGEND, ROLE), 12, 8)
    for title, description, metric, mapping in (
            ("Role label mismatch",
             "dbtopo_role_label_mismatch per pod. Alert: DbtopoRoleLabelMismatch (5m).",
             "dbtopo_role_label_mismatch", MISMATCH),
            ("Writable",
             "dbtopo_writable: read_only=0 (and not super_read_only). Only primaries should be "
             "writable.",
             "dbtopo_writable", WRITABLE),
            ("Probe", "dbtopo_up per pod.", "dbtopo_up", UP_DOWN)):
        L.add(series_timeline(title, description, metric, mapping), 12, 8)
    return dashboard(
        "dbtopo-mysql", "dbtopo / MySQL replication",
        "MySQL/MariaDB replication: primaries, replica threads, sources, lag, errors, "
        "server_id conflicts and role labels.",
        ["dbtopo", "mysql", "mariadb", "replication"], L)
