/**
 * The stream processor's alerts (charts/salespipeline-operator/rules/salespipeline-alerts.yml: the chart's
 * PrometheusRule and the local Prometheus load this one file) against the REAL promtool (the Debian
 * prometheus package that scripts/infra/prometheus.sh installs):
 * - promtool check rules;
 * - promtool test rules on salespipeline-alerts.test.yml: input series where each counter rises once,
 *   first appears above zero, stays flat, starts over after a restart (with and without a new increment),
 *   and the alerts expected at each time, with their labels and annotations;
 * - the unit tests cover every alert, firing and silent, and fail when an expression is broken.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import yaml from 'js-yaml';
import { ok, run } from '@salespipeline/operator/testing';

/* eslint-disable @typescript-eslint/no-explicit-any */
const repo = join(import.meta.dirname, '..', '..');
const rulesDir = join(repo, 'charts', 'salespipeline-operator', 'rules');
const rulesFile = join(rulesDir, 'salespipeline-alerts.yml');
const testFile = join(rulesDir, 'salespipeline-alerts.test.yml');
const alertNames = ['SalesPipelineOffsetGap', 'SalesPipelineTopicReset', 'SalesPipelineDeadLetters'];
const tmp = mkdtempSync(join(tmpdir(), 'sp-alerts-'));

let promtool: string;

beforeAll(() => {
  const found = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin']
    .map((dir) => join(dir, 'promtool'))
    .find((p) => existsSync(p));
  if (!found) throw new Error('promtool missing: run scripts/infra/prometheus.sh install (Debian prometheus package)');
  promtool = found;
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rules = () => yaml.load(readFileSync(rulesFile, 'utf8')) as any;

describe('alerting rules of the stream processor', () => {
  it('promtool check rules: the three alerts, each with a severity and annotations, no `for`', async () => {
    expect(await ok(promtool, ['check', 'rules', rulesFile])).toContain('SUCCESS: 3 rules found');
    const all = rules().groups.flatMap((g: any) => g.rules);
    expect(all.map((r: any) => r.alert)).toEqual(alertNames);
    const severity = Object.fromEntries(all.map((r: any) => [r.alert, r.labels.severity]));
    expect(severity).toEqual({
      SalesPipelineOffsetGap: 'critical',
      SalesPipelineTopicReset: 'warning',
      SalesPipelineDeadLetters: 'warning',
    });
    for (const r of all) {
      expect(r.for ?? '0m').toBe('0m'); // one occurrence is the event
      expect(Object.keys(r.annotations).sort()).toEqual(['description', 'summary']);
    }
    const gap = all.find((r: any) => r.alert === 'SalesPipelineOffsetGap');
    expect(gap.annotations.description).toContain('stream_offsets');
    expect(gap.annotations.description).toContain('retention');
  });

  it('promtool test rules: salespipeline-alerts.test.yml passes', async () => {
    const r = await run(promtool, ['test', 'rules', testFile]);
    expect({ code: r.code, out: `${r.stdout}${r.stderr}` }).toEqual({
      code: 0,
      out: expect.stringContaining('SUCCESS'),
    });
    expect(r.stdout + r.stderr).not.toContain('FAILED');
  });

  it('the unit tests expect every alert to fire somewhere and to stay silent somewhere', () => {
    const tests = (yaml.load(readFileSync(testFile, 'utf8')) as any).tests.flatMap((t: any) => t.alert_rule_test);
    for (const name of alertNames) {
      const cases = tests.filter((c: any) => c.alertname === name);
      expect(cases.some((c: any) => c.exp_alerts.length > 0)).toBe(true);
      expect(cases.some((c: any) => c.exp_alerts.length === 0)).toBe(true);
    }
  });

  // The unit tests fail when an expression is broken: a copy of the rules, changed, next to the test file.
  it.each([
    [
      'offset gap: increase() only (misses a series that appears above zero)',
      'SalesPipelineOffsetGap',
      (e: string) => e.replace(/\(processor_offset_gap_messages_total unless [^)]*\)\s*or /, ''),
    ],
    [
      'offset gap: the raw counter (alerts on old gaps)',
      'SalesPipelineOffsetGap',
      () => 'processor_offset_gap_messages_total > 0',
    ],
    [
      'topic reset: delta() (counter resets)',
      'SalesPipelineTopicReset',
      (e: string) => e.replace('increase(', 'delta('),
    ],
    [
      'dead letters: delta() (counter resets)',
      'SalesPipelineDeadLetters',
      (e: string) => e.replace('increase(', 'delta('),
    ],
    ['dead letters: threshold 1', 'SalesPipelineDeadLetters', (e: string) => e.replace(/> 0$/, '> 1')],
  ])('promtool test rules fails with a broken expression: %s', async (_what, alert, breakIt) => {
    const broken = rules();
    const rule = broken.groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === alert);
    const changed = breakIt(rule.expr);
    expect(changed).not.toBe(rule.expr);
    rule.expr = changed;
    writeFileSync(join(tmp, 'salespipeline-alerts.yml'), yaml.dump(broken));
    copyFileSync(testFile, join(tmp, 'salespipeline-alerts.test.yml'));
    await ok(promtool, ['check', 'rules', join(tmp, 'salespipeline-alerts.yml')]); // still valid PromQL
    const r = await run(promtool, ['test', 'rules', join(tmp, 'salespipeline-alerts.test.yml')]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(`alertname: ${alert}`);
  });
});
