// A sandboxed preload (webPreferences.sandbox: true) cannot require() our other modules, so it is bundled
// into one CommonJS file, with `electron` left to the preload's own require.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'electron/preload/index.ts')],
  outfile: path.join(root, 'dist/preload/index.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
  sourcemap: true,
  logLevel: 'warning',
});
console.log('preload bundled: dist/preload/index.cjs');
