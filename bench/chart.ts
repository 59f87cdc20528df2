/**
 * Bar charts of benchmark figures as SVG, rasterised to PNG by the Debian Chromium the project
 * installs for the dashboard tests (scripts/infra/chromium.sh; playwright-core, no browser download).
 */
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { chromiumOptions } from '@salespipeline/dashboard/testing';

export interface Panel {
  title: string;
  yLabel: string;
  /** One bar per group, stacked from its series' values (in series order). */
  groups: Array<{ label: string; values: number[]; note?: string }>;
  /** Names of the series; a name has the same colour in every panel of a chart. */
  series: string[];
}

const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v === 0 || v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(3));

/** A nice upper bound for an axis: 1, 2 or 5 × 10^n above `max`. */
function axisMax(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((m) => m >= max)!;
}

function panelSvg(panel: Panel, x0: number, width: number, height: number, colour: (series: string) => string): string {
  const left = x0 + 70;
  const top = 50;
  const plotW = width - 90;
  const plotH = height - 140;
  const totals = panel.groups.map((g) => g.values.reduce((a, b) => a + b, 0));
  const yMax = axisMax(Math.max(...totals));
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const out: string[] = [
    `<text x="${x0 + width / 2}" y="24" font-size="16" font-weight="bold" text-anchor="middle">${escape(panel.title)}</text>`,
    `<text transform="translate(${x0 + 16},${top + plotH / 2}) rotate(-90)" font-size="12" text-anchor="middle">${escape(panel.yLabel)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    out.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  const slot = plotW / panel.groups.length;
  const barW = Math.min(70, slot * 0.6);
  panel.groups.forEach((group, gi) => {
    const bx = left + slot * gi + (slot - barW) / 2;
    let base = 0;
    group.values.forEach((value, si) => {
      out.push(
        `<rect x="${bx}" y="${y(base + value)}" width="${barW}" height="${Math.max(0, y(base) - y(base + value))}" fill="${colour(panel.series[si]!)}"/>`,
      );
      base += value;
    });
    const cx = bx + barW / 2;
    out.push(
      `<text x="${cx}" y="${y(base) - 6}" font-size="11" text-anchor="middle">${fmt(base)}</text>`,
      `<text x="${cx}" y="${top + plotH + 18}" font-size="12" text-anchor="middle">${escape(group.label)}</text>`,
    );
    if (group.note)
      out.push(
        `<text x="${cx}" y="${top + plotH + 34}" font-size="11" fill="#555" text-anchor="middle">${escape(group.note)}</text>`,
      );
  });
  if (panel.series.length > 1)
    panel.series.forEach((name, si) => {
      const lx = left + (si % 4) * (plotW / 4);
      const ly = height - 44 + Math.floor(si / 4) * 16;
      out.push(
        `<rect x="${lx}" y="${ly - 10}" width="10" height="10" fill="${colour(name)}"/>`,
        `<text x="${lx + 14}" y="${ly}" font-size="11">${escape(name)}</text>`,
      );
    });
  return out.join('\n');
}

/** Panels side by side, with a caption under them. */
export function chartSvg(panels: Panel[], caption: string, panelWidth = 480, height = 400): string {
  const width = panelWidth * panels.length;
  const names = [...new Set(panels.flatMap((p) => p.series))];
  const colour = (series: string) => palette[names.indexOf(series) % palette.length]!;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 24}" font-family="Liberation Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...panels.map((p, i) => panelSvg(p, i * panelWidth, panelWidth, height, colour)),
    `<text x="${width / 2}" y="${height + 14}" font-size="11" fill="#555" text-anchor="middle">${escape(caption)}</text>`,
    `</svg>`,
  ].join('\n');
}

/** Writes the SVG as a PNG of its own size. */
export async function writePng(svg: string, file: string): Promise<void> {
  const browser = await chromium.launch(chromiumOptions);
  try {
    const page = await browser.newPage();
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    writeFileSync(file, await page.locator('svg').screenshot());
  } finally {
    await browser.close();
  }
}
