// The page pool on the CPU EP with real ONNX Runtime sessions, a real 3-page scanned PDF and real worker threads.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import { createPooledPipeline, defaultConcurrency, resolveConcurrency, type PooledOcrPipeline } from '../../../../engines/parallel/page-pool.js';
import { createOcrPipeline } from '../../../../engines/pipeline.js';
import type { Page, PageFailure } from '../../../../engines/types.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/pdf');
// Low enough to keep the file fast on a 2-core box, high enough for real text on every page.
const DPI = 80;
let pdf: string;
let texts: string[];

before(async () => {
  const out = await PDFDocument.create();
  for (const f of ['zsh-p40-scan.pdf', 'debref-p33-scan.pdf', 'gnuplot-p22-scan.pdf']) {
    const src = await PDFDocument.load(fs.readFileSync(path.join(fixtures, f)));
    const [p] = await out.copyPages(src, [0]);
    out.addPage(p!);
  }
  pdf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-pool-')), 'three-scans.pdf');
  fs.writeFileSync(pdf, await out.save());
  const single = await createOcrPipeline({ ep: 'cpu', concurrency: 1 });
  try {
    texts = (await single.recognizeFile(pdf, { dpi: DPI })).pages.map((p) => p.text);
  } finally {
    await single.dispose();
  }
  assert.equal(texts.length, 3);
  for (const t of texts) assert.ok(t.length > 100, 'every page has real text');
});

after(async () => {
  fs.rmSync(path.dirname(pdf), { recursive: true, force: true });
});

describe('page pool, concurrency 2', () => {
  let pool: PooledOcrPipeline;
  before(async () => {
    pool = await createPooledPipeline({ ep: 'cpu', concurrency: 2 });
    assert.equal(pool.concurrency, 2);
  });
  after(() => pool.dispose());

  test('gives the same page texts as one pipeline, handed over in page order', async () => {
    const seen: number[] = [];
    const doc = await pool.recognizeFile(pdf, { dpi: DPI, onPage: (p) => seen.push(p.index) });
    assert.deepEqual(seen, [0, 1, 2]);
    assert.deepEqual(doc.pages.map((p) => p.index), [0, 1, 2]);
    assert.deepEqual(doc.pages.map((p) => p.text), texts);
    assert.equal(doc.failures.length, 0);
    assert.equal(doc.source.pageCount, 3);
    assert.equal(doc.pages[0]!.source, 'pdf-render');
    assert.equal(pool.info().providers.length, 3);
  });

  test('pages in the asked order, out-of-range pages as failures in their place; keepPages false keeps none', async () => {
    const order: string[] = [];
    const doc = await pool.recognizeFile(pdf, {
      dpi: DPI,
      pages: [7, 2],
      keepPages: false,
      onPage: (p) => order.push(`page ${p.index}`),
      onPageFailure: (f) => order.push(`failed ${f.index} ${f.error.code}`),
    });
    assert.deepEqual(order, ['failed 7 PAGE_OUT_OF_RANGE', 'page 2']);
    assert.equal(doc.pages.length, 0);
  });

  test('cancellation between pages stops the document with CANCELLED; the pool keeps working', async () => {
    const ctrl = new AbortController();
    const got: Page[] = [];
    await assert.rejects(
      pool.recognizeFile(pdf, { dpi: DPI, signal: ctrl.signal, onPage: (p) => { got.push(p); ctrl.abort(); } }),
      (e: Error & { code?: string; file?: string }) => e.code === 'CANCELLED' && e.file === 'three-scans.pdf',
    );
    assert.deepEqual(got.map((p) => p.index), [0]);
    const again = await pool.recognizeFile(pdf, { dpi: DPI, pages: [1] });
    assert.equal(again.pages[0]!.text, texts[1]);
  });

  test('a thread that dies fails only its page, with file and page named; a new thread does the rest', async () => {
    pool.exitOnPageForTest(1);
    const failures: PageFailure[] = [];
    const doc = await pool.recognizeFile(pdf, { dpi: DPI, onPageFailure: (f) => failures.push(f) });
    assert.deepEqual(doc.pages.map((p) => p.index), [0, 2]);
    assert.deepEqual(doc.pages.map((p) => p.text), [texts[0], texts[2]]);
    assert.equal(failures.length, 1);
    const f = failures[0]!;
    assert.equal(f.index, 1);
    assert.equal(f.error.code, 'WORKER_CRASHED');
    assert.equal(f.error.file, 'three-scans.pdf');
    assert.equal(f.error.page, 1);
    assert.match(f.error.message, /page 2 of three-scans\.pdf/);
    // A new thread took the dead one's place (the hook fires once): page 1 now reads fine.
    const again = await pool.recognizeFile(pdf, { dpi: DPI, pages: [1] });
    assert.deepEqual(again.pages.map((p) => p.text), [texts[1]]);
  });
});

test('default concurrency: 1 on the CPU EP, min(8, cores/2) on a GPU; explicit values are checked', async () => {
  assert.equal(defaultConcurrency('cpu', 16), 1);
  assert.equal(defaultConcurrency('cuda', 16), 8);
  assert.equal(defaultConcurrency('cuda', 6), 3);
  assert.equal(defaultConcurrency('cuda', 1), 1);
  assert.equal(await resolveConcurrency({ ep: 'cpu' }), 1);
  assert.equal(await resolveConcurrency({ ep: 'cuda', concurrency: 3 }), 3);
  await assert.rejects(resolveConcurrency({ concurrency: 0 }), /concurrency must be an integer/);
});
