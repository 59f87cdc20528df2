/** Writes the generated CRD and RBAC (crds/). Run: npm run -w @salespipeline/cdk8s generate */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedFiles } from './generated.js';

const root = join(import.meta.dirname, '..', '..');
for (const [path, content] of Object.entries(generatedFiles())) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  process.stdout.write(`wrote ${path}\n`);
}
