// The topology page: reads /api/v1/topology every poll interval and draws
// findings first, then every unit (layout.js places the members). Plain DOM
// and SVG; everything it loads comes from the exporter.
(function () {
  'use strict';
  const L = window.DbtopoLayout;
  const SVG = 'http://www.w3.org/2000/svg';
  const FILTER_KEYS = ['namespace', 'db_cluster', 'kind', 'q'];
  const state = { doc: null, lastOk: null, failingSince: null, error: '', userToggled: new Map() };

  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v; else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c) e.append(c);
    return e;
  }
  function svg(tag, attrs = {}, text) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const unitKey = (c) => `${c.namespace}/${c.db_cluster}/${c.component}`;
  const unitName = (c) => (c.namespace ? `${c.namespace}/` : '') + `${c.db_cluster}/${c.component}`;
  const seconds = (v) => (v === null || v === undefined ? '?' : `${Math.round(v * 10) / 10} s`);

  function filterFromUrl() {
    const params = new URLSearchParams(location.search);
    const f = {};
    for (const k of FILTER_KEYS) f[k] = params.get(k) || '';
    return f;
  }
  function setFilter(f) {
    const params = new URLSearchParams();
    for (const k of FILTER_KEYS) if (f[k]) params.set(k, f[k]);
    const query = params.toString();
    history.replaceState(null, '', query ? `?${query}` : location.pathname);
    render();
  }

  // What a node says under its pod name: the role the database reports, or
  // for a sentinel (which holds no data and has no role) what it watches.
  function roleText(m) {
    if (!m.up) return `down: ${m.error || ''}`.slice(0, 28);
    if (!m.sentinel) return m.observed_role;
    const n = (m.sentinel.masters || []).length;
    return `sentinel · ${n} master${n === 1 ? '' : 's'}${m.sentinel.tilt ? ' · TILT' : ''}`;
  }

  function drawNode(g, node) {
    const m = node.member;
    const role = !m.up ? 'down' : m.sentinel ? 'sentinel' : m.observed_role;
    const box = svg('g', { class: `node role-${role}${m.role_label_mismatch ? ' mismatch' : ''}`,
      'data-pod': m.pod, 'data-role': m.observed_role, transform: `translate(${node.x},${node.y})` });
    box.append(svg('rect', { x: -75, y: -30, width: 150, height: 60, rx: 6 }));
    box.append(svg('text', { class: 'pod', y: -10 }, m.pod));
    box.append(svg('text', { class: 'role', y: 6 }, roleText(m)));
    if (m.labelled_role !== null && m.labelled_role !== undefined) {
      box.append(svg('text', { class: `label-badge${m.role_label_mismatch ? ' mismatch' : ''}`, y: 22 },
        `${m.role_label_mismatch ? '≠ ' : ''}label: ${m.role_label || m.labelled_role}`));
    }
    if (m.redis_cluster && m.redis_cluster.flags) {
      box.append(svg('text', { class: 'flags', y: 44 }, m.redis_cluster.flags.join(',')));
    }
    box.append(svg('title', {}, `${m.pod} ${m.address}\nreports ${m.observed_role}` +
      (m.labelled_role ? `, label says ${m.labelled_role}` : '') + (m.version ? `\n${m.version}` : '')));
    g.append(box);
  }

  function drawEdges(g, layout, severalChannels) {
    const at = new Map(layout.nodes.map((n) => [n.pod, n]));
    for (const e of layout.edges) {
      const to = at.get(e.to);
      const from = e.from === null ? null : at.get(e.from);
      const group = svg('g', { class: `edge link-${e.state}`, 'data-from': e.from || e.source,
        'data-to': e.to, 'data-channel': e.channel });
      let x1, y1;
      if (from) { x1 = from.x; y1 = from.y + 30; } else { x1 = to.x - 60; y1 = to.y - 48; }
      const x2 = to.x, y2 = to.y - 30;
      if (from && from.row === to.row) {
        // Co-primaries: an arc between them.
        const mid = (from.x + to.x) / 2;
        group.append(svg('path', { d: `M${from.x} ${from.y - 30} Q${mid} ${from.y - 58} ${to.x} ${to.y - 30}` }));
      } else {
        group.append(svg('line', { x1, y1, x2, y2 }));
      }
      const label = [];
      if (!from) label.push(`from ${e.source || '?'}`);
      if (e.state === 'broken') label.push('broken');
      if (e.lag_seconds !== null && e.lag_seconds !== undefined) label.push(`lag ${seconds(e.lag_seconds)}`);
      if (severalChannels && e.channel) label.push(e.channel);
      if (label.length) {
        group.append(svg('text', { class: 'lag', x: (x1 + x2) / 2 + 6, y: (y1 + y2) / 2 }, label.join(' · ')));
      }
      g.append(group);
    }
  }

  function drawLayout(layout, severalChannels, extraTop = 0) {
    const s = svg('svg', { width: layout.width, height: layout.height + extraTop + 24,
      viewBox: `0 ${-extraTop - 12} ${layout.width} ${layout.height + extraTop + 24}` });
    const edges = svg('g', { class: 'edges' });
    const nodes = svg('g', { class: 'nodes' });
    drawEdges(edges, layout, severalChannels);
    for (const n of layout.nodes) drawNode(nodes, n);
    s.append(edges, nodes);
    return s;
  }

  function findingsList(findings) {
    return el('ul', { class: 'unit-findings' }, ...findings.map((f) => el('li',
      { class: `sev-${f.severity}`, text: `${f.severity} ${f.kind}${f.pod ? ` (${f.pod})` : ''}: ${f.message}` })));
  }

  function unitBlock(key, title, units, body) {
    const worst = Math.min(...units.map(L.worstSeverity));
    const findings = units.flatMap((u) => u.findings || []);
    const open = state.userToggled.has(key) ? state.userToggled.get(key) : worst === 0;
    const details = el('details', { class: `unit sev-${['critical', 'warning', 'info', 'ok'][worst]}`,
      'data-unit': key, open });
    details.addEventListener('toggle', () => state.userToggled.set(key, details.open));
    const primaries = units.flatMap((u) => (u.members || []).filter((m) => m.observed_role === 'primary'));
    details.append(el('summary', {},
      el('span', { class: 'unit-name', text: title }),
      el('span', { class: 'engine', text: units[0].engine }),
      el('span', { class: 'primaries', text: units[0].engine === 'redis-sentinel'
        ? `${(units[0].members || []).length} sentinels (no data, no primary)`
        : primaries.length ? `primary ${primaries.map((m) => m.pod).join(', ')}` : 'no primary' }),
      findings.length ? el('span', { class: 'count', text: `${findings.length} finding${findings.length > 1 ? 's' : ''}` }) : null));
    if (findings.length) details.append(findingsList(findings));
    details.append(body);
    return details;
  }

  // The sentinels' views of a unit as a table; a row is marked when the
  // sentinel names another server than the databases' primary.
  function sentinelTable(unit) {
    const { rows, disagree } = L.sentinelRows(unit);
    if (!rows.length) return null;
    const table = el('table', { class: `sentinels${disagree ? ' disagree' : ''}` },
      el('caption', { text: disagree ? 'Sentinels (they disagree)' : 'Sentinels' }),
      el('tr', {}, ...['sentinel', 'master', 'names', 'epoch', 'quorum', 'flags'].map((h) => el('th', { text: h }))));
    for (const r of rows) {
      table.append(el('tr', { class: `sentinel${r.agrees === false ? ' mismatch' : ''}`, 'data-sentinel': r.sentinel,
        'data-agrees': String(r.agrees) },
      el('td', { text: r.sentinel }), el('td', { text: r.master_name }),
      el('td', { text: r.agrees === false ? `${r.names} ≠ primary` : r.names }),
      el('td', { text: r.epoch ?? '?' }), el('td', { class: `quorum-${r.quorum}`, text: r.quorum }),
      el('td', { text: r.flags.join(',') })));
    }
    return table;
  }

  function renderUnits(container, clusters) {
    // A Redis Cluster is one block, its shards (components) side by side.
    const groups = new Map();
    for (const c of L.orderUnits(clusters)) {
      const key = c.engine === 'redis-cluster' ? `${c.namespace}/${c.db_cluster}` : unitKey(c);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(c);
    }
    for (const [key, units] of groups) {
      const c = units[0];
      if (c.engine === 'redis-cluster') {
        const row = el('div', { class: 'shards' });
        for (const shard of L.layoutRedisCluster(units)) {
          row.append(el('div', { class: 'shard', 'data-component': shard.component },
            el('div', { class: 'slots', text: `${shard.component}: slots ${shard.ranges || 'none'}` }),
            drawLayout(shard.layout, false)));
        }
        const title = (c.namespace ? `${c.namespace}/` : '') + c.db_cluster + ' (Redis Cluster)';
        container.append(unitBlock(key, title, units, row));
      } else {
        const layout = L.layoutUnit(c);
        const several = (c.members || []).some((m) => (m.channels || []).length > 1);
        const outside = layout.edges.some((e) => e.from === null);
        const body = el('div', {}, drawLayout(layout, several, outside ? 30 : 0));
        const sentinels = sentinelTable(c);
        if (sentinels) body.append(sentinels);
        container.append(unitBlock(key, unitName(c), units, body));
      }
    }
  }

  function renderFindings(container, clusters) {
    const rows = [];
    for (const c of clusters) for (const f of c.findings || []) rows.push({ c, f });
    const order = { critical: 0, warning: 1, info: 2 };
    rows.sort((a, b) => (order[a.f.severity] ?? 3) - (order[b.f.severity] ?? 3));
    if (!rows.length) { container.append(el('p', { class: 'no-findings', text: 'No findings.' })); return; }
    const table = el('table', { class: 'findings' }, el('tr', {}, ...['severity', 'unit', 'pod', 'kind', 'message']
      .map((h) => el('th', { text: h }))));
    for (const { c, f } of rows) {
      table.append(el('tr', { class: `finding sev-${f.severity}`, 'data-kind': f.kind, 'data-unit': unitKey(c),
        'data-pod': f.pod, 'data-severity': f.severity },
      el('td', { text: f.severity }), el('td', {}, el('a', { href: `?db_cluster=${encodeURIComponent(c.db_cluster)}`,
        text: unitName(c) })), el('td', { text: f.pod }), el('td', { text: f.kind }), el('td', { text: f.message })));
    }
    container.append(table);
  }

  function renderStatus() {
    const status = document.getElementById('status');
    status.textContent = '';
    status.className = '';
    const now = Date.now() / 1000;
    if (state.doc) {
      const t = new Date(state.doc.timestamp_seconds * 1000);
      status.append(el('span', { id: 'last-round', text: `round ${state.doc.round} at ${t.toLocaleTimeString()} ` +
        `(${Math.max(0, Math.round(now - state.doc.timestamp_seconds))} s ago)` }));
      if (L.freshness(state.doc, now) === 'stale') {
        status.className = 'stale';
        status.append(el('strong', { id: 'stale', text: ' STALE: no poll round for three intervals; the data below is old.' }));
      }
    }
    if (state.failingSince !== null) {
      status.className = 'unreachable';
      status.append(el('strong', { id: 'unreachable', text: ` exporter unreachable since ${new Date(state.failingSince).toLocaleTimeString()}: ${state.error}` }));
    }
  }

  function render() {
    renderStatus();
    const filter = filterFromUrl();
    for (const k of FILTER_KEYS) {
      const input = document.getElementById(`filter-${k}`);
      if (input && document.activeElement !== input) input.value = filter[k];
    }
    if (!state.doc) return;
    const clusters = state.doc.clusters.filter((c) => L.matches(c, filter));
    const kinds = [...new Set(state.doc.clusters.flatMap((c) => (c.findings || []).map((f) => f.kind)))].sort();
    const select = document.getElementById('filter-kind');
    select.replaceChildren(el('option', { value: '', text: 'any finding' }),
      ...kinds.map((k) => el('option', { value: k, text: k, selected: k === filter.kind })));
    const findings = document.getElementById('findings');
    const units = document.getElementById('units');
    findings.replaceChildren();
    units.replaceChildren();
    renderFindings(findings, clusters);
    renderUnits(units, clusters);
    document.getElementById('shown').textContent = `${clusters.length} of ${state.doc.clusters.length} units`;
  }

  async function refresh() {
    let interval = state.doc && state.doc.poll_interval_seconds ? state.doc.poll_interval_seconds : 5;
    try {
      const response = await fetch('api/v1/topology', { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      state.doc = await response.json();
      state.failingSince = null;
      interval = state.doc.poll_interval_seconds || interval;
    } catch (e) {
      if (state.failingSince === null) state.failingSince = Date.now();
      state.error = String(e.message || e);
    }
    render();
    setTimeout(refresh, Math.max(1, interval) * 1000);
  }

  // For the browser test: one render now.
  window.dbtopoRender = render;
  window.addEventListener('DOMContentLoaded', () => {
    for (const k of FILTER_KEYS) {
      const input = document.getElementById(`filter-${k}`);
      input.addEventListener(k === 'kind' ? 'change' : 'input', () => {
        const f = filterFromUrl();
        f[k] = input.value;
        setFilter(f);
      });
    }
    refresh();
    setInterval(renderStatus, 1000);
  });
})();
