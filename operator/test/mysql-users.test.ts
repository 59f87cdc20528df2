/**
 * The per-app, least-privilege MySQL users on the real local MariaDB: the init file the MySQL chart renders
 * (the very bytes of its `<name>-mysql-init` Secret) is run as root, twice (mysqld runs it at every
 * start), then each app connects with the URL of its own key in the rendered `<name>-mysql-url`
 * Secret (host swapped for the local server). The processor runs the real migrations and writes; the
 * dashboard reads and is refused every write; neither reaches another database.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { desiredState, type KubeObject } from '@salespipeline/cdk8s';
import { createMysqlPool, MYSQL_MIGRATIONS, MYSQL_MIGRATIONS_TABLE } from '@salespipeline/shared';
import { testInfra, uniqueName } from '@salespipeline/shared/testing';
import type { Pool } from 'mysql2/promise';

const repo = join(import.meta.dirname, '..', '..');
const exec = promisify(execFile);

/** SQL as the MariaDB administrator (socket-authenticated root), through the infra script. */
async function rootSql(sql: string): Promise<string> {
  const child = exec(join(repo, 'scripts', 'infra', 'mariadb.sh'), ['sql', '-N', '-r'], { cwd: repo });
  child.child.stdin!.end(sql);
  return (await child).stdout;
}

const database = uniqueName('sp_test_users').slice(0, 60);
// Passwords with a quote, a backslash and URL-special characters: the SQL and URL quoting must hold.
const creds = { rootPassword: 'unused-root', processorPassword: "pr'oc\\pw@1/%", dashboardPassword: 'da"sh:pw#2?' };
let rendered: KubeObject[];
let processor: Pool;
let dashboard: Pool;
let other: string;

const secretValue = (name: string, key: string) => {
  const secret = rendered.find((o) => o.kind === 'Secret' && o.metadata.name === name) as
    (KubeObject & { data: Record<string, string> }) | undefined;
  if (!secret?.data[key]) throw new Error(`Secret ${name} has no key ${key}`);
  return Buffer.from(secret.data[key], 'base64').toString('utf8');
};
/** The rendered URL, pointed at the local MariaDB instead of the in-cluster Service. */
const localUrl = (renderedUrl: string) => {
  const local = new URL(testInfra().mysqlUrl);
  const url = new URL(renderedUrl);
  url.host = local.host;
  return url.toString();
};

beforeAll(async () => {
  rendered = desiredState(
    {
      apiVersion: 'salespipeline.io/v1alpha1',
      kind: 'SalesPipeline',
      metadata: { name: 'shop', namespace: 'sales', uid: '0b8a3c52-0000-4000-8000-000000000001' },
      spec: { mysql: { database } },
    },
    { mysqlCredentials: creds },
  );
  other = `${database.slice(0, 50)}_other`;
  await rootSql(`CREATE DATABASE \`${database}\`; CREATE DATABASE \`${other}\`;
    CREATE TABLE \`${other}\`.t (id INT PRIMARY KEY); INSERT INTO \`${other}\`.t VALUES (1);`);
  const initSql = secretValue('shop-mysql-init', 'users.sql');
  await rootSql(initSql);
  await rootSql(initSql); // idempotent: mysqld runs it at every start
  processor = createMysqlPool({ mysqlUrl: localUrl(secretValue('shop-mysql-url', 'processor-url')) });
  dashboard = createMysqlPool({ mysqlUrl: localUrl(secretValue('shop-mysql-url', 'dashboard-url')) });
});

afterAll(async () => {
  await processor?.end();
  await dashboard?.end();
  await rootSql(
    `DROP DATABASE IF EXISTS \`${database}\`; DROP DATABASE IF EXISTS \`${other}\`;
     DROP USER IF EXISTS 'processor'@'%'; DROP USER IF EXISTS 'dashboard'@'%';`,
  );
});

describe('per-app MySQL users from the rendered init file (real MariaDB)', () => {
  it('the URLs name the per-app users', () => {
    expect(new URL(secretValue('shop-mysql-url', 'processor-url')).username).toBe('processor');
    expect(new URL(secretValue('shop-mysql-url', 'dashboard-url')).username).toBe('dashboard');
  });

  it('processor: runs the real migrations, writes, updates and deletes', async () => {
    await processor.query(MYSQL_MIGRATIONS_TABLE);
    for (const m of MYSQL_MIGRATIONS) for (const statement of m.statements) await processor.query(statement);
    await processor.query('INSERT INTO schema_migrations (version, name) VALUES (?, ?)', [1, 'test']);
    await processor.query(
      `INSERT INTO sales_by_minute (dim, minute, dim_value, orders, items, revenue, discount)
       VALUES ('total', '2025-01-01 00:00:00', '', 1, 2, 3.00, 0) ON DUPLICATE KEY UPDATE orders = orders + 1`,
    );
    await processor.query("UPDATE sales_by_minute SET items = 5 WHERE dim = 'total'");
    await processor.query('ALTER TABLE processed_orders ADD INDEX by_minute (event_minute)');
    await processor.query('DELETE FROM schema_migrations WHERE version = 1');
    const [rows] = await processor.query('SELECT orders, items FROM sales_by_minute');
    expect(rows).toEqual([{ orders: 1, items: 5 }]);
  });

  it('processor: no DROP, no other database', async () => {
    await expect(processor.query('DROP TABLE sales_by_minute')).rejects.toThrow(/DROP command denied/);
    await expect(processor.query(`SELECT * FROM \`${other}\`.t`)).rejects.toThrow(/command denied/);
  });

  it('dashboard: reads, and every write or DDL is refused', async () => {
    const [rows] = await dashboard.query("SELECT orders, items FROM sales_by_minute WHERE dim = 'total'");
    expect(rows).toEqual([{ orders: 1, items: 5 }]);
    await expect(
      dashboard.query(
        `INSERT INTO sales_by_minute (dim, minute, dim_value, orders, items, revenue, discount)
         VALUES ('sku', '2025-01-01 00:00:00', 'x', 1, 1, 1, 0)`,
      ),
    ).rejects.toMatchObject({ code: 'ER_TABLEACCESS_DENIED_ERROR' });
    await expect(dashboard.query('UPDATE sales_by_minute SET orders = 0')).rejects.toThrow(/UPDATE command denied/);
    await expect(dashboard.query('DELETE FROM sales_by_minute')).rejects.toThrow(/DELETE command denied/);
    await expect(dashboard.query('CREATE TABLE x (id INT)')).rejects.toThrow(/CREATE command denied/);
    await expect(dashboard.query(`SELECT * FROM \`${other}\`.t`)).rejects.toThrow(/command denied/);
  });

  it('the users hold exactly the rendered grants', async () => {
    const grants = await rootSql("SHOW GRANTS FOR 'dashboard'@'%'");
    expect(grants).toContain(`GRANT SELECT ON \`${database.replace(/_/g, '\\_')}\`.* TO \`dashboard\`@\`%\``);
    expect(grants).not.toMatch(/INSERT|ALL PRIVILEGES/);
  });
});
