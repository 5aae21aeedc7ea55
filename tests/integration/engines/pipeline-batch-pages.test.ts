// recBatchPages: the lines of consecutive pages share one recognition pass, in one pipeline and in each page
// thread of a pool; real ONNX Runtime CPU sessions, a real 3-page scanned PDF, real worker threads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import { createPooledPipeline } from '../../../engines/parallel/page-pool.js';
import { MAX_REC_BATCH_PAGES, createPagePipeline } from '../../../engines/pipeline.js';
import type { PageFailure } from '../../../engines/types.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/pdf');
const DPI = 80;
const BAND_HEIGHT_PT = 160;
let pdf: string;
let texts: string[];

before(async () => {
  // Three pages, each a band of a different scan (about 8 lines of print), as in the page-pool tests.
  const out = await PDFDocument.create();
  for (const f of ['zsh-p40-scan.pdf', 'debref-p33-scan.pdf', 'gnuplot-p22-scan.pdf']) {
    const scan = await out.embedPage((await PDFDocument.load(fs.readFileSync(path.join(fixtures, f)))).getPage(0));
    out.addPage([scan.width, BAND_HEIGHT_PT]).drawPage(scan, { x: 0, y: -(scan.height * 0.85 - BAND_HEIGHT_PT) });
  }
  pdf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-batch-pages-')), 'three-scans.pdf');
  fs.writeFileSync(pdf, await out.save());
  const single = await createPagePipeline({ ep: 'cpu' });
  try {
    texts = (await single.recognizeFile(pdf, { dpi: DPI })).pages.map((p) => p.text);
  } finally {
    await single.dispose();
  }
  for (const t of texts) assert.ok(t.length > 100, `every page has real text: ${JSON.stringify(t)}`);
});
after(() => fs.rmSync(path.dirname(pdf), { recursive: true, force: true }));

test('one pipeline, recBatchPages 2: the same page texts, in order, out-of-range pages failing in their place', async () => {
  const p = await createPagePipeline({ ep: 'cpu', recBatchPages: 2 });
  try {
    const seen: string[] = [];
    const doc = await p.recognizeFile(pdf, {
      dpi: DPI,
      pages: [0, 9, 1, 2],
      onPage: (pg) => seen.push(`page ${pg.index}`),
      onPageFailure: (f) => seen.push(`failed ${f.index} ${f.error.code}`),
    });
    assert.deepEqual(seen, ['page 0', 'failed 9 PAGE_OUT_OF_RANGE', 'page 1', 'page 2']);
    assert.deepEqual(doc.pages.map((pg) => pg.text), texts);
    // Pages 1 and 2 were read in one pass: each carries its share of the rec time, and its own lines only.
    for (const pg of doc.pages) {
      assert.ok(pg.timings.recRunMs > 0 && pg.timings.totalMs >= pg.timings.recRunMs, JSON.stringify(pg.timings));
      // Cutting the crops is timed as its own stage (it had been in no stage, only in the total).
      assert.ok(pg.timings.cropMs > 0, JSON.stringify(pg.timings));
      const stages = pg.timings.detPreMs + pg.timings.detRunMs + pg.timings.detPostMs + pg.timings.cropMs + pg.timings.clsMs + pg.timings.layoutMs;
      assert.ok(stages <= pg.timings.totalMs, JSON.stringify(pg.timings));
      for (const b of pg.blocks) for (const l of b.lines) for (const [x, y] of l.quad) assert.ok(x >= -1 && y >= -1 && x <= pg.width + 1 && y <= pg.height + 1);
    }
  } finally {
    await p.dispose();
  }
});

test('recognizeImages: two pages in one recognition pass read as each alone', async () => {
  const p = await createPagePipeline({ ep: 'cpu' });
  try {
    const { openDocument } = await import('../../../engines/input/open-document.js');
    const reader = await openDocument(pdf);
    const images = [];
    for (const i of [2, 0]) images.push({ image: (await reader.renderPage(i, { dpi: DPI })).image, index: i });
    await reader.close();
    const pages = await p.recognizeImages(images);
    assert.deepEqual(pages.map((pg) => pg.index), [2, 0]);
    assert.deepEqual(pages.map((pg) => pg.text), [texts[2], texts[0]]);
  } finally {
    await p.dispose();
  }
});

test('recBatchPages is checked: an integer from 1 to MAX_REC_BATCH_PAGES', async () => {
  for (const bad of [0, 1.5, MAX_REC_BATCH_PAGES + 1]) {
    await assert.rejects(createPagePipeline({ ep: 'cpu', recBatchPages: bad }), (e: Error & { code?: string }) => e.code === 'INVALID_ARGUMENT' && /recBatchPages must be an integer from 1 to 8/.test(e.message));
  }
});

test('pool threads, recBatchPages 2: same texts; a thread that dies mid-group fails only the pages it was reading', async () => {
  const pool = await createPooledPipeline({ ep: 'cpu', concurrency: 1, recBatchPages: 2 });
  try {
    const doc = await pool.recognizeFile(pdf, { dpi: DPI });
    assert.deepEqual(doc.pages.map((pg) => pg.text), texts);
    // One thread gets all three pages and groups what is queued when it starts a group (which pages that is
    // depends on when their messages arrive). It dies as it starts the group holding page 1.
    pool.exitOnPageForTest(1);
    const failures: PageFailure[] = [];
    const again = await pool.recognizeFile(pdf, { dpi: DPI, onPageFailure: (f) => failures.push(f) });
    const failed = failures.map((f) => f.index);
    assert.ok(failed.includes(1) && failed.length <= 2, `failed: ${failed}`);
    for (const f of failures) assert.equal(f.error.code, 'WORKER_CRASHED');
    if (failed.length === 2) assert.equal(Math.abs(failed[0]! - failed[1]!), 1, 'a group is consecutive pages');
    // Every other page, read before the crash or by the thread's successor, is there with its text: none is lost.
    assert.deepEqual(again.pages.map((pg) => pg.index), [0, 1, 2].filter((i) => !failed.includes(i)));
    for (const pg of again.pages) assert.equal(pg.text, texts[pg.index]);
  } finally {
    await pool.dispose();
  }
});
