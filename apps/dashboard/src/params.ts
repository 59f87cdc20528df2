/** The API's query parameters, parsed or refused with 400 {error: "invalid_parameter"}. */
import type { Request } from 'express';
import { HttpError } from '@salespipeline/shared';
import { BREAKDOWN_DIMS, type BreakdownDim } from './queries.js';
import { isRange, type RangeName } from './ranges.js';

const invalid = (message: string) => new HttpError(400, 'invalid_parameter', message);

const param = (req: Request, name: string): string | undefined => {
  const v = req.query[name];
  return typeof v === 'string' ? v : undefined;
};

export function rangeOf(req: Request): RangeName {
  const raw = param(req, 'range') ?? '1h';
  if (!isRange(raw)) throw invalid('range must be one of 15m, 1h, 24h, all');
  return raw;
}

export function dimOf(req: Request): BreakdownDim {
  const dim = param(req, 'dim') ?? 'status';
  if (!(BREAKDOWN_DIMS as readonly string[]).includes(dim)) {
    throw invalid(`dim must be one of ${BREAKDOWN_DIMS.join(', ')}`);
  }
  return dim as BreakdownDim;
}

/** How many SKUs a breakdown by sku lists. */
export function limitOf(req: Request): number {
  const limit = Number(param(req, 'limit') ?? '100');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('limit must be 1..1000');
  return limit;
}

export function rankingOf(req: Request): 'revenue' | 'quantity' {
  const by = param(req, 'by') ?? 'revenue';
  if (by !== 'revenue' && by !== 'quantity') throw invalid('by must be revenue or quantity');
  return by;
}
