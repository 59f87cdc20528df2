/**
 * CQL values encoded here as the bytes the native protocol carries (the driver sends a Buffer as it
 * is): cheaper than the driver's Date, Long and BigDecimal objects, which it encodes the same way.
 */
import { centsOf } from '@salespipeline/shared';

const TWO_32 = 2 ** 32;

/** A CQL bigint (8 bytes, big-endian two's complement) of a safe integer. */
function int64(value: number): Buffer {
  const buf = Buffer.allocUnsafe(8);
  const high = Math.floor(value / TWO_32);
  buf.writeInt32BE(high, 0);
  buf.writeUInt32BE(value - high * TWO_32, 4);
  return buf;
}

/** A CQL timestamp: milliseconds since the epoch. */
export const cqlTimestamp = (ms: number): Buffer => int64(ms);

/** A CQL bigint of a Kafka offset (a decimal string). */
export function cqlBigint(decimal: string): Buffer {
  const buf = Buffer.allocUnsafe(8);
  buf.writeBigInt64BE(BigInt(decimal));
  return buf;
}

/** A CQL decimal of an amount: its cents as the unscaled varint (shortest two's complement), scale 2. */
export function cqlDecimal(amount: number): Buffer {
  const cents = centsOf(amount);
  const bytes: number[] = [];
  // A negative number's bytes are those of -n - 1, inverted.
  let rest = cents < 0 ? -cents - 1 : cents;
  const invert = cents < 0 ? 0xff : 0;
  do {
    bytes.push((rest % 256) ^ invert);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  // The top bit is the sign: one more byte when it says otherwise.
  if ((bytes[bytes.length - 1]! & 0x80) !== (invert & 0x80)) bytes.push(invert);
  const buf = Buffer.allocUnsafe(4 + bytes.length);
  buf.writeInt32BE(2, 0);
  for (let i = 0; i < bytes.length; i++) buf[4 + i] = bytes[bytes.length - 1 - i]!;
  return buf;
}
