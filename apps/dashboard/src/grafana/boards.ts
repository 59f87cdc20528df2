/**
 * The Grafana dashboards as code (@grafana/grafana-foundation-sdk): an operations board on
 * Prometheus and a sales board on the MySQL aggregates. `npm run grafana -w @salespipeline/dashboard`
 * writes them to charts/salespipeline-operator/dashboards/, which the Helm chart ships as ConfigMaps
 * for Grafana's sidecar; a unit test fails when the checked-in JSON is stale.
 *
 * Metric names are the apps' own (apps/ingest/src, apps/processor/src/metrics.ts,
 * apps/dashboard/src/metrics.ts, operator/src/manager/metrics.ts); every registry labels its
 * series app=<name>, so the queries select by `app` whatever the scrape configuration.
 */
import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard, DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapPanel } from '@grafana/grafana-foundation-sdk/heatmap';
import { DataqueryBuilder as PromQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { LegendDisplayMode, LegendPlacement, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { MysqlQueryBuilder } from './mysql-query.js';

const legend = () =>
  new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom);

const prometheus: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
const mysql: DataSourceRef = { type: 'mysql', uid: '${mysql}' };

const prom = (expr: string, legend: string, refId = 'A') =>
  new PromQuery().expr(expr).legendFormat(legend).refId(refId).datasource(prometheus);

type Series = [expr: string, legend: string];

const series = (title: string, unit: string, queries: Series[], description?: string) => {
  const panel = new TimeseriesPanel()
    .title(title)
    .unit(unit)
    .datasource(prometheus)
    .height(8)
    .span(12)
    .fillOpacity(10)
    .legend(legend());
  if (description) panel.description(description);
  queries.forEach(([expr, legend], i) => panel.withTarget(prom(expr, legend, String.fromCharCode(65 + i))));
  return panel;
};

const R = '[$__rate_interval]';

/** One builder chain per board, panel after panel in the order they show: long on purpose, read like the board. */
export function operationsBoard(): Dashboard {
  return new DashboardBuilder('SalesPipeline — operations')
    .uid('salespipeline-operations')
    .tags(['salespipeline', 'generated'])
    .editable()
    .refresh('10s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'))
    .withRow(new RowBuilder('Ingest'))
    .withPanel(
      series('Orders accepted / s', 'ops', [
        [`sum(rate(ingest_orders_accepted_total{app="ingest"}${R}))`, 'accepted'],
        [`sum by (reason) (rate(ingest_orders_rejected_total{app="ingest"}${R}))`, 'rejected: {{reason}}'],
      ]),
    )
    .withPanel(
      series('Request latency p99 by route', 's', [
        [
          `histogram_quantile(0.99, sum by (le, route) (rate(ingest_request_duration_seconds_bucket{app="ingest"}${R})))`,
          '{{route}}',
        ],
      ]),
    )
    .withPanel(
      series(
        'Kafka produce latency',
        's',
        [
          [
            `histogram_quantile(0.5, sum by (le) (rate(ingest_kafka_send_duration_seconds_bucket{app="ingest"}${R})))`,
            'p50',
          ],
          [
            `histogram_quantile(0.99, sum by (le) (rate(ingest_kafka_send_duration_seconds_bucket{app="ingest"}${R})))`,
            'p99',
          ],
        ],
        'Produce request until all in-sync replicas acknowledged',
      ),
    )
    .withPanel(
      series('Ingest errors / s', 'ops', [
        [`sum(rate(ingest_kafka_send_errors_total{app="ingest"}${R}))`, 'Kafka send errors'],
        [
          `sum by (status) (rate(ingest_request_duration_seconds_count{app="ingest", status=~"4..|5.."}${R}))`,
          'HTTP {{status}}',
        ],
      ]),
    )
    .withRow(new RowBuilder('Stream processor'))
    .withPanel(
      series('Consumer lag per partition', 'short', [
        ['max by (partition) (processor_partition_lag{app="processor"})', 'partition {{partition}}'],
      ]),
    )
    .withPanel(
      series('Processor throughput / s', 'ops', [
        [`sum(rate(processor_orders_processed_total{app="processor"}${R}))`, 'processed'],
        [`sum(rate(processor_messages_consumed_total{app="processor"}${R}))`, 'consumed'],
        [`sum(rate(processor_orders_duplicate_total{app="processor"}${R}))`, 'duplicates'],
        [`sum by (kind) (rate(processor_messages_dlq_total{app="processor"}${R}))`, 'DLQ {{kind}}'],
      ]),
    )
    .withPanel(
      new HeatmapPanel()
        .title('Freshness (accepted → aggregate committed)')
        .description('Per order: aggregate commit time minus the time Kafka accepted it')
        .datasource(prometheus)
        .height(8)
        .span(12)
        .withTarget(
          prom(`sum by (le) (increase(processor_freshness_seconds_bucket{app="processor"}${R}))`, '{{le}}').format(
            'heatmap' as never,
          ),
        ),
    )
    .withPanel(
      series('Freshness quantiles', 's', [
        [`histogram_quantile(0.5, sum by (le) (rate(processor_freshness_seconds_bucket{app="processor"}${R})))`, 'p50'],
        [
          `histogram_quantile(0.99, sum by (le) (rate(processor_freshness_seconds_bucket{app="processor"}${R})))`,
          'p99',
        ],
      ]),
    )
    .withPanel(
      series('Batch and sink time p99', 's', [
        [
          `histogram_quantile(0.99, sum by (le) (rate(processor_batch_duration_seconds_bucket{app="processor"}${R})))`,
          'batch',
        ],
        [
          `histogram_quantile(0.99, sum by (le, sink) (rate(processor_sink_duration_seconds_bucket{app="processor"}${R})))`,
          '{{sink}}',
        ],
      ]),
    )
    .withPanel(
      series('Sink failures and paused partitions', 'short', [
        [`sum by (sink) (rate(processor_sink_errors_total{app="processor"}${R}))`, 'failed batches/s {{sink}}'],
        ['sum(processor_partitions_paused{app="processor"})', 'paused partitions'],
      ]),
    )
    .withRow(new RowBuilder('Replicas and dashboard'))
    .withPanel(
      new StatPanel()
        .title('Replicas')
        .description('Processes exposing metrics, per app')
        .datasource(prometheus)
        .height(6)
        .span(12)
        .withTarget(
          prom(
            'count by (app) (process_start_time_seconds{app=~"ingest|processor|dashboard|salespipeline-operator"})',
            '{{app}}',
          ),
        ),
    )
    .withPanel(
      series('CPU per process', 'percentunit', [
        [
          `sum by (app, instance) (rate(process_cpu_seconds_total{app=~"ingest|processor|dashboard|salespipeline-operator"}${R}))`,
          '{{app}} {{instance}}',
        ],
      ]),
    )
    .withPanel(
      series('Dashboard: live clients and refreshes', 'short', [
        ['sum(dashboard_sse_clients{app="dashboard"})', 'SSE clients'],
        [`sum by (result) (rate(dashboard_refresh_total{app="dashboard"}${R}))`, 'ticks/s {{result}}'],
        [
          `histogram_quantile(0.99, sum by (le) (rate(dashboard_refresh_duration_seconds_bucket{app="dashboard"}${R})))`,
          'refresh p99 (s)',
        ],
      ]),
    )
    .withPanel(
      series('Memory per process', 'bytes', [
        [
          'sum by (app, instance) (process_resident_memory_bytes{app=~"ingest|processor|dashboard|salespipeline-operator"})',
          '{{app}} {{instance}}',
        ],
      ]),
    )
    .withRow(new RowBuilder('Operator'))
    .withPanel(
      series('Reconciles / s by result', 'ops', [
        [`sum by (result) (rate(controller_reconcile_total{app="salespipeline-operator"}${R}))`, '{{result}}'],
        [`sum(rate(controller_reconcile_errors_total{app="salespipeline-operator"}${R}))`, 'errors'],
      ]),
    )
    .withPanel(
      series('Reconcile time p99 and work queue', 'short', [
        [
          `histogram_quantile(0.99, sum by (le) (rate(controller_reconcile_duration_seconds_bucket{app="salespipeline-operator"}${R})))`,
          'reconcile p99 (s)',
        ],
        ['sum(workqueue_depth{app="salespipeline-operator"})', 'queue depth'],
        ['max(leader_election_is_leader{app="salespipeline-operator"})', 'leader'],
      ]),
    )
    .build();
}

