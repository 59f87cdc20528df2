/* global document, window, EventSource, ResizeObserver, uPlot */
// The live sales page: one EventSource per tab on /api/stream?range=…; the server pushes a
// `status` event (database reachable or not) and a `snapshot` event whenever the figures change.
// No polling from the page; EventSource reconnects by itself.

const $ = (id) => document.getElementById(id);
const fmtInt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const fmtMoney = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const fmtCompact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const fmtPct = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const fmtTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const fmtDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });

const state = {
  range: new URLSearchParams(window.location.search).get('range') || '1h',
  source: null,
  snapshot: null,
  status: null,
  connected: false,
  lastUpdate: null,
  seenOrders: new Set(),
};
if (!['15m', '1h', '24h', 'all'].includes(state.range)) state.range = '1h';

const KPIS = {
  orders: (v) => fmtInt.format(v),
  revenue: (v) => fmtMoney.format(v),
  averageOrderValue: (v) => (v === null ? '–' : fmtMoney.format(v)),
  items: (v) => fmtInt.format(v),
  refundCancelRate: (v) => (v === null ? '–' : fmtPct.format(v)),
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'style') node.style.cssText = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

// ---- connection and banner ------------------------------------------------------------------

function connect() {
  if (state.source) state.source.close();
  const source = new EventSource(`/api/stream?range=${encodeURIComponent(state.range)}`);
  state.source = source;
  source.addEventListener('open', () => {
    state.connected = true;
    renderBanner();
  });
  source.addEventListener('error', () => {
    state.connected = false;
    renderBanner();
  });
  source.addEventListener('status', (e) => {
    state.status = JSON.parse(e.data);
    renderBanner();
  });
  source.addEventListener('snapshot', (e) => {
    state.snapshot = JSON.parse(e.data);
    state.lastUpdate = new Date();
    render(state.snapshot);
    renderBanner();
  });
}

function renderBanner() {
  const banner = $('banner');
  const s = state.status;
  const conn = $('conn');
  let message = null;
  let detail = '';
  if (!state.connected && state.source) {
    message = 'Connection to the dashboard server lost — reconnecting…';
  } else if (s && s.mysql === 'down') {
    message = 'Sales database unavailable — the figures below are not live. Retrying…';
    detail = s.error || '';
  } else if (s && s.cassandra === 'down') {
    message = 'Order store unavailable — the latest orders cannot be shown. Retrying…';
    detail = s.error || '';
  }
  const frozen = message !== null && (!state.connected || (s && s.mysql === 'down'));
  document.body.classList.toggle('stale', Boolean(frozen && state.snapshot));
  if (message) {
    banner.replaceChildren(message, ...(detail ? [el('small', {}, detail)] : []));
    banner.hidden = false;
    banner.dataset.kind = !state.connected ? 'connection' : s.mysql === 'down' ? 'mysql' : 'cassandra';
  } else {
    banner.hidden = true;
    banner.dataset.kind = '';
  }
  const live = state.connected && s && s.mysql === 'ok';
  conn.dataset.state = live ? 'live' : message ? 'down' : 'connecting';
  $('conn-text').textContent = live
    ? `live${state.lastUpdate ? ` · updated ${fmtTime.format(state.lastUpdate)}` : ''}`
    : message
      ? 'not live'
      : 'connecting…';
  if (!state.snapshot && s && s.mysql === 'down') {
    $('loading').textContent = 'The figures cannot be loaded while the sales database is unavailable.';
  }
}

// ---- rendering -------------------------------------------------------------------------------

function render(s) {
  const main = $('main');
  main.dataset.state = s.kpis.orders > 0 ? 'ready' : 'empty';
  $('loading').hidden = true;
  $('empty').hidden = s.kpis.orders > 0;
  for (const [name, format] of Object.entries(KPIS)) {
    const card = document.querySelector(`[data-kpi="${name}"]`);
    card.querySelector('.value').textContent = format(s.kpis[name]);
    const delta = card.querySelector('.delta');
    const change = s.change ? s.change[name] : null;
    delta.className = 'delta';
    if (s.range === 'all') delta.textContent = 'since the start';
    else if (change === null || change === undefined) delta.textContent = 'no previous data';
    else {
      const arrow = change > 0 ? '▲' : change < 0 ? '▼' : '■';
      const text =
        name === 'refundCancelRate'
          ? `${(change * 100).toFixed(1)} pts`
          : `${change > 0 ? '+' : ''}${fmtPct.format(change)}`;
      delta.textContent = `${arrow} ${text} vs previous ${s.range}`;
      if (change !== 0) delta.classList.add(change > 0 ? 'up' : 'down');
    }
  }
  const bucket = s.window.bucketSeconds;
  const bucketName =
    bucket === 60
      ? 'minute'
      : bucket < 3600
        ? `${bucket / 60} min`
        : bucket < 86400
          ? `${bucket / 3600} h`
          : `${bucket / 86400} d`;
  for (const b of document.querySelectorAll('.bucket')) b.textContent = bucketName;
  charts.revenue.update(s.timeseries, (p) => p.revenue);
  charts.orders.update(s.timeseries, (p) => p.orders);
  bars(
    $('by-status'),
    s.breakdowns.status,
    (r) => r.orders,
    (r) => `${fmtInt.format(r.orders)} · ${fmtMoney.format(r.revenue)}`,
  );
  bars(
    $('by-category'),
    s.breakdowns.category.slice(0, 10),
    (r) => r.revenue,
    (r) => fmtMoney.format(r.revenue),
  );
  bars(
    $('by-payment'),
    s.breakdowns.payment_method,
    (r) => r.revenue,
    (r) => `${fmtMoney.format(r.revenue)} · ${fmtInt.format(r.orders)}`,
  );
  bars(
    $('top-revenue'),
    s.topProducts.revenue,
    (r) => r.revenue,
    (r) => fmtMoney.format(r.revenue),
  );
  bars(
    $('top-quantity'),
    s.topProducts.quantity,
    (r) => r.items,
    (r) => `${fmtInt.format(r.items)} pcs`,
  );
  latest(s.latestOrders);
  $('updated').textContent = `Figures of ${fmtDateTime.format(new Date())}`;
}

