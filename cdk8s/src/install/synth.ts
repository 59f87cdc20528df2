/** Writes k8s/ and the generated parts of the Helm chart. Run: npx tsx cdk8s/src/install/synth.ts */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { installFiles } from './files.js';

const root = join(import.meta.dirname, '..', '..', '..');
// k8s/ is wholly generated: remove what the sources no longer produce (a renamed sample, say).
const files = installFiles();
const stale = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? stale(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
  );
mkdirSync(join(root, 'k8s'), { recursive: true });
for (const path of stale('k8s').filter((p) => !(p in files) && p !== 'k8s/README.md')) {
  rmSync(join(root, path));
  process.stdout.write(`removed ${path}\n`);
}
for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  process.stdout.write(`wrote ${path}\n`);
}
