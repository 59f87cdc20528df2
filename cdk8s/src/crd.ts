/** The SalesPipeline CustomResourceDefinition, derived from the schema in api/schema.ts. */
import type { TSchema } from '@sinclair/typebox';
import { apiVersion, group, kind, plural, specSchema, statusSchema, version } from './api/schema.js';

/** Maximum SalesPipeline name length, so every derived name (e.g. `<name>-kafka-bootstrap`) fits 63. */
export const maxNameLength = 40;

/**
 * A TypeBox schema as a plain structural OpenAPI v3 schema: TypeBox's symbols and the TypeScript
 * twins of the CEL rules disappear in JSON; properties that have a default are not `required`
 * (the apiserver defaults them before validation, and users may leave them out).
 */
export function toOpenApi(schema: TSchema): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  // Object defaults written as `{}` are expanded to their fully defaulted value: the apiserver checks
  // a default against the CEL rules as written, without defaulting inside it first.
  const filled = (node: Record<string, unknown>, value: unknown): unknown => {
    const v = value === undefined ? structuredClone(node.default) : value;
    const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
    if (!properties || typeof v !== 'object' || v === null) return v;
    const out = { ...(v as Record<string, unknown>) };
    for (const [key, child] of Object.entries(properties)) {
      const c = filled(child, out[key]);
      if (c !== undefined) out[key] = c;
    }
    return out;
  };
  const walk = (node: Record<string, unknown>) => {
    if (node.properties && node.default !== undefined) node.default = filled(node, undefined);
    const properties = node.properties as Record<string, Record<string, unknown>> | undefined;
    if (properties) {
      for (const child of Object.values(properties)) walk(child);
      const required = ((node.required as string[] | undefined) ?? []).filter(
        (p) => properties[p]?.default === undefined,
      );
      if (required.length > 0) node.required = required;
      else delete node.required;
    }
    if (node.items) walk(node.items as Record<string, unknown>);
  };
  walk(plain);
  return plain;
}

const conditionColumn = (name: string, type: string) => ({
  name,
  type: 'string',
  jsonPath: `.status.conditions[?(@.type=="${type}")].status`,
});

export function salesPipelineCrd() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { 'app.kubernetes.io/part-of': 'salespipeline' } },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames: ['sp'] },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
            conditionColumn('Kafka', 'KafkaReady'),
            conditionColumn('Cassandra', 'CassandraReady'),
            conditionColumn('MySQL', 'MySQLReady'),
            { name: 'Processors', type: 'string', jsonPath: '.status.processors' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `${kind} (${apiVersion}): one sales analytics pipeline and everything it runs on.`,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: toOpenApi(specSchema),
                status: toOpenApi(statusSchema),
              },
              'x-kubernetes-validations': [
                {
                  rule: `size(self.metadata.name) <= ${maxNameLength}`,
                  message: `metadata.name must be at most ${maxNameLength} characters`,
                },
              ],
            },
          },
        },
      ],
    },
  };
}
