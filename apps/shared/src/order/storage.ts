/**
 * Where orders are stored, shared by the processor (which owns the migrations) and the readers
 * (dashboard). MySQL holds the exact per-minute aggregates, the stream offsets and the order ids
 * already counted; Cassandra holds the raw orders, by id and by hour for "latest orders".
 */
import { replicationCql, type Replication } from './replication.js';

import { LIMITS } from './schema.js';

/** Dimensions of `sales_by_minute`; `total` has the single value ''. */
export const SALES_DIMENSIONS = ['total', 'status', 'category', 'payment_method', 'sku'] as const;
export type SalesDimension = (typeof SALES_DIMENSIONS)[number];

/**
 * The most one order adds to a row of `sales_by_minute`, from the schema's bounds: `amountCents` bounds
 * |grand_total|, |discount| and |net of one category or SKU| (a line's discount may exceed its price).
 */
export const ORDER_MAXIMA = {
  amountCents: BigInt(LIMITS.maxItems) * BigInt(LIMITS.maxQty) * BigInt(LIMITS.maxPrice) * 100n,
  items: BigInt(LIMITS.maxItems) * BigInt(LIMITS.maxQty),
};

/**
 * More orders than a row can count from one topic: each counted order is a distinct message, and a topic
 * has at most 2^31 partitions of at most 2^63 offsets.
 */
export const MAX_ORDERS_PER_TOPIC = 2n ** 94n;

/**
 * The counters of `sales_by_minute`, as MySQL's widest DECIMAL (65 digits): even MAX_ORDERS_PER_TOPIC
 * orders at ORDER_MAXIMA use 44 of them, so no row can overflow (an overflow is an error that would
 * stop its partition for good), and a recreated topic has room 10^21 times over.
 */
export const SALES_COUNTER_COLUMNS = {
  orders: { precision: 65, scale: 0 },
  items: { precision: 65, scale: 0 },
  revenue: { precision: 65, scale: 2 },
  discount: { precision: 65, scale: 2 },
} as const;

const salesCounterDefinitions = Object.entries(SALES_COUNTER_COLUMNS)
  .map(([name, { precision, scale }]) => `MODIFY ${name} DECIMAL(${precision},${scale}) NOT NULL`)
  .join(', ');

export interface MysqlMigration {
  version: number;
  name: string;
  statements: string[];
}

/**
 * Applied in order, each once (recorded in schema_migrations); the CREATE statements are idempotent too.
 * Text keys use binary collations: ids and names are compared exactly (the validator rejects
 * leading/trailing whitespace, so PAD SPACE collations cannot merge two values).
 */
export const MYSQL_MIGRATIONS: MysqlMigration[] = [
  {
    version: 1,
    name: 'stream offsets, processed orders, sales by minute',
    statements: [
      `CREATE TABLE IF NOT EXISTS stream_offsets (
        topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        kafka_partition INT NOT NULL,
        next_offset BIGINT NOT NULL,
        updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
        PRIMARY KEY (topic, kafka_partition)
      ) ENGINE=InnoDB`,
      `CREATE TABLE IF NOT EXISTS processed_orders (
        order_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
        kafka_partition INT NOT NULL,
        kafka_offset BIGINT NOT NULL,
        event_minute DATETIME NOT NULL,
        late TINYINT NOT NULL,
        accepted_at DATETIME(3) NOT NULL,
        processed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        KEY processed_at (processed_at)
      ) ENGINE=InnoDB`,
      `CREATE TABLE IF NOT EXISTS sales_by_minute (
        dim ENUM('total','status','category','payment_method','sku') NOT NULL,
        minute DATETIME NOT NULL,
        dim_value VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
        orders BIGINT NOT NULL,
        items BIGINT NOT NULL,
        revenue DECIMAL(20,2) NOT NULL,
        discount DECIMAL(20,2) NOT NULL,
        PRIMARY KEY (dim, minute, dim_value)
      ) ENGINE=InnoDB`,
    ],
  },
  {
    version: 2,
    name: 'sales_by_minute counters that no minute can overflow',
    statements: [`ALTER TABLE sales_by_minute ${salesCounterDefinitions}`],
  },
  {
    version: 3,
    name: 'stream offsets: fingerprint of the last message applied, topic resets, skipped messages',
    // ADD COLUMN IF NOT EXISTS is MariaDB-only; the migrator treats "column exists" as applied.
    statements: [
      `ALTER TABLE stream_offsets
        ADD COLUMN last_fingerprint CHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
        ADD COLUMN resets INT NOT NULL DEFAULT 0,
        ADD COLUMN skipped_messages BIGINT NOT NULL DEFAULT 0`,
    ],
  },
];

export const MYSQL_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB`;

/**
 * orders_by_hour holds the "latest orders", not every order (orders_by_id does): each batch the
 * processor writes keeps its newest this many orders of every hour, so the newest this many of any
 * hour are always there, and the dashboard shows at most this many.
 */
export const LATEST_ORDERS_PER_HOUR = 200;

/** The orders_by_hour partition of an instant: its UTC date (YYYY-MM-DD) and UTC hour, whatever the process's zone. */
export function hourPartitionOf(at: Date): { day: string; hour: number } {
  return { day: at.toISOString().slice(0, 10), hour: at.getUTCHours() };
}

export interface CassandraMigration {
  version: number;
  name: string;
  /** `CREATE ... IF NOT EXISTS` or `ALTER TABLE ... ADD` statements: each is skipped when its object exists. */
  statements: (keyspace: string, replication: Replication) => string[];
}

/**
 * The Cassandra schema, in order. A migration that has shipped is never edited: a change of shape is a
 * new migration (Cassandra cannot change a column's type, so a new shape is new columns).
 */
export const CASSANDRA_MIGRATIONS: CassandraMigration[] = [
  {
    version: 1,
    name: 'orders by id and by hour',
    statements: (ks, replication) => [
      `CREATE KEYSPACE IF NOT EXISTS ${ks} WITH replication = ${replicationCql(replication)}`,
      `CREATE TYPE IF NOT EXISTS ${ks}.order_line (
        item_id text, sku text, category text, price decimal, qty_ordered int, discount_amount decimal)`,
      // Point reads by id (the idempotency key): an upsert of the same order is a no-op.
      `CREATE TABLE IF NOT EXISTS ${ks}.orders_by_id (
        order_id text PRIMARY KEY,
        created_at timestamp, status text, customer_id text, payment_method text, currency text,
        grand_total decimal, items frozen<list<frozen<order_line>>>,
        accepted_at timestamp, kafka_partition int, kafka_offset bigint)`,
      // "Latest orders": one partition per UTC hour of event time, newest first.
      `CREATE TABLE IF NOT EXISTS ${ks}.orders_by_hour (
        day date, hour tinyint, created_at timestamp, order_id text,
        status text, customer_id text, payment_method text, currency text, grand_total decimal, item_count int,
        PRIMARY KEY ((day, hour), created_at, order_id)
      ) WITH CLUSTERING ORDER BY (created_at DESC, order_id ASC)`,
    ],
  },
  {
    version: 2,
    name: 'orders_by_id: the order as its JSON in one cell',
    // The order's JSON (the bytes of its Kafka record) replaces the typed columns created_at … items,
    // which rows written before keep (nothing reads them by column); see README "Cassandra schema".
    statements: (ks) => [`ALTER TABLE ${ks}.orders_by_id ADD order_json blob`],
  },
];
