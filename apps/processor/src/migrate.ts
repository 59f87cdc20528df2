/** Idempotent schema migrations of MySQL and Cassandra (also run alone: `salespipeline-processor migrate`). */
import type cassandra from 'cassandra-driver';
import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import {
  CASSANDRA_MIGRATIONS,
  MYSQL_MIGRATIONS,
  MYSQL_MIGRATIONS_TABLE,
  replicationCql,
  replicationOf,
  sameReplication,
  type Logger,
  type Replication,
} from '@salespipeline/shared';

const ER_DUP_FIELDNAME = 1060;

export async function migrateMysql(pool: mysql.Pool, logger: Logger): Promise<number[]> {
  await pool.query(MYSQL_MIGRATIONS_TABLE);
  const conn = await pool.getConnection();
  const applied: number[] = [];
  try {
    // One migrator at a time (several processor pods may start together).
    await conn.query("SELECT GET_LOCK('salespipeline_migrations', 60)");
    const [rows] = await conn.query<RowDataPacket[]>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    for (const m of MYSQL_MIGRATIONS) {
      if (done.has(m.version)) continue;
      for (const statement of m.statements) {
        // A migrator that died between an ALTER and its schema_migrations row leaves the columns
        // added: running the ALTER again finds them (ER_DUP_FIELDNAME), which is done, not an error.
        await conn.query(statement).catch((err: unknown) => {
          if ((err as { errno?: number }).errno !== ER_DUP_FIELDNAME) throw err;
        });
      }
      await conn.query('INSERT IGNORE INTO schema_migrations (version, name) VALUES (?, ?)', [m.version, m.name]);
      applied.push(m.version);
      logger.info({ version: m.version, name: m.name }, 'MySQL migration applied');
    }
  } finally {
    await conn.query("SELECT RELEASE_LOCK('salespipeline_migrations')").catch(() => undefined);
    conn.release();
  }
  return applied;
}

const created = /^\s*CREATE (KEYSPACE|TYPE|TABLE) IF NOT EXISTS ([a-z0-9_]+)(?:\.([a-z0-9_]+))?/i;
const added = /^\s*ALTER TABLE ([a-z0-9_]+)\.([a-z0-9_]+) ADD ([a-z0-9_]+)/i;
const existence = {
  KEYSPACE: 'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
  TYPE: 'SELECT type_name FROM system_schema.types WHERE keyspace_name = ? AND type_name = ?',
  TABLE: 'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
  COLUMN:
    'SELECT column_name FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ? AND column_name = ?',
} as const;

/** Another migrator added the column first (several processor pods may start together). */
const columnAddedMeanwhile = /conflicts with an existing column|already exists/i;

/** What a migration statement creates or adds: the existence query and its parameters. */
function objectOf(statement: string): { query: string; params: string[] } | undefined {
  const c = created.exec(statement);
  if (c) {
    const kind = c[1]!.toUpperCase() as 'KEYSPACE' | 'TYPE' | 'TABLE';
    return { query: existence[kind], params: kind === 'KEYSPACE' ? [c[2]!] : [c[2]!, c[3]!] };
  }
  const a = added.exec(statement);
  return a ? { query: existence.COLUMN, params: [a[1]!, a[2]!, a[3]!] } : undefined;
}

/**
 * Whether the object a `CREATE ... IF NOT EXISTS` or `ALTER TABLE ... ADD` statement makes is there
 * already. Only what is missing is made, so the processor's own role (no CREATE or ALTER permission)
 * runs the migrations as a no-op once `migrate` ran as a superuser.
 */
async function schemaObjectExists(client: cassandra.Client, statement: string): Promise<boolean> {
  const object = objectOf(statement);
  if (!object) return false;
  return (await client.execute(object.query, object.params, { prepare: true })).rowLength > 0;
}

/**
 * The keyspace (created with `replication`) and its tables. An existing keyspace keeps its replication:
 * raising it needs a repair before reads at LOCAL_QUORUM see the old rows, so a difference is logged
 * for an operator to act on and returned (the replication found), not changed here.
 */
export async function migrateCassandra(
  client: cassandra.Client,
  keyspace: string,
  replication: Replication,
  logger: Logger,
): Promise<{ replication: Replication }> {
  for (const migration of CASSANDRA_MIGRATIONS) {
    let applied = false;
    for (const statement of migration.statements(keyspace, replication)) {
      if (await schemaObjectExists(client, statement)) continue;
      await client.execute(statement, [], { prepare: false }).catch((err: unknown) => {
        if (!(added.test(statement) && columnAddedMeanwhile.test(String(err)))) throw err;
      });
      applied = true;
    }
    if (applied)
      logger.info({ keyspace, version: migration.version, name: migration.name }, 'Cassandra migration applied');
  }
  const row = (
    await client.execute('SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?', [keyspace], {
      prepare: true,
    })
  ).first();
  const found = replicationOf(row?.replication as Record<string, string>);
  if (!sameReplication(found, replication))
    logger.warn(
      { keyspace, found: replicationCql(found), wanted: replicationCql(replication) },
      `keyspace ${keyspace} exists with another replication; to change it: ALTER KEYSPACE ${keyspace} WITH replication = ${replicationCql(replication)}, then nodetool repair on every node`,
    );
  logger.info({ keyspace, replication: replicationCql(found) }, 'Cassandra schema ready');
  return { replication: found };
}
