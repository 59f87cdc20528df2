import { createRequire } from 'node:module';
import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import {
  encodable,
  encodeProduceRequest,
  patchKafkaProduceEncoding,
  type ProduceMessage,
  type ProduceRequestData,
} from './produce-request.js';

const require = createRequire(import.meta.url);
type Built = { request: { apiVersion: number; encode: () => Promise<{ buffer: Buffer }> } };
type Build = (args: ProduceRequestData & { compression?: number }) => Built;
const kafkajsV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  args: ProduceRequestData & { compression?: number },
) => Built['request'];
const Long = require('kafkajs/src/utils/long.js') as { fromValue: (v: unknown) => unknown };
const produceDefinitions = require('kafkajs/src/protocol/requests/produce/index.js') as {
  protocol: (v: { version: number }) => Build;
};

const kafkajsBytes = async (data: ProduceRequestData & { compression?: number }) =>
  (await kafkajsV3(data).encode()).buffer;

// Timestamps of one width: kafkajs orders them as strings, which for these is their numeric order.
const timestamp = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }).map(String),
  fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
);
const bytes = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
  fc.constant(null),
);
const message: fc.Arbitrary<ProduceMessage> = fc.record({ key: bytes, value: bytes, timestamp });
const data: fc.Arbitrary<ProduceRequestData> = fc.record({
  acks: fc.constantFrom(-1, 0, 1),
  timeout: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  transactionalId: fc.oneof(fc.constant(null), fc.string({ minLength: 1 })),
  producerId: fc.oneof(
    fc.bigInt({ min: -1n, max: 2n ** 63n - 1n }).map((v) => Long.fromValue(String(v))),
    fc.integer({ min: -1, max: 2 ** 40 }),
  ),
  producerEpoch: fc.integer({ min: 0, max: 32767 }),
  topicData: fc.array(
    fc.record({
      topic: fc.string({ minLength: 1, maxLength: 40 }),
      partitions: fc.array(
        fc.record({
          partition: fc.integer({ min: 0, max: 1000 }),
          firstSequence: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          messages: fc.array(message, { minLength: 1, maxLength: 30 }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    }),
    { minLength: 1, maxLength: 2 },
  ),
});

describe('encodeProduceRequest', () => {
  it('writes the bytes kafkajs writes for the same request (property)', async () => {
    await fc.assert(
      fc.asyncProperty(data, async (d) => {
        expect(encodable(d)).toBe(true);
        expect(encodeProduceRequest(d).equals(await kafkajsBytes(d))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('stamps records without a timestamp with the time given, as kafkajs does with its clock', async () => {
    const now = 1_750_000_000_123;
    const spy = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      const d: ProduceRequestData = {
        acks: -1,
        timeout: 5000,
        topicData: [
          {
            topic: 'orders',
            partitions: [
              {
                partition: 2,
                messages: [
                  { key: 'a', value: '{"x":1}' },
                  { key: 'b', value: 'é' },
                ],
              },
            ],
          },
        ],
      };
      expect(encodeProduceRequest(d, now).equals(await kafkajsBytes(d))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });

  it('leaves records with headers, keys of other types or odd timestamps to kafkajs', () => {
    const request = (m: ProduceMessage): ProduceRequestData => ({
      acks: -1,
      timeout: 1,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }, m] }] }],
    });
    expect(encodable(request({ key: 'k', value: 'v', headers: {} }))).toBe(true);
    expect(encodable(request({ key: 'k', value: 'v', headers: { h: 'x' } }))).toBe(false);
    expect(encodable(request({ key: 42 as unknown as string, value: 'v' }))).toBe(false);
    expect(encodable(request({ key: 'k', value: 'v', timestamp: 'soon' }))).toBe(false);
    expect(encodable(request({ key: 'k', value: 'v', timestamp: 0 }))).toBe(false);
    expect(encodable(request({ key: 'k', value: 'v', timestamp: '' }))).toBe(false);
  });
});

describe('patchKafkaProduceEncoding', () => {
  const sample = (m: ProduceMessage): ProduceRequestData & { compression?: number } => ({
    acks: -1,
    timeout: 5000,
    producerId: Long.fromValue(7),
    producerEpoch: 1,
    topicData: [{ topic: 'orders', partitions: [{ partition: 0, firstSequence: 3, messages: [m] }] }],
  });

  it("has kafkajs' produce requests of versions 3–7 encoded alike, and leaves what it cannot encode to kafkajs", async () => {
    patchKafkaProduceEncoding();
    patchKafkaProduceEncoding();
    const plain = sample({ key: 'o-1', value: '{"order_id":"o-1"}', timestamp: '1750000000000' });
    const withHeaders = sample({ key: 'o-1', value: 'v', timestamp: '1750000000000', headers: { h: 'x' } });
    const gzip = { ...plain, compression: 1 };
    for (const version of [3, 4, 5, 6, 7]) {
      const build = produceDefinitions.protocol({ version });
      for (const args of [plain, withHeaders, gzip]) {
        const built = build(args);
        expect(built.request.apiVersion).toBe(version);
        const encoded = (await built.request.encode()) as { buffer: Buffer; buf: Buffer };
        expect(encoded.buffer.equals(await kafkajsBytes(args))).toBe(true);
        // This encoding's buffer is the body's exact size; kafkajs' grows in powers of two.
        expect(encoded.buf.length === encoded.buffer.length).toBe(args === plain);
      }
    }
  });
});
