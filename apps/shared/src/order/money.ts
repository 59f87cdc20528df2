/**
 * Money in integer cents (minor units, 2 decimals). JSON numbers are converted once, after validation,
 * and every sum is then an exact integer; DECIMAL strings are produced for MySQL/Cassandra.
 */

const FAST_CENTS = 2 ** 49;

/**
 * Cents of an amount, or undefined when it has more than 2 decimals. The test is exact: it reads the
 * shortest decimal that parses back to the same double (what the client wrote, or the closest number
 * JSON could carry), so 499999.999 is rejected however close to a cent it lies.
 */
export function toCents(amount: number): number | undefined {
  const near = Math.round(amount * 100);
  // Below 2^49 cents the product is within 0.2 of the cents, and two amounts a cent apart are different
  // doubles: the amount has at most 2 decimals exactly when cents / 100 gives it back (no string needed).
  if (Math.abs(near) <= FAST_CENTS) return near / 100 === amount ? near + 0 : undefined;
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount));
  if (!m) return undefined;
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) return undefined;
  return m[1] && cents !== 0 ? -cents : cents;
}

export function centsOf(amount: number): number {
  const cents = toCents(amount);
  if (cents === undefined) throw new RangeError(`${amount} has more than 2 decimals`);
  return cents;
}

/** "1234.05" from 123405; exact for any safe integer. */
export function centsToDecimal(cents: number | bigint): string {
  const big = BigInt(cents);
  const negative = big < 0n;
  const abs = negative ? -big : big;
  const units = abs / 100n;
  const rest = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${units}.${rest}`;
}

/** 123405 from "1234.05" / 1234.05 (a DECIMAL read back from a database). */
export function decimalToCents(value: string | number): number {
  const s = typeof value === 'number' ? value.toFixed(2) : value.trim();
  const m = /^(-?)(\d+)(?:\.(\d{1,2})\d*)?$/.exec(s);
  if (!m) throw new RangeError(`not a decimal: ${s}`);
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '0').padEnd(2, '0'));
  return m[1] ? -cents : cents;
}

/** Net amount of a line in cents: price × qty − discount. */
export function lineNetCents(item: { price: number; qty_ordered: number; discount_amount: number }): number {
  return centsOf(item.price) * item.qty_ordered - centsOf(item.discount_amount);
}
