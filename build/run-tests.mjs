#!/usr/bin/env node
// Runs the test suite with node's test runner: unit, then integration, then end-to-end. Node 20's
// runner does not expand globs itself, so the files are found here.
//   npm test                 # everything
//   npm test -- unit         # only files whose path contains "unit" (any number of filters)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const filters = process.argv.slice(2);

function find(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures' && !e.name.startsWith('.')) out.push(...find(p));
    } else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const order = ['unit', 'integration', 'e2e'];
const rank = (f) => {
  const i = order.findIndex((o) => f.includes(`${path.sep}tests${path.sep}${o}${path.sep}`));
  return i < 0 ? order.length : i;
};
const files = find(path.join(root, 'tests'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`No test files match ${filters.join(', ')}`);
  process.exit(1);
}
if (files.some((f) => rank(f) === 2) && !existsSync(path.join(root, 'dist/renderer/index.html'))) {
  console.error('The end-to-end tests need the built renderer: run `npm run build` (or `npm run setup`) first.');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files.map((f) => path.relative(root, f))], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
