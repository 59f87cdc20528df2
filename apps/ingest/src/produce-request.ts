/**
 * The body of a Kafka Produce request (versions 3–7, one wire format: record batches of magic 2),
 * written in one pass into one buffer. kafkajs 2.2.4 encodes each record into its own zero-filled
 * 512-byte Buffer (grown and copied for a larger value), copies every record into its batch, the batch
 * into its partition, the partition into its topic and the topic into the request, with a 64-bit Long
 * object per varlong and an object spread per record, and checksums a byte at a time: in a profile
 * of ingest at the pipeline benchmark's 100 batches of 100 orders a second that was ~25 % of its CPU,
 * with the garbage it made.
 * The bytes are the same as kafkajs' (a test compares them); what the encoding cannot take as it is
 * (compression, headers, keys or values that are neither strings nor Buffers) is left to kafkajs.
 */
import { createRequire } from 'node:module';
import { crc32c } from './crc32c.js';

export interface ProduceMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  timestamp?: string | number | null;
  headers?: Record<string, unknown>;
}

export interface ProducePartition {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}

export interface ProduceRequestData {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  /** A kafkajs Long, a number or a decimal string. */
  producerId?: unknown;
  producerEpoch?: number;
  topicData: Array<{ topic: string; partitions: ProducePartition[] }>;
}

const require = createRequire(import.meta.url);

const isBytes = (v: unknown): v is string | Buffer | null | undefined =>
  v === null || v === undefined || typeof v === 'string' || Buffer.isBuffer(v);
const hasHeaders = (m: ProduceMessage): boolean => m.headers !== undefined && Object.keys(m.headers).length > 0;

/** Whether encodeProduceRequest writes these records as kafkajs would (else kafkajs encodes them). */
export function encodable(data: ProduceRequestData): boolean {
  for (const { partitions } of data.topicData) {
    for (const { messages } of partitions) {
      for (const m of messages) {
        if (!isBytes(m.key) || !isBytes(m.value) || hasHeaders(m)) return false;
        // kafkajs takes 0 and '' for "no timestamp" in one place and for a timestamp in another.
        if (m.timestamp != null && !(Number(m.timestamp) > 0 && Number.isSafeInteger(Number(m.timestamp))))
          return false;
      }
    }
  }
  return true;
}

const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

