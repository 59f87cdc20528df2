/**
 * The dashboard state of one range: KPIs with the change against the previous period, the
 * per-minute series, the breakdowns, the top products and the latest orders. Money is in currency
 * units with 2 decimals (exact: summed in cents first).
 */
import type { BreakdownRow, LatestOrder, SalesReader, SeriesPoint, Totals } from './queries.js';
import { bucketSeconds, windowOf, type RangeName } from './ranges.js';

export interface Kpis {
  orders: number;
  revenue: number;
  items: number;
  discount: number;
  /** Revenue per order; null without orders. */
  averageOrderValue: number | null;
  /** Share (0..1) of orders canceled or refunded; null without orders. */
  refundCancelRate: number | null;
}

export interface Snapshot {
  range: RangeName;
  window: { from: string | null; to: string | null; openMinute: string; bucketSeconds: number };
  kpis: Kpis;
  /** The previous period's KPIs (null for `all`). */
  previous: Kpis | null;
  /** Relative change against the previous period per KPI (0.1 = +10 %), null when undefined. */
  change: Record<keyof Kpis, number | null> | null;
  /** Oldest first; `open` marks the bucket still receiving orders. */
  timeseries: Array<{ t: string; orders: number; items: number; revenue: number; open: boolean }>;
  breakdowns: Record<'status' | 'category' | 'payment_method', Array<Row>>;
  topProducts: { revenue: Row[]; quantity: Row[] };
  /** Null when Cassandra could not be read (see the status). */
  latestOrders: LatestOrder[] | null;
}

export interface Row {
  value: string;
  orders: number;
  items: number;
  revenue: number;
}

const money = (c: number) => c / 100;
const row = (r: BreakdownRow): Row => ({
  value: r.value,
  orders: r.orders,
  items: r.items,
  revenue: money(r.revenueCents),
});

export function kpisOf(t: Totals): Kpis {
  return {
    orders: t.orders,
    revenue: money(t.revenueCents),
    items: t.items,
    discount: money(t.discountCents),
    averageOrderValue: t.orders > 0 ? Math.round(t.revenueCents / t.orders) / 100 : null,
    refundCancelRate: t.orders > 0 ? t.refundedOrCanceled / t.orders : null,
  };
}

export function changeOf(current: Kpis, previous: Kpis): Record<keyof Kpis, number | null> {
  const rel = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : (a - b) / b);
  return {
    orders: rel(current.orders, previous.orders),
    revenue: rel(current.revenue, previous.revenue),
    items: rel(current.items, previous.items),
    discount: rel(current.discount, previous.discount),
    averageOrderValue: rel(current.averageOrderValue, previous.averageOrderValue),
    // A rate changes in points, not in percent of itself.
    refundCancelRate:
      current.refundCancelRate === null || previous.refundCancelRate === null
        ? null
        : current.refundCancelRate - previous.refundCancelRate,
  };
}

export interface SnapshotOptions {
  topN: number;
}

/** Everything except the latest orders, which do not depend on the range (see computeLatest). */
export async function computeSnapshot(
  reader: SalesReader,
  range: RangeName,
  now: number,
  opts: SnapshotOptions,
  latestOrders: LatestOrder[] | null,
): Promise<Snapshot> {
  const w = windowOf(range, now);
  const first = range === 'all' ? await reader.firstMinute() : undefined;
  const bucket = bucketSeconds(range, first, now);
  const [totals, series, breakdowns, topRevenue, topQuantity] = await Promise.all([
    reader.totals(w),
    reader.timeseries(w, bucket, first),
    reader.breakdowns(w, ['status', 'category', 'payment_method']),
    reader.top(w, 'sku', 'revenue', opts.topN),
    reader.top(w, 'sku', 'quantity', opts.topN),
  ]);
  const kpis = kpisOf(totals.current);
  const previous = totals.previous ? kpisOf(totals.previous) : null;
  const openStart = Math.floor(w.openMinute.getTime() / (bucket * 1000)) * bucket * 1000;
  return {
    range,
    window: {
      from: range === 'all' ? (first?.toISOString() ?? null) : w.from.toISOString(),
      to: range === 'all' ? null : w.to.toISOString(),
      openMinute: w.openMinute.toISOString(),
      bucketSeconds: bucket,
    },
    kpis,
    previous,
    change: previous ? changeOf(kpis, previous) : null,
    timeseries: series.map((p: SeriesPoint) => ({
      t: new Date(p.t).toISOString(),
      orders: p.orders,
      items: p.items,
      revenue: money(p.revenueCents),
      open: p.t === openStart,
    })),
    breakdowns: {
      status: (breakdowns.status ?? []).map(row),
      category: (breakdowns.category ?? []).map(row),
      payment_method: (breakdowns.payment_method ?? []).map(row),
    },
    topProducts: { revenue: topRevenue.map(row), quantity: topQuantity.map(row) },
    latestOrders,
  };
}
