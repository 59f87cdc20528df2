/** Idempotent schema migrations of MySQL and Cassandra (also run alone: `salespipeline-processor migrate`). */
import type cassandra from 'cassandra-driver';
import type mysql from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import { cassandraSchema, MYSQL_MIGRATIONS, MYSQL_MIGRATIONS_TABLE, type Logger } from '@salespipeline/shared';

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

export async function migrateCassandra(
  client: cassandra.Client,
  keyspace: string,
  replication: string,
  logger: Logger,
): Promise<void> {
  for (const statement of cassandraSchema(keyspace, replication)) {
    await client.execute(statement, [], { prepare: false });
  }
  logger.info({ keyspace }, 'Cassandra schema ready');
}
