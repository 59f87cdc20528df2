/** Writes the Grafana dashboards to charts/salespipeline-operator/dashboards/ (run: npm run grafana -w @salespipeline/dashboard). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { boardJson, boards } from './boards.js';

export const dashboardsDir = new URL('../../../../charts/salespipeline-operator/dashboards/', import.meta.url).pathname;

mkdirSync(dashboardsDir, { recursive: true });
for (const name of Object.keys(boards) as Array<keyof typeof boards>) {
  writeFileSync(`${dashboardsDir}${name}.json`, boardJson(name));
  process.stdout.write(`wrote ${dashboardsDir}${name}.json\n`);
}
