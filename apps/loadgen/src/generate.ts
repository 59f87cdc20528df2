/**
 * Synthetic orders shaped like the seed dataset (Pakistan e-commerce, item level): a catalogue of
 * SKUs in the dataset's categories with Zipf-like popularity, its payment methods and status mix.
 */
import type { AcceptedOrder, OrderItem, OrderStatus } from '@salespipeline/shared';

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CATEGORIES = [
  "Men's Fashion",
  "Women's Fashion",
  'Mobiles & Tablets',
  'Appliances',
  'Superstore',
  'Beauty & Grooming',
  'Home & Living',
  'Soghaat',
  'Others',
  'Entertainment',
  'Computing',
  'Health & Sports',
  'Kids & Baby',
  'School & Education',
  'Books',
] as const;

/** [value, weight]: the seed data's proportions, roughly. */
export const PAYMENT_METHODS: Array<[string, number]> = [
  ['cod', 45],
  ['Payaxis', 15],
  ['Easypay', 14],
  ['jazzwallet', 6],
  ['easypay_voucher', 6],
  ['bankalfalah', 5],
  ['customercredit', 3],
  ['jazzvoucher', 2],
  ['apg', 1.5],
  ['ublcreditcard', 1],
  ['mcblite', 1],
  ['Easypay_MA', 0.5],
];

export const STATUS_MIX: Array<[OrderStatus, number]> = [
  ['canceled', 34],
  ['complete', 33],
  ['received', 13],
  ['order_refunded', 13],
  ['refund', 2],
  ['closed', 2],
  ['pending', 2],
  ['processing', 1],
];

/** Picks from `weighted` by a uniform r in [0, 1): each value with its share of the weights. */
export function weightedPicker<T>(weighted: Array<[T, number]>): (r: number) => T {
  const values = weighted.map(([v]) => v);
  const weights = weighted.map(([, w]) => w);
  const total = weights.reduce((s, w) => s + w, 0);
  return (r) => {
    let x = r * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return values[i]!;
    }
    return values[values.length - 1]!;
  };
}

const pickStatus = weightedPicker(STATUS_MIX);
const pickPaymentMethod = weightedPicker(PAYMENT_METHODS);

interface Product {
  sku: string;
  category: string;
  priceCents: number;
}

export class OrderGenerator {
  private readonly random: () => number;
  private readonly products: Product[];
  /** Cumulative Zipf(s=1.1) weights over the catalogue, for skewed popularity. */
  private readonly cumulative: number[];
  private n = 0;
  /** The ISO text of the last on-time `created_at`: orders of one millisecond share it. */
  private lastNow = NaN;
  private lastNowIso = '';

  constructor(
    seed: number,
    private readonly idPrefix: string,
    catalogueSize = 2000,
  ) {
    this.random = prng(seed);
    this.products = Array.from({ length: catalogueSize }, (_, i) => {
      const category = CATEGORIES[Math.floor(this.random() * CATEGORIES.length)]!;
      // Log-normal-ish prices from ~50 to ~50,000 (PKR), cents exact.
      const priceCents = Math.round(Math.exp(4 + this.random() * 6.8)) * 100 + (this.random() < 0.3 ? 99 : 0);
      return { sku: `SKU-${category.slice(0, 3).toUpperCase().replace(/\W/g, 'X')}-${i}`, category, priceCents };
    });
    let acc = 0;
    this.cumulative = this.products.map((_, i) => (acc += 1 / Math.pow(i + 1, 1.1)));
  }

  private product(): Product {
    const x = this.random() * this.cumulative[this.cumulative.length - 1]!;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return this.products[lo]!;
  }

  next(now = Date.now()): AcceptedOrder {
    const id = this.n++;
    const r = this.random();
    const lines = r < 0.7 ? 1 : r < 0.9 ? 2 : 3 + Math.floor(this.random() * 3);
    const items: OrderItem[] = [];
    let total = 0;
    for (let i = 0; i < lines; i++) {
      const p = this.product();
      const qty = 1 + Math.floor(this.random() * this.random() * 4);
      const gross = p.priceCents * qty;
      const discount = this.random() < 0.2 ? Math.floor(gross * (0.05 + this.random() * 0.25)) : 0;
      total += gross - discount;
      items.push({
        item_id: `${id}-${i}`,
        sku: p.sku,
        category: p.category,
        price: p.priceCents / 100,
        qty_ordered: qty,
        discount_amount: discount / 100,
      });
    }
    return {
      order_id: `${this.idPrefix}${id}`,
      // Mostly "now", a few late by up to 10 minutes: late orders update their own minute.
      created_at:
        this.random() < 0.05 ? new Date(now - Math.floor(this.random() * 600_000)).toISOString() : this.isoOf(now),
      status: pickStatus(this.random()),
      customer_id: `C${Math.floor(this.random() * 100_000)}`,
      payment_method: pickPaymentMethod(this.random()),
      currency: 'PKR',
      items,
      grand_total: total / 100,
    };
  }

  private isoOf(now: number): string {
    if (now !== this.lastNow) {
      this.lastNow = now;
      this.lastNowIso = new Date(now).toISOString();
    }
    return this.lastNowIso;
  }
}
