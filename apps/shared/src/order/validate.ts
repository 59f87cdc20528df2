/**
 * Validation of orders: the compiled JSON Schema (shape, types, bounds, unknown fields) followed by
 * the checks JSON Schema cannot express (2-decimal money, grand_total = Σ lines, event time not in
 * the future). Every error names its field as a JSON Pointer.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { LIMITS, OrderBatchSchema, OrderSchema, type AcceptedOrder, type ValidationIssue } from './schema.js';
import { centsOf, toCents } from './money.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: false });
addFormats(ajv, ['date-time']);
const checkOrderShape = ajv.compile(OrderSchema);
const checkBatchShape = ajv.compile(OrderBatchSchema);

export interface ValidateOptions {
  /** Milliseconds since the epoch the future bound is measured against (default: now). */
  now?: number;
  /** Currency set on orders that have none. */
  defaultCurrency?: string;
}

export type OrderResult = { ok: true; order: AcceptedOrder } | { ok: false; errors: ValidationIssue[] };
export interface BatchIssue extends ValidationIssue {
  /** Position of the order in the batch; absent for errors of the envelope itself. */
  index?: number;
}
export type BatchResult = { ok: true; orders: AcceptedOrder[] } | { ok: false; errors: BatchIssue[] };

function toIssue(e: ErrorObject): ValidationIssue {
  switch (e.keyword) {
    case 'required':
      return { path: `${e.instancePath}/${String(e.params.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return { path: `${e.instancePath}/${String(e.params.additionalProperty)}`, message: 'unknown field' };
    case 'enum':
      return { path: e.instancePath, message: `must be one of ${(e.params.allowedValues as string[]).join(', ')}` };
    default:
      return { path: e.instancePath, message: e.message ?? e.keyword };
  }
}

/** The checks beyond the schema, on an order whose shape is valid. */
function semanticIssues(order: AcceptedOrder, now: number): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const created = Date.parse(order.created_at);
  if (!Number.isFinite(created)) issues.push({ path: '/created_at', message: 'is not a valid date-time' });
  else if (created > now + LIMITS.maxFutureMs)
    issues.push({ path: '/created_at', message: 'must not be more than 5 minutes in the future' });
  let sum = 0;
  let moneyOk = true;
  order.items.forEach((item, i) => {
    for (const field of ['price', 'discount_amount'] as const) {
      if (toCents(item[field]) === undefined) {
        moneyOk = false;
        issues.push({ path: `/items/${i}/${field}`, message: 'must have at most 2 decimals' });
      }
    }
    if (moneyOk) sum += centsOf(item.price) * item.qty_ordered - centsOf(item.discount_amount);
  });
  const total = toCents(order.grand_total);
  if (total === undefined) issues.push({ path: '/grand_total', message: 'must have at most 2 decimals' });
  else if (moneyOk && Math.abs(total - sum) > 1)
    issues.push({
      path: '/grand_total',
      message: `must equal Σ(price × qty_ordered − discount_amount) = ${(sum / 100).toFixed(2)} within 0.01`,
    });
  return issues;
}

function accept(order: AcceptedOrder, defaultCurrency: string): AcceptedOrder {
  if (order.currency === undefined) order.currency = defaultCurrency;
  return order;
}

/** Validates one order (the parsed JSON body). On success the order is returned with its currency set. */
export function validateOrder(input: unknown, options: ValidateOptions = {}): OrderResult {
  if (!checkOrderShape(input)) return { ok: false, errors: (checkOrderShape.errors ?? []).map(toIssue) };
  const order = input as AcceptedOrder;
  const errors = semanticIssues(order, options.now ?? Date.now());
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, order: accept(order, options.defaultCurrency ?? 'USD') };
}

/** Validates a batch body `{orders: [...]}`: all or nothing, each error with the order's index. */
export function validateBatch(input: unknown, options: ValidateOptions = {}): BatchResult {
  if (!checkBatchShape(input)) {
    return {
      ok: false,
      errors: (checkBatchShape.errors ?? []).map((e) => {
        const issue = toIssue(e);
        const m = /^\/orders\/(\d+)(\/.*)?$/.exec(issue.path);
        return m ? { index: Number(m[1]), path: m[2] ?? '', message: issue.message } : issue;
      }),
    };
  }
  const now = options.now ?? Date.now();
  const orders = (input as { orders: AcceptedOrder[] }).orders;
  const errors: BatchIssue[] = [];
  orders.forEach((order, index) => {
    for (const issue of semanticIssues(order, now)) errors.push({ index, ...issue });
  });
  if (errors.length > 0) return { ok: false, errors };
  const currency = options.defaultCurrency ?? 'USD';
  return { ok: true, orders: orders.map((o) => accept(o, currency)) };
}
