/**
 * The page in real headless Chromium (Debian package, playwright-core) on the real pipeline: the
 * ingest API and the stream processor run in-process on the real Kafka, MariaDB and Cassandra; an
 * order posted to the ingest API must appear on the open page without a reload. "Database down" is
 * a TCP proxy in front of the real MariaDB that the test closes (the shared MariaDB keeps running).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createKafka, createLogger, ensureTopics, topicsOf } from '@salespipeline/shared';
import { TcpProxy, testInfra, uniqueName, waitReady } from '@salespipeline/shared/testing';
import { authHeaders, startIngest, type RunningIngest } from '@salespipeline/ingest/testing';
import type { RunningProcessor } from '@salespipeline/processor/testing';
import {
  artifactsDir,
  chromiumOptions,
  createStores,
  order,
  startDashboard,
  type RunningDashboard,
  type Stores,
  startStoresProcessor,
} from './helpers.js';

// The page functions below run in Chromium; what they use of its globals, for the type checker.
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  documentElement: { scrollWidth: number };
};
declare const window: object;

const infra = testInfra();
const topic = uniqueName('dash_browser_orders');
let stores: Stores;
let proxy: TcpProxy;
let dash: RunningDashboard;
let ingest: RunningIngest;
let processor: RunningProcessor;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  const kafka = createKafka(infra, createLogger('test', 'warn'));
  await ensureTopics(kafka, topic, { partitions: 2 });
  stores = await createStores('dash_browser');
  const now = Date.now();
  await stores.seed([
    order('seed-1', now - 3 * 60_000, {
      lines: [
        { sku: 'SKU-BOOK-1', category: 'Books', price: 12.5, qty: 2 },
        { sku: 'SKU-PEN', category: 'Stationery', price: 1.2, qty: 10 },
      ],
    }),
    order('seed-2', now - 7 * 60_000, {
      status: 'canceled',
      payment: 'Easypay',
      lines: [{ sku: 'SKU-PHONE', category: 'Mobiles & Tablets', price: 199, qty: 1 }],
    }),
    order('seed-3', now - 40 * 60_000, {
      status: 'processing',
      payment: 'Payaxis',
      lines: [{ sku: 'SKU-SHIRT', category: "Men's Fashion", price: 25, qty: 3, discount: 5 }],
    }),
  ]);
  ingest = await startIngest(kafka, { ORDERS_TOPIC: topic });
  // Orders are accepted once its producer is connected.
  await waitReady(ingest.url, { what: 'ingest ready' });
  processor = await startStoresProcessor(stores, topic);
  const mysql = new URL(infra.mysqlUrl);
  proxy = new TcpProxy(mysql.hostname, Number(mysql.port));
  const viaProxy = new URL(stores.mysqlUrl);
  viaProxy.port = String(await proxy.start());
  dash = await startDashboard({ ...stores.env, MYSQL_URL: viaProxy.toString() });
  browser = await chromium.launch(chromiumOptions);
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (err) => {
    throw err;
  });
});

afterAll(async () => {
  await browser?.close();
  await dash?.stop();
  await proxy?.cut();
  await processor?.stop();
  await ingest?.stop();
  await stores?.cleanup();
  const admin = createKafka(infra, createLogger('test', 'warn')).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(topicsOf(topic)) }).catch(() => undefined);
  await admin.disconnect();
});

const kpi = (name: string) => page.locator(`[data-kpi="${name}"] .value`);

test('the page loads and shows the KPIs, charts, breakdowns and latest orders', async () => {
  await page.goto(`${dash.url}/?range=1h`);
  await expect(kpi('orders').textContent()).resolves.toBeDefined();
  await page.waitForFunction(() => document.querySelector('[data-kpi="orders"] .value')?.textContent === '3');
  // 12.50×2 + 1.20×10 = 37.00; 199.00; 25×3 − 5 = 70.00
  expect(await kpi('revenue').textContent()).toMatch(/306[.,]00/);
  expect(await kpi('items').textContent()).toBe('16');
  expect(await kpi('refundCancelRate').textContent()).toMatch(/33[.,]3\s?%/);
  expect(await page.locator('#by-status li').count()).toBe(3);
  expect(await page.locator('#top-revenue li').first().getAttribute('data-value')).toBe('SKU-PHONE');
  expect(await page.locator('#top-quantity li').first().getAttribute('data-value')).toBe('SKU-PEN');
  expect(await page.locator('#chart-revenue canvas').count()).toBe(1);
  // The latest orders come from Cassandra: should its first read fail, the next tick reads them again.
  await page.locator('#latest tr').nth(2).waitFor();
  expect(await page.locator('#latest tr').count()).toBe(3);
  await page.locator('#banner').waitFor({ state: 'hidden' });
  // The MySQL status follows the snapshot it was read with.
  await page.locator('#conn[data-state="live"]').waitFor();
});

test('an order posted to the ingest API appears on screen without a reload', async () => {
  const marker = await page.evaluate(() => {
    (window as unknown as { marker: number }).marker = 42;
    return 42;
  });
  const id = `live-${Date.now()}`;
  const posted = Date.now();
  const res = await fetch(`${ingest.url}/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders },
    body: JSON.stringify(
      order(id, Date.now(), {
        payment: 'jazzwallet',
        lines: [{ sku: 'SKU-LIVE', category: 'Books', price: 9.99, qty: 1 }],
      }),
    ),
  });
  expect(res.status).toBe(202);
  await page.locator(`#latest tr[data-order-id="${id}"]`).waitFor({ timeout: 60_000 });
  const seenAfterMs = Date.now() - posted;
  await page.waitForFunction(() => document.querySelector('[data-kpi="orders"] .value')?.textContent === '4');
  expect(await page.locator('#latest tr').first().getAttribute('data-order-id')).toBe(id);
  expect(await page.locator('#by-payment li[data-value="jazzwallet"]').count()).toBe(1);
  // Same document: nothing reloaded.
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(marker);
  process.stdout.write(`order ${id} on screen ${seenAfterMs} ms after the POST\n`);
  await page.screenshot({ path: `${artifactsDir}dashboard.png`, fullPage: true });
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true });
  await phone.goto(`${dash.url}/?range=1h`);
  await phone.waitForFunction(() => document.querySelector('[data-kpi="orders"] .value')?.textContent === '4');
  // Nothing wider than the phone's screen.
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await phone.screenshot({ path: `${artifactsDir}dashboard-phone.png`, fullPage: true });
  await phone.close();
});

test('database stopped: a clear banner, the figures kept; back when it returns', async () => {
  await proxy.cut();
  const banner = page.locator('#banner');
  await banner.waitFor({ state: 'visible', timeout: 15_000 });
  expect(await banner.textContent()).toMatch(/Sales database unavailable/);
  expect(await banner.getAttribute('data-kind')).toBe('mysql');
  expect(await kpi('orders').textContent()).toBe('4');
  expect(await page.locator('#conn').getAttribute('data-state')).toBe('down');
  await page.screenshot({ path: `${artifactsDir}dashboard-db-down.png` });

  // A page opened while the database is down says so instead of staying blank.
  const fresh = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await fresh.goto(`${dash.url}/?range=15m`);
  await fresh.locator('#banner').waitFor({ state: 'visible', timeout: 15_000 });
  expect(await fresh.locator('#loading').textContent()).toMatch(/cannot be loaded/);
  await fresh.close();

  await proxy.restore();
  await banner.waitFor({ state: 'hidden', timeout: 20_000 });
  expect(await page.locator('#conn').getAttribute('data-state')).toBe('live');
});