function bars(list, rows, measure, label) {
  if (!rows.length) {
    list.replaceChildren(el('li', { class: 'none' }, 'No data in this range'));
    return;
  }
  const max = Math.max(...rows.map(measure), 1e-9);
  list.replaceChildren(
    ...rows.map((r) =>
      el(
        'li',
        { 'data-value': r.value },
        el('span', { class: 'label', title: r.value }, r.value),
        el('span', { class: 'figure' }, label(r)),
        el('span', { class: 'bar' }, el('span', { style: `width:${Math.max(1, (100 * measure(r)) / max)}%` })),
      ),
    ),
  );
}

function latest(orders) {
  const body = $('latest');
  const note = $('latest-note');
  if (orders === null) {
    note.hidden = false;
    note.textContent = 'The order store cannot be read right now.';
    return;
  }
  note.hidden = orders.length > 0;
  note.textContent = 'No orders yet.';
  const first = state.seenOrders.size === 0;
  body.replaceChildren(
    ...orders.map((o) => {
      const fresh = !first && !state.seenOrders.has(o.order_id);
      state.seenOrders.add(o.order_id);
      return el(
        'tr',
        { 'data-order-id': o.order_id, class: fresh ? 'fresh' : '' },
        el('td', {}, fmtTime.format(new Date(o.created_at))),
        el('td', {}, o.order_id),
        el('td', {}, el('span', { class: `status ${o.status}` }, o.status)),
        el('td', {}, o.payment_method),
        el('td', { class: 'num' }, fmtInt.format(o.item_count)),
        el('td', { class: 'num' }, `${fmtMoney.format(o.grand_total)} ${o.currency}`),
      );
    }),
  );
  if (state.seenOrders.size > 5000) state.seenOrders = new Set(orders.map((o) => o.order_id));
}

// ---- charts (uPlot) --------------------------------------------------------------------------

function barChart(container, color, label, integer = false) {
  let plot = null;
  let data = [[], [], []];
  const make = () => {
    const width = Math.max(200, container.clientWidth);
    const height = container.clientHeight || 220;
    const bars = uPlot.paths.bars({ size: [0.85, 48], align: 0 });
    plot = new uPlot(
      {
        width,
        height,
        legend: { show: false },
        cursor: { y: false, points: { show: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { stroke: '#5f6b7a', grid: { show: false } },
          {
            stroke: '#5f6b7a',
            size: 48,
            ...(integer
              ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000] }
              : {}),
            values: (_u, vals) => vals.map((v) => fmtCompact.format(v)),
            grid: { stroke: '#eef1f4' },
          },
        ],
        series: [
          {},
          { label, fill: color, stroke: color, paths: bars, points: { show: false } },
          {
            label: `${label} (open minute)`,
            fill: 'rgba(245,158,11,0.85)',
            stroke: '#f59e0b',
            paths: bars,
            points: { show: false },
          },
        ],
      },
      data,
      container,
    );
  };
  new ResizeObserver(() => {
    if (!plot) return;
    plot.setSize({ width: Math.max(200, container.clientWidth), height: container.clientHeight || 220 });
  }).observe(container);
  return {
    update(points, value) {
      const xs = points.map((p) => Date.parse(p.t) / 1000);
      data = [xs, points.map((p) => (p.open ? null : value(p))), points.map((p) => (p.open ? value(p) : null))];
      if (!plot) make();
      else plot.setData(data);
    },
  };
}

const charts = {
  revenue: barChart($('chart-revenue'), 'rgba(37,99,235,0.85)', 'Revenue'),
  orders: barChart($('chart-orders'), 'rgba(37,99,235,0.85)', 'Orders', true),
};

// ---- range selector --------------------------------------------------------------------------

function selectRange(range) {
  state.range = range;
  for (const b of document.querySelectorAll('[data-range]'))
    b.setAttribute('aria-pressed', String(b.dataset.range === range));
  const url = new URL(window.location.href);
  url.searchParams.set('range', range);
  window.history.replaceState(null, '', url);
  connect();
}
for (const b of document.querySelectorAll('[data-range]'))
  b.addEventListener('click', () => selectRange(b.dataset.range));

selectRange(state.range);