const sql = (text: string, format: 'time_series' | 'table' = 'time_series') =>
  new MysqlQueryBuilder(text, format).refId('A').datasource(mysql);

/** As operationsBoard: one chain, panel after panel, long on purpose. */
export function salesBoard(): Dashboard {
  const perMinute = (title: string, column: string, unit: string) =>
    new TimeseriesPanel()
      .title(title)
      .unit(unit)
      .datasource(mysql)
      .height(8)
      .span(12)
      .fillOpacity(20)
      .withTarget(
        sql(`SELECT $__timeGroupAlias(minute, 1m), SUM(${column}) AS ${column}
             FROM sales_by_minute WHERE dim = 'total' AND $__timeFilter(minute)
             GROUP BY 1 ORDER BY 1`),
      );
  const stat = (title: string, select: string, unit: string) =>
    new StatPanel()
      .title(title)
      .unit(unit)
      .datasource(mysql)
      .height(4)
      .span(6)
      .withTarget(sql(`SELECT ${select} FROM sales_by_minute WHERE dim = 'total' AND $__timeFilter(minute)`, 'table'));
  const byDim = (title: string, dim: string, measure: string, unit: string, limit = 10) =>
    new BarGaugePanel()
      .title(title)
      .unit(unit)
      .datasource(mysql)
      .height(8)
      .span(8)
      .withTarget(
        sql(
          `SELECT dim_value AS metric, SUM(${measure}) AS value
           FROM sales_by_minute WHERE dim = '${dim}' AND $__timeFilter(minute)
           GROUP BY dim_value ORDER BY value DESC LIMIT ${limit}`,
          'table',
        ),
      );
  return new DashboardBuilder('SalesPipeline — sales')
    .uid('salespipeline-sales')
    .tags(['salespipeline', 'generated'])
    .editable()
    .refresh('10s')
    .time({ from: 'now-24h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('mysql').label('MySQL').type('mysql'))
    .withRow(new RowBuilder('Totals'))
    .withPanel(stat('Orders', 'COALESCE(SUM(orders), 0) AS orders', 'short'))
    .withPanel(stat('Revenue', 'COALESCE(SUM(revenue), 0) AS revenue', 'none'))
    .withPanel(stat('Average order value', 'SUM(revenue) / NULLIF(SUM(orders), 0) AS aov', 'none'))
    .withPanel(
      new StatPanel()
        .title('Refund / cancel rate')
        .unit('percentunit')
        .datasource(mysql)
        .height(4)
        .span(6)
        .withTarget(
          sql(
            `SELECT SUM(CASE WHEN dim = 'status' AND dim_value IN ('canceled', 'refund', 'order_refunded') THEN orders ELSE 0 END)
                    / NULLIF(SUM(CASE WHEN dim = 'total' THEN orders ELSE 0 END), 0) AS rate
             FROM sales_by_minute WHERE dim IN ('total', 'status') AND $__timeFilter(minute)`,
            'table',
          ),
        ),
    )
    .withRow(new RowBuilder('Per minute'))
    .withPanel(perMinute('Revenue per minute', 'revenue', 'none'))
    .withPanel(perMinute('Orders per minute', 'orders', 'short'))
    .withPanel(
      new TimeseriesPanel()
        .title('Orders per minute by status')
        .unit('short')
        .datasource(mysql)
        .height(8)
        .span(24)
        .fillOpacity(30)
        .legend(legend())
        .withTarget(
          sql(`SELECT $__timeGroupAlias(minute, 1m), dim_value AS metric, SUM(orders) AS orders
               FROM sales_by_minute WHERE dim = 'status' AND $__timeFilter(minute)
               GROUP BY 1, 2 ORDER BY 1`),
        ),
    )
    .withRow(new RowBuilder('Breakdowns'))
    .withPanel(byDim('Revenue by category', 'category', 'revenue', 'none'))
    .withPanel(byDim('Revenue by payment method', 'payment_method', 'revenue', 'none'))
    .withPanel(byDim('Orders by status', 'status', 'orders', 'short'))
    .withPanel(byDim('Top products by revenue', 'sku', 'revenue', 'none'))
    .withPanel(byDim('Top products by quantity', 'sku', 'items', 'short'))
    .withPanel(
      new TablePanel()
        .title('Daily totals')
        .datasource(mysql)
        .height(8)
        .span(8)
        .withTarget(
          sql(
            `SELECT DATE(minute) AS day, SUM(orders) AS orders, SUM(items) AS items, SUM(revenue) AS revenue,
                    SUM(discount) AS discount
             FROM sales_by_minute WHERE dim = 'total' AND $__timeFilter(minute)
             GROUP BY DATE(minute) ORDER BY day DESC`,
            'table',
          ),
        ),
    )
    .build();
}

export const boards = { operations: operationsBoard, sales: salesBoard } as const;

/** The JSON written to charts/…/dashboards/<name>.json. */
export function boardJson(name: keyof typeof boards): string {
  const board = boards[name]();
  // Stable panel ids (the SDK leaves them to Grafana, which would renumber on every import).
  board.panels?.forEach((panel, i) => {
    panel.id = i + 1;
  });
  return `${JSON.stringify(board, null, 2)}\n`;
}
