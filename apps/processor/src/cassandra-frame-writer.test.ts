import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import cassandra from 'cassandra-driver';
import { FrameBuffer, patchCassandraFrameWriter } from './cassandra-frame-writer.js';
import { cqlBigint, cqlDecimal, cqlTimestamp } from './cql-values.js';

const require = createRequire(import.meta.url);
interface DriverRequest {
  write(encoder: unknown, streamId: number): Buffer;
}
type RequestClass = new (...args: unknown[]) => DriverRequest;
const requests = require('cassandra-driver/lib/requests.js') as Record<string, RequestClass>;
const { ExecutionOptions } = require('cassandra-driver/lib/execution-options.js') as {
  ExecutionOptions: { empty(): object };
};
const { FrameWriter } = require('cassandra-driver/lib/writers.js') as {
  FrameWriter: new (opcode: number) => { buffers: Buffer[]; writeInt(n: number): void };
};
const { dataTypes, Long, consistencies } = cassandra.types;
/** The driver's encoder and opcodes (not in its typings). */
const Encoder = require('cassandra-driver/lib/encoder.js') as new (version: number, options: object) => unknown;
const { opcodes } = require('cassandra-driver/lib/types/index.js') as { opcodes: Record<string, number> };

/** Execution options as a client gives them, with a fixed timestamp and the settings under test. */
function options(settings: { logged?: boolean; payload?: Record<string, Buffer>; keyspace?: string } = {}): object {
  return Object.assign(Object.create(ExecutionOptions.empty()) as object, {
    getOrGenerateTimestamp: () => Long.fromNumber(1_764_000_000_000_123),
    getConsistency: () => consistencies.localQuorum,
    isBatchLogged: () => settings.logged ?? false,
    getCustomPayload: () => settings.payload,
    getKeyspace: () => settings.keyspace,
    getFetchSize: () => 5000,
  });
}

const idColumns = [dataTypes.text, dataTypes.blob, dataTypes.timestamp, dataTypes.int, dataTypes.bigint].map(
  (code) => ({ type: { code, info: null } }),
);
const idMeta = { columns: idColumns };
const queryId = Buffer.from('0123456789abcdef', 'hex');
const idParams = (n: number) => [
  `order-${n}-é`,
  Buffer.from(JSON.stringify({ order_id: `order-${n}`, note: 'x'.repeat(n * 37) })),
  cqlTimestamp(1_764_000_000_000 + n),
  n % 6,
  cqlBigint(String(n * 1000)),
];

/** Every kind of request the processor and the driver itself send, encoded for protocol v3 to v5. */
function frames(): Buffer[] {
  const out: Buffer[] = [];
  for (const version of [3, 4, 5]) {
    const encoder = new Encoder(version, {});
    const batch = (rows: number, opts: object) =>
      new requests.BatchRequest!(
        Array.from({ length: rows }, (_, n) => ({ query: 'INSERT …', params: idParams(n), queryId, meta: idMeta })),
        opts,
      );
    out.push(batch(20, options()).write(encoder, 7));
    out.push(batch(300, options({ logged: true })).write(encoder, 32_000));
    out.push(batch(1, options({ payload: { k: Buffer.from('v') } })).write(encoder, 0));
    out.push(new requests.ExecuteRequest!('INSERT …', queryId, idParams(3), options(), idMeta).write(encoder, 12));
    out.push(
      new requests.ExecuteRequest!('INSERT …', queryId, [null, cqlDecimal(-1234.5), 'ü'], options(), {
        columns: [idColumns[1], { type: { code: dataTypes.decimal, info: null } }, idColumns[0]],
      }).write(encoder, 13),
    );
    out.push(
      new requests.QueryRequest!('SELECT * FROM t WHERE k = ?', ['ß'], options({ keyspace: 'ks' }), false).write(
        encoder,
        1,
      ),
    );
    out.push(new requests.PrepareRequest!('SELECT now() FROM system.local', 'ks').write(encoder, 2));
    out.push(new requests.StartupRequest!({ cqlVersion: '3.0.0', noCompact: false }).write(encoder, 3));
    out.push(new requests.CredentialsRequest!('user', 'pässword').write(encoder, 4));
    out.push(new requests.AuthResponseRequest!(Buffer.from('token')).write(encoder, 5));
    out.push(new requests.RegisterRequest!(['TOPOLOGY_CHANGE', 'STATUS_CHANGE']).write(encoder, 6));
  }
  // Protocol v2: 1-byte stream ids, an 8-byte header.
  const v2 = new Encoder(2, {});
  out.push(new requests.ExecuteRequest!('INSERT …', queryId, idParams(2), options(), idMeta).write(v2, 9));
  out.push(new requests.StartupRequest!({ cqlVersion: '3.0.0' }).write(v2, 1));
  return out;
}

describe('patchCassandraFrameWriter', () => {
  it('encodes every request byte for byte as the driver does', () => {
    const expected = frames();
    patchCassandraFrameWriter();
    patchCassandraFrameWriter();
    const writer = new FrameWriter(opcodes.options!);
    writer.writeInt(1);
    expect(writer.buffers).toHaveLength(0); // (the driver's own writer keeps a Buffer per field there)
    const actual = frames();
    expect(actual).toHaveLength(expected.length);
    actual.forEach((frame, i) => expect(frame.equals(expected[i]!)).toBe(true));
  });
});

describe('FrameBuffer', () => {
  it('grows past its starting room, keeping what was written', () => {
    const f = new FrameBuffer(64);
    const payload = Buffer.alloc(1000, 7);
    f.byte(1);
    f.bytes(payload);
    f.string('ab', 2);
    const frame = f.frame(4, 0, 3, 0x0a);
    expect(frame.length).toBe(9 + 1 + 1000 + 4);
    expect(frame.readUInt32BE(5)).toBe(1005);
    expect(frame.subarray(10, 1010).equals(payload)).toBe(true);
    expect(frame.subarray(1010).toString('latin1')).toBe('\u0000\u0002ab');
  });
});