/** Bytes of an unsigned varint of a non-negative safe integer. */
function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeUvarint(buf: Buffer, offset: number, n: number): number {
  while (n >= 128) {
    buf[offset++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[offset++] = n;
  return offset;
}

/** UTF-8 length of a key or value (-1: null). */
const byteLength = (v: string | Buffer | null | undefined): number =>
  v == null ? -1 : typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;

/** Bytes of a varint-prefixed key or value of `length` bytes (-1: null). */
const sizedBytes = (length: number): number => uvarintSize(zigzag(length)) + Math.max(0, length);

function writeSizedBytes(buf: Buffer, offset: number, v: string | Buffer | null | undefined, length: number): number {
  offset = writeUvarint(buf, offset, zigzag(length));
  if (v == null) return offset;
  if (typeof v === 'string') return offset + buf.write(v, offset, length, 'utf8');
  return offset + v.copy(buf, offset);
}

/** One partition's record batch, measured before it is written. */
interface Batch {
  partition: number;
  firstSequence: number;
  messages: ProduceMessage[];
  firstTimestamp: number;
  maxTimestamp: number;
  /** Per record: timestamp delta, key length, value length, body size. */
  deltas: number[];
  keyLengths: number[];
  valueLengths: number[];
  bodySizes: number[];
  /** Bytes from the attributes to the last record (what the CRC covers). */
  crcLength: number;
}

// Record batch header after the batch length: leader epoch, magic, CRC; then the CRC's range starts
// with attributes, last offset delta, first and max timestamp, producer id, epoch, first sequence, count.
const batchPrefix = 4 + 1 + 4;
const batchFixed = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

function measureBatch(p: ProducePartition, now: number): Batch {
  const { messages } = p;
  let first = Infinity;
  let max = -Infinity;
  for (const m of messages) {
    if (m.timestamp == null) continue;
    const t = Number(m.timestamp);
    if (t < first) first = t;
    if (t > max) max = t;
  }
  if (first === Infinity) first = max = now;
  const batch: Batch = {
    partition: p.partition,
    firstSequence: p.firstSequence ?? 0,
    messages,
    firstTimestamp: first,
    maxTimestamp: max,
    deltas: new Array<number>(messages.length),
    keyLengths: new Array<number>(messages.length),
    valueLengths: new Array<number>(messages.length),
    bodySizes: new Array<number>(messages.length),
    crcLength: batchFixed,
  };
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const delta = (m.timestamp == null ? now : Number(m.timestamp)) - first;
    const keyLength = byteLength(m.key);
    const valueLength = byteLength(m.value);
    // attributes, timestamp delta, offset delta, key, value, header count (0)
    const body =
      1 + uvarintSize(zigzag(delta)) + uvarintSize(zigzag(i)) + sizedBytes(keyLength) + sizedBytes(valueLength) + 1;
    batch.deltas[i] = delta;
    batch.keyLengths[i] = keyLength;
    batch.valueLengths[i] = valueLength;
    batch.bodySizes[i] = body;
    batch.crcLength += uvarintSize(zigzag(body)) + body;
  }
  return batch;
}

/** Bytes of a partition's entry: partition, record set size, first offset, batch length, the batch. */
const partitionSize = (b: Batch): number => 4 + 4 + 8 + 4 + batchPrefix + b.crcLength;

function writeBatch(buf: Buffer, offset: number, b: Batch, producerId: bigint, epoch: number, txn: boolean): number {
  const batchLength = batchPrefix + b.crcLength;
  offset = buf.writeInt32BE(b.partition, offset);
  offset = buf.writeInt32BE(8 + 4 + batchLength, offset);
  offset = buf.writeBigInt64BE(0n, offset); // first offset
  offset = buf.writeInt32BE(batchLength, offset);
  offset = buf.writeInt32BE(0, offset); // partition leader epoch
  offset = buf.writeInt8(2, offset); // magic
  const crcAt = offset;
  offset += 4;
  const crcFrom = offset;
  offset = buf.writeInt16BE(txn ? 16 : 0, offset); // attributes: no compression
  offset = buf.writeInt32BE(b.messages.length - 1, offset);
  offset = buf.writeBigInt64BE(BigInt(b.firstTimestamp), offset);
  offset = buf.writeBigInt64BE(BigInt(b.maxTimestamp), offset);
  offset = buf.writeBigInt64BE(producerId, offset);
  offset = buf.writeInt16BE(epoch, offset);
  offset = buf.writeInt32BE(b.firstSequence, offset);
  offset = buf.writeInt32BE(b.messages.length, offset);
  for (let i = 0; i < b.messages.length; i++) {
    const m = b.messages[i]!;
    offset = writeUvarint(buf, offset, zigzag(b.bodySizes[i]!));
    buf[offset++] = 0; // record attributes
    offset = writeUvarint(buf, offset, zigzag(b.deltas[i]!));
    offset = writeUvarint(buf, offset, zigzag(i));
    offset = writeSizedBytes(buf, offset, m.key, b.keyLengths[i]!);
    offset = writeSizedBytes(buf, offset, m.value, b.valueLengths[i]!);
    buf[offset++] = 0; // no headers
  }
  buf.writeUInt32BE(crc32c(buf.subarray(crcFrom, offset)), crcAt);
  return offset;
}

/**
 * The Produce request body (after the request header) of `data`, byte for byte as kafkajs' v3
 * encoder writes it; `now` stands in for records without a timestamp. Only for data `encodable` accepts.
 */
export function encodeProduceRequest(data: ProduceRequestData, now = Date.now()): Buffer {
  const txn = data.transactionalId ?? null;
  const producerId = BigInt(String(data.producerId ?? -1));
  const epoch = data.producerEpoch ?? 0;
  let size = 2 + (txn === null ? 0 : Buffer.byteLength(txn)) + 2 + 4 + 4;
  const topics = data.topicData.map(({ topic, partitions }) => {
    const batches = partitions.map((p) => measureBatch(p, now));
    size += 2 + Buffer.byteLength(topic) + 4;
    for (const b of batches) size += partitionSize(b);
    return { topic, batches };
  });
  const buf = Buffer.allocUnsafe(size);
  let offset = 0;
  if (txn === null) offset = buf.writeInt16BE(-1, offset);
  else {
    offset = buf.writeInt16BE(Buffer.byteLength(txn), offset);
    offset += buf.write(txn, offset, 'utf8');
  }
  offset = buf.writeInt16BE(data.acks, offset);
  offset = buf.writeInt32BE(data.timeout, offset);
  offset = buf.writeInt32BE(topics.length, offset);
  for (const { topic, batches } of topics) {
    offset = buf.writeInt16BE(Buffer.byteLength(topic), offset);
    offset += buf.write(topic, offset, 'utf8');
    offset = buf.writeInt32BE(batches.length, offset);
    for (const b of batches) offset = writeBatch(buf, offset, b, producerId, epoch, txn !== null);
  }
  if (offset !== size) throw new Error(`produce request encoded ${offset} of ${size} bytes`);
  return buf;
}

interface KafkaRequest {
  apiVersion: number;
  encode: () => Promise<unknown>;
}
type BuildRequest = (args: ProduceRequestData & { compression?: number }) => {
  request: KafkaRequest;
  response: unknown;
};
interface ProduceDefinitions {
  protocol: (v: { version: number }) => BuildRequest;
}
type EncoderClass = new (size?: number) => { buf: Buffer; offset: number };

const patched = Symbol('salespipeline:produceRequestEncoding');

/**
 * Has kafkajs encode uncompressed Produce requests of versions 3–7 with encodeProduceRequest (once
 * per process; later calls do nothing). Any other request is encoded by kafkajs as before.
 */
export function patchKafkaProduceEncoding(): void {
  const produce = require('kafkajs/src/protocol/requests/produce/index.js') as ProduceDefinitions & {
    [patched]?: true;
  };
  const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
  if (produce[patched]) return;
  const protocol = produce.protocol;
  produce.protocol = ({ version }) => {
    const build = protocol({ version });
    if (version < 3 || version > 7) return build;
    return (args) => {
      const built = build(args);
      if ((args.compression ?? 0) !== 0 || !encodable(args)) return built;
      const encode = async () => {
        const body = encodeProduceRequest(args);
        // kafkajs frames the body as an Encoder (it reads `buf` and `buffer`): one that holds it.
        return Object.assign(new Encoder(0), { buf: body, offset: body.length });
      };
      return { ...built, request: { ...built.request, encode } };
    };
  };
  produce[patched] = true;
}
