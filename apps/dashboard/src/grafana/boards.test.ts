import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import { boardJson, boards } from './boards.js';
import { expandMysqlMacros } from './mysql-macros.js';

const dir = new URL('../../../../charts/salespipeline-operator/dashboards/', import.meta.url).pathname;

interface Panel {
  type: string;
  id?: number;
  title: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr?: string; rawSql?: string; refId?: string; datasource?: { type: string } }>;
}

describe.each(Object.keys(boards) as Array<keyof typeof boards>)('the %s board', (name) => {
  test('the checked-in JSON is what the generator writes (run: npm run grafana -w @salespipeline/dashboard)', () => {
    expect(readFileSync(`${dir}${name}.json`, 'utf8')).toBe(boardJson(name));
  });

  test('is well formed: every panel placed within 24 columns, queried through the board variable', () => {
    // The SDK's builders enforce the schema's constraints (w ≤ 24, h > 0, …) when building.
    const board = JSON.parse(readFileSync(`${dir}${name}.json`, 'utf8')) as { uid: string; panels: Panel[] };
    expect(board.uid).toBe(`salespipeline-${name}`);
    const panels = board.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(8);
    const ids = board.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos!.x + p.gridPos!.w).toBeLessThanOrEqual(24);
      expect(p.datasource?.uid).toBe(name === 'operations' ? '${datasource}' : '${mysql}');
      expect(p.targets!.length).toBeGreaterThan(0);
      for (const t of p.targets!) expect(name === 'operations' ? t.expr : t.rawSql).toBeTruthy();
    }
  });
});

describe('MySQL macro expansion', () => {
  const ctx = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T01:00:00Z') };
  test('as Grafana expands them', () => {
    expect(expandMysqlMacros('WHERE $__timeFilter(minute)', ctx)).toBe(
      'WHERE minute BETWEEN FROM_UNIXTIME(1767225600) AND FROM_UNIXTIME(1767229200)',
    );
    expect(expandMysqlMacros('SELECT $__timeGroupAlias(minute, 5m)', ctx)).toBe(
      'SELECT UNIX_TIMESTAMP(minute) DIV 300 * 300 AS "time"',
    );
    expect(expandMysqlMacros('$__timeFrom() $__timeTo()', ctx)).toBe(
      'FROM_UNIXTIME(1767225600) FROM_UNIXTIME(1767229200)',
    );
    expect(() => expandMysqlMacros('$__nope(x)', ctx)).toThrow(/not expanded/);
  });
});
