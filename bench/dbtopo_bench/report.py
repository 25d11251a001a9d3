"""The figures table of a benchmark part and what looks wrong in it (Report,
mixed into Bench: it reads Bench's seconds and wire_ok)."""

from .stats import *  # noqa: F401,F403


class Report:
    def rows(self, cols, engine):
        """[(label, dbtopo, other, ratio other/dbtopo)]"""
        def ms(x):
            return "-" if x is None else (f"{x * 1e3:.2f}" if x < 10 else f"{x * 1e3:.0f}")

        def dist(values):
            s = summary(values)
            return "-" if not s else f"{ms(s['avg'])} / {ms(s['p50'])} / {ms(s['p95'])} / {ms(s['max'])}"

        def num(x, nd=2):
            return "-" if x is None else f"{x:.{nd}f}"

        rows = []
        names = []
        vals = []
        for res in cols:
            if "error" in res:
                names.append(res.get("kind", "?"))
                vals.append(None)
                continue
            w = res["window"]
            tp = res["target_polls"] or float("nan")
            v = {}
            v["polls"] = f"{res['polls']:.0f} rounds x {res['targets']}" if res["kind"] == "dbtopo" \
                else f"{res['polls']} ticks x {res['targets']} ({res['target_polls']} scrapes, {res['scrape_errors']} failed)"
            v["round"] = dist(res["round_secs"])
            v["probe"] = dist(res["probe_secs"])
            v["scrape"] = dist(res["scrape_secs"])
            v["cpu_ms"] = w.cpu_ticks / CLK_TCK * 1e3 / tp
            v["cpu_sched_ms"] = w.cpu_sched_ns / 1e6 / tp
            v["cpu_pct"] = 100 * w.cpu_ticks / CLK_TCK / w.elapsed
            rss = sum(m["VmRSS"] for m in w.mem.values()) / 1024
            hwm = sum(m["VmHWM"] for m in w.mem.values()) / 1024
            v["rss"] = f"{rss:.1f} / {hwm:.1f}" + (f" ({len(w.mem)} procs)" if len(w.mem) > 1 else "")
            first = sum(pts[0][1] for pts in w.rss.values())
            last = sum(pts[-1][1] for pts in w.rss.values())
            late = late_slope(w.rss)
            v["rss_growth"] = f"{last - first:+.0f} KiB" + ("" if late is None else f" (2nd half {late:+.0f} KiB/min)")
            srv = res["server"]
            v["stmts"] = srv["stmts"] / tp
            v["conns"] = srv["conns"] / tp
            v["com"] = ", ".join(f"{k} {c / tp:.2f}" for k, c in srv["com"].most_common(8) if c / tp >= 0.005)
            if engine == "mysql":
                v["busy_ms"] = srv["busy"] * 1e3 / tp
            else:
                v["busy_ms"] = srv["usec"] / 1e3 / tp
            if w.wire:
                ports = w.wire["ports"].values()
                v["rtt"] = sum(p["flights"] for p in ports) / tp
                v["syn"] = sum(p["syn"] for p in ports) / tp
                v["bytes"] = f"{sum(p['bytes_c2s'] for p in ports) / tp:.0f} / {sum(p['bytes_s2c'] for p in ports) / tp:.0f}"
                wc = collections.Counter()
                for p in ports:
                    wc.update(p["commands"])
                v["wire_cmds"] = sum(c for k, c in wc.items() if not k.startswith("login")) / tp
                v["wire_by"] = ", ".join(f"{k} {c / tp:.2f}" for k, c in wc.most_common(8) if c / tp >= 0.005)
                v["wire_q"] = f"{w.wire['drops']} dropped / {w.wire['packets']} packets, " \
                              f"{sum(p['gaps'] for p in ports)} gaps"
            names.append(res["kind"])
            vals.append(v)

        def ratio(key):
            a, b = (vals + [None, None])[:2]
            if not a or not b or not isinstance(a.get(key), float) or not isinstance(b.get(key), float):
                return ""
            if a[key] == 0:
                return "inf" if b[key] else ""
            return f"{b[key] / a[key]:.1f}x"

        def add(label, key, fmt=None, with_ratio=False):
            cells = []
            for v in vals:
                if v is None:
                    cells.append("(not measured)")
                elif key not in v:
                    cells.append("n/a")
                else:
                    cells.append(fmt(v[key]) if fmt else v[key])
            rows.append((label, *cells, ratio(key) if with_ratio else ""))

        op = "statements (Questions)" if engine == "mysql" else "commands"
        rows.append(("", *names, "other/dbtopo"))
        add("polls in window", "polls")
        add("poll round ms avg/p50/p95/max", "round")
        add("per-target probe ms avg/p50/p95/max", "probe")
        add("HTTP scrape ms avg/p50/p95/max", "scrape")
        add("CPU ms per target-poll (utime+stime)", "cpu_ms", lambda x: num(x, 3), True)
        add("CPU ms per target-poll (schedstat)", "cpu_sched_ms", lambda x: num(x, 3), True)
        add("CPU % of one core", "cpu_pct", lambda x: num(x, 2), True)
        add("RSS MiB VmRSS / VmHWM", "rss")
        add("RSS change over window", "rss_growth")
        add(f"server: {op} per target-poll", "stmts", num, True)
        add("server: new connections per target-poll", "conns", num, True)
        add("server: " + ("busy ms per target-poll (userstat)" if engine == "mysql"
                          else "command usec per target-poll") , "busy_ms",
            (lambda x: num(x, 3)) if engine == "mysql" else (lambda x: num(x * 1e3, 1)), True)
        if self.wire_ok:
            add("wire: round trips per target-poll", "rtt", num, True)
            add("wire: TCP connects per target-poll", "syn", num, True)
            add("wire: requests per target-poll", "wire_cmds", num, True)
            add("wire: bytes sent / received per target-poll", "bytes")
            add("wire: capture quality", "wire_q")
        a, b = (vals + [None, None])[:2]
        if a and b and b["cpu_ms"] and b["cpu_sched_ms"]:
            r1, r2 = a["cpu_ms"] / b["cpu_ms"], a["cpu_sched_ms"] / b["cpu_sched_ms"]
            rows.append(("dbtopo CPU per target / other's", f"{r1:.3f} utime+stime, {r2:.3f} schedstat "
                         f"(goal <= 0.200: {'met' if max(r1, r2) <= 0.2 else 'NOT met'})", "", ""))
        details = []
        for name, v in zip(names, vals):
            if not v:
                continue
            details.append(f"{name} server-side {'Com_*' if engine == 'mysql' else 'commandstats'} "
                           f"per target-poll: {v['com'] or '(none)'}")
            if "wire_by" in v:
                details.append(f"{name} requests on the wire per target-poll: {v['wire_by'] or '(none)'}")
        return rows, details

    def suspicions(self, cols, engine):
        out = []
        for res in cols:
            if "error" in res:
                out.append(f"{res.get('kind', 'dbtopo')}: NOT MEASURED: {res['error']}")
                continue
            tp = res["target_polls"] or 1
            kind = res["kind"]
            w = res["window"]
            if kind == "dbtopo":
                if res["failures"]:
                    out.append(f"dbtopo: {res['failures']:.0f} probe failures during the window")
                if res["down_seen"]:
                    out.append(f"dbtopo: targets seen down during the window: {res['down_seen']}")
                if res["findings"]:
                    out.append(f"dbtopo: active findings on a healthy topology: {res['findings']}")
                if res["server"]["conns"] / tp > 0.01:
                    out.append(f"dbtopo: {res['server']['conns']:.0f} new server connections in the window "
                               f"({res['server']['conns'] / tp:.3f}/target-poll): reconnecting?")
                if w.wire:
                    rt = sum(p["flights"] for p in w.wire["ports"].values()) / tp
                    if rt > 1.05:
                        out.append(f"dbtopo: {rt:.2f} round trips per target-poll (> 1)")
                expected = self.seconds / 1.0
                if res["polls"] < 0.9 * expected:
                    out.append(f"dbtopo: only {res['polls']:.0f} rounds in {self.seconds}s at poll_interval 1s")
                if "exit" in res and res["exit"][0] != 0:
                    out.append(f"dbtopo: exit code {res['exit'][0]} after SIGTERM ({res['exit'][1]:.1f}s)")
                elif "exit" in res and res["exit"][1] > 3:
                    out.append(f"dbtopo: took {res['exit'][1]:.1f}s to stop after SIGTERM")
            elif res["scrape_errors"]:
                out.append(f"{kind}: {res['scrape_errors']} failed scrapes, e.g. {res['bad_example']}")
            slope = late_slope(w.rss)
            if kind == "dbtopo" and slope is not None and slope > 50:
                out.append(f"{kind}: RSS still growing in the 2nd half of the window: {slope:.0f} KiB/min "
                           "(allocator warm-up settles within minutes; a leak does not: rerun with a "
                           "longer BENCH_SECONDS to tell)")
            if w.wire and (w.wire["drops"] or any(p["gaps"] for p in w.wire["ports"].values())):
                out.append(f"{kind}: packet capture lost data; wire figures approximate")
        return out
