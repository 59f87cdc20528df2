/** Defaulting and validation of a spec in-process, from the same schema the CRD carries. */
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { specSchema, type CelRule, type SalesPipelineSpec, type SalesPipelineSpecInput } from './schema.js';

/** The spec with every default filled in, as the apiserver would (the input is not modified). */
export function withDefaults(input: SalesPipelineSpecInput | undefined): SalesPipelineSpec {
  return Value.Default(specSchema, structuredClone(input ?? {})) as SalesPipelineSpec;
}

export type SpecCheck = { ok: true; spec: SalesPipelineSpec } | { ok: false; problems: string[] };

/**
 * Defaults then validates a spec: the OpenAPI schema, then the CEL rules that have a TypeScript twin.
 * The apiserver rejects most invalid specs already; this catches what slips through (an object
 * stored before a CRD change, a rule only the operator can check) so it becomes a status condition.
 */
export function checkSpec(input: SalesPipelineSpecInput | undefined): SpecCheck {
  const spec = withDefaults(input);
  const problems = [...Value.Errors(specSchema, spec)].map((e) => `spec${e.path.replace(/\//g, '.')}: ${e.message}`);
  if (problems.length === 0) problems.push(...celProblems(specSchema, spec, 'spec'));
  return problems.length === 0 ? { ok: true, spec } : { ok: false, problems };
}

function celProblems(schema: TSchema, value: unknown, path: string): string[] {
  if (value === undefined) return [];
  const rules = (schema['x-kubernetes-validations'] ?? []) as CelRule[];
  const problems = rules.filter((r) => r.holds && !r.holds(value)).map((r) => `${path}: ${r.message}`);
  const properties = schema.properties as Record<string, TSchema> | undefined;
  if (properties && typeof value === 'object' && value !== null) {
    for (const [key, sub] of Object.entries(properties)) {
      problems.push(...celProblems(sub, (value as Record<string, unknown>)[key], `${path}.${key}`));
    }
  }
  return problems;
}
