/**
 * `make manifests`: writes every generated file (generated.ts) and removes, from the folders that are
 * wholly generated, what the sources no longer produce (a renamed sample, say).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedDirs, generatedFiles } from './generated.js';

const root = join(import.meta.dirname, '..', '..');
const files = generatedFiles();
const listed = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listed(`${dir}/${e.name}`) : [`${dir}/${e.name}`],
  );
for (const dir of generatedDirs) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const path of listed(dir).filter((p) => !(p in files))) {
    rmSync(join(root, path));
    process.stdout.write(`removed ${path}\n`);
  }
}
for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
  process.stdout.write(`wrote ${path}\n`);
}
