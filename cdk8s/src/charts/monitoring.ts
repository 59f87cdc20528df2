/** Prometheus Operator ServiceMonitor for the apps, and Grafana dashboards (sidecar-discovered ConfigMap). */
import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { ServiceMonitor } from '../../imports/monitoring.coreos.com.js';
import { labels as labelKeys } from '../kinds.js';
import { noScrapeLabel } from './apps.js';
import { commonLabels, names, type Context } from './context.js';

const panel = (id: number, title: string, expr: string) => ({
  id,
  title,
  type: 'timeseries',
  gridPos: { x: ((id - 1) % 2) * 12, y: Math.floor((id - 1) / 2) * 8, w: 12, h: 8 },
  targets: [{ expr, refId: 'A' }],
});

export function grafanaDashboard(sp: string) {
  const sel = `namespace="$namespace",service=~"${sp}-.*"`;
  return {
    title: `SalesPipeline ${sp}`,
    uid: `salespipeline-${sp}`.slice(0, 40),
    schemaVersion: 39,
    templating: { list: [{ name: 'namespace', type: 'query', query: 'label_values(up, namespace)' }] },
    panels: [
      panel(1, 'Ingest requests/s', `sum(rate(http_requests_total{${sel}}[1m])) by (service)`),
      panel(2, 'Process CPU', `sum(rate(process_cpu_seconds_total{${sel}}[1m])) by (pod)`),
      panel(3, 'Resident memory', `sum(process_resident_memory_bytes{${sel}}) by (pod)`),
      panel(4, 'Targets up', `sum(up{${sel}}) by (service)`),
    ],
  };
}

export function desiredMonitoring(scope: Construct, ctx: Context): Chart {
  const chart = new Chart(scope, 'monitoring', { disableResourceNameHashes: true });
  const sp = ctx.owner.name;
  const labels = commonLabels(sp, 'monitoring');
  const { serviceMonitor, grafanaDashboards } = ctx.spec.monitoring;
  if (serviceMonitor.enabled) {
    new ServiceMonitor(chart, 'servicemonitor', {
      metadata: { name: names(sp).serviceMonitor, labels },
      spec: {
        selector: {
          matchLabels: { [labelKeys.instance]: sp, [labelKeys.partOf]: 'salespipeline' },
          matchExpressions: [{ key: noScrapeLabel, operator: 'NotIn', values: ['false'] }],
        },
        // Apps serve /metrics on `http`, ingest on `ops` (its own Service).
        endpoints: ['http', 'ops'].map((port) => ({ port, path: '/metrics', interval: serviceMonitor.interval })),
      },
    });
  }
  if (grafanaDashboards.enabled) {
    new k8s.KubeConfigMap(chart, 'dashboards', {
      metadata: { name: names(sp).dashboards, labels: { ...labels, grafana_dashboard: '1' } },
      data: { 'salespipeline.json': JSON.stringify(grafanaDashboard(sp)) },
    });
  }
  return chart;
}
