// pdf.js must load without Node registering its source maps (engines/input/pdf-reader.ts loadPdfjs): core-js in
// pdf.js formats a stack as it loads, and with source-map support on (tsx runs these tests with it on) that
// parses pdf.worker.mjs.map into ~140 MB of heap the thread keeps for life.
import assert from 'node:assert/strict';
import { createRequire, findSourceMap } from 'node:module';
import { test } from 'node:test';
import v8 from 'node:v8';
import { loadPdfjs } from '../../../../engines/input/pdf-reader.js';

const require = createRequire(import.meta.url);

test('loadPdfjs registers no source map for pdf.js and leaves source-map support as it was', async () => {
  // Precondition: the runner (node --import tsx) has source maps on; otherwise this test proves nothing.
  if (!process.sourceMapsEnabled) process.setSourceMapsEnabled(true);
  const heapBeforeMiB = v8.getHeapStatistics().used_heap_size / 2 ** 20;
  const pdfjs = await loadPdfjs();
  assert.equal(typeof pdfjs.getDocument, 'function');
  assert.equal(process.sourceMapsEnabled, true, 'source-map support is restored for our own modules');
  for (const mod of ['pdfjs-dist/legacy/build/pdf.worker.mjs', 'pdfjs-dist/legacy/build/pdf.mjs']) {
    assert.equal(findSourceMap(require.resolve(mod)), undefined, `${mod}: no source map registered`);
  }
  // What the map would have cost: its parse alone grows the heap by >100 MB.
  const grownMiB = v8.getHeapStatistics().used_heap_size / 2 ** 20 - heapBeforeMiB;
  assert.ok(grownMiB < 80, `heap grew ${grownMiB.toFixed(0)} MiB loading pdf.js`);
});

test('a stack through pdf.js code is formatted without parsing its map', async () => {
  const pdfjs = await loadPdfjs();
  // A broken PDF makes pdf.js throw from its own code; formatting that error's stack must not load the map.
  const task = pdfjs.getDocument({ data: new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31]), verbosity: 0 });
  const err = await task.promise.then(
    () => null,
    (e: unknown) => e as Error,
  );
  assert.ok(err instanceof Error);
  assert.equal(typeof err.stack, 'string');
  assert.equal(findSourceMap(require.resolve('pdfjs-dist/legacy/build/pdf.worker.mjs')), undefined);
  await task.destroy();
});
