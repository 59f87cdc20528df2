import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { cassandraYaml } from './cassandra.js';

// The template's @PLACEHOLDERS@ (ports, folders) are filled in by scripts/infra/cassandra.sh.
const template = readFileSync(new URL('../../../scripts/infra/cassandra/cassandra.yaml.tmpl', import.meta.url), 'utf8');
const localYaml = yaml.load(template.replace(/@[A-Z_]+@/g, 'x')) as Record<string, unknown>;

describe("the K8ssandraCluster's cassandra.yaml", () => {
  it('says what the local node says on every setting it sets', () => {
    for (const [key, value] of Object.entries(cassandraYaml))
      expect({ key, value: localYaml[key] }).toEqual({ key, value });
  });
});
