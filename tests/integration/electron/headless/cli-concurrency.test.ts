// `lucid-ocr --concurrency N`: checked like the other options, and a real run through the page pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_OK, EXIT_USAGE } from '../../../../electron/headless/cli.js';
import { runMain } from './run-main.js';

const pdf = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/pdf/multipage-3.pdf');


test('--concurrency must be an integer from 1 to 64', async () => {
  for (const bad of ['0', '65', '1.5', 'many']) {
    const r = await runMain(['--concurrency', bad, pdf]);
    assert.equal(r.code, EXIT_USAGE, bad);
    assert.match(r.stderr, /--concurrency must be an integer from 1 to 64/);
  }
});

test('--concurrency 2 OCRs every page, in page order, the same as the text layer says', async () => {
  const ocr = await runMain(['--in-process', '--ep', 'cpu', '--concurrency', '2', '--pdf-mode', 'ocr', '--dpi', '100', pdf]);
  assert.equal(ocr.code, EXIT_OK, ocr.stderr);
  const layer = await runMain(['--in-process', '--ep', 'cpu', '--pdf-mode', 'text-layer', pdf]);
  assert.equal(layer.code, EXIT_OK, layer.stderr);
  const ocrPages = ocr.stdout.split('\f');
  const layerPages = layer.stdout.split('\f');
  assert.equal(ocrPages.length, 3, 'three pages separated by form feeds');
  // Each OCRed page shares its first long word with the same page's text layer (and not with a neighbour's order).
  ocrPages.forEach((t, i) => {
    const word = layerPages[i]!.match(/[A-Za-z]{7,}/)?.[0];
    assert.ok(word, `page ${i + 1} of the text layer has a long word`);
    assert.ok(t.includes(word), `page ${i + 1}: "${word}" in the OCR text`);
  });
});
