// The page pool on the CPU EP with real ONNX Runtime sessions, a real 3-page scanned PDF and real worker threads.
// One pool serves every case: 3 threads requested, the third given a broken det model so that it cannot start
// (the report of that is one case), the other two doing the OCR.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import { PDFDocument } from 'pdf-lib';
import { toJson } from '../../../../engines/export/to-json.js';
import {
  POOL_THREAD_INITIAL_OLD_SPACE_MIB,
  createPooledPipeline,
  defaultConcurrency,
  describeThreads,
  resolveConcurrency,
  type PooledOcrPipeline,
} from '../../../../engines/parallel/page-pool.js';
import { createOcrPipeline } from '../../../../engines/pipeline.js';
import { warmDocumentBytes } from '../../../../engines/parallel/warm-page.js';
import { MODEL_FILES, resolveModelPaths } from '../../../../engines/runtime/models.js';
import type { Page, PageFailure } from '../../../../engines/types.js';
import { validate } from '../../../unit/engines/export/json-schema-subset.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/pdf');
const schema = JSON.parse(fs.readFileSync(new URL('../../../../engines/export/schema/document.v1.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
// Low enough to keep the file fast on a 2-core box, high enough for real text on every page.
const DPI = 80;
// Each page is a band of one scan (about 8 lines of print) rather than the whole page (60-80 lines): the
// pool's behaviour does not depend on how much text a page holds, and the file runs several times faster.
const BAND_HEIGHT_PT = 160;
let pdf: string;
let texts: string[];
let brokenModelDir: string;

before(async () => {
  const out = await PDFDocument.create();
  for (const f of ['zsh-p40-scan.pdf', 'debref-p33-scan.pdf', 'gnuplot-p22-scan.pdf']) {
    const src = await PDFDocument.load(fs.readFileSync(path.join(fixtures, f)));
    const scan = await out.embedPage(src.getPage(0));
    // The band that starts 15 % below the top of the scan (below its running header).
    out.addPage([scan.width, BAND_HEIGHT_PT]).drawPage(scan, { x: 0, y: -(scan.height * 0.85 - BAND_HEIGHT_PT) });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-pool-'));
  pdf = path.join(dir, 'three-scans.pdf');
  fs.writeFileSync(pdf, await out.save());
  // A model folder whose det model is cut short (a download that stopped), the rest intact.
  const models = resolveModelPaths();
  brokenModelDir = path.join(dir, 'broken-models');
  fs.mkdirSync(brokenModelDir);
  for (const stage of ['cls', 'rec', 'dict'] as const) fs.symlinkSync(models[stage], path.join(brokenModelDir, MODEL_FILES[stage]));
  fs.writeFileSync(path.join(brokenModelDir, MODEL_FILES.det), fs.readFileSync(models.det).subarray(0, 64 * 1024));
  const single = await createOcrPipeline({ ep: 'cpu', concurrency: 1 });
  try {
    texts = (await single.recognizeFile(pdf, { dpi: DPI })).pages.map((p) => p.text);
  } finally {
    await single.dispose();
  }
  assert.equal(texts.length, 3);
  for (const t of texts) assert.ok(t.length > 100, `every page has real text: ${JSON.stringify(t)}`);
});

after(async () => {
  fs.rmSync(path.dirname(pdf), { recursive: true, force: true });
});

// V8 flags the pool sets (process-wide, before its threads' heaps exist).
const v8Flags: string[] = [];
const setFlags = v8.setFlagsFromString.bind(v8);
v8.setFlagsFromString = (flags: string) => {
  v8Flags.push(flags);
  setFlags(flags);
};

describe('page pool, 3 threads requested, the third cannot start', () => {
  let pool: PooledOcrPipeline;
  const logs: string[] = [];
  before(async () => {
    assert.deepEqual(v8Flags, []);
    pool = await createPooledPipeline({
      ep: 'cpu',
      concurrency: 3,
      log: (m) => logs.push(m),
      threadOptionsForTest: { thread: 2, options: { modelDir: brokenModelDir } },
    });
    assert.equal(pool.concurrency, 3);
    // Page threads start with a larger old generation (fewer full GCs per page): set before the first thread.
    assert.deepEqual([...new Set(v8Flags)], [`--initial-old-space-size=${POOL_THREAD_INITIAL_OLD_SPACE_MIB}`]);
    // Pages are served from the first thread's start; the others are still loading.
    const early = pool.info().threads!;
    assert.equal(early.requested, 3);
    assert.ok(early.started >= 1);
  });
  after(() => pool.dispose());

  test('the thread that could not start is logged and reported in info() and in each document, with its reason', async () => {
    await pool.whenAllStarted();
    const threads = pool.info().threads!;
    assert.equal(threads.requested, 3);
    assert.equal(threads.started, 2);
    assert.equal(threads.failed.length, 1);
    assert.equal(threads.failed[0]!.thread, 2);
    assert.match(threads.failed[0]!.reason, /^MODEL_LOAD_FAILED: Could not load the det model \(.*broken-models.*\) with any execution provider: cpu: failed to load: \S/);
    assert.equal(logs.length, 1, logs.join('\n'));
    assert.match(logs[0]!, /^OCR thread 3 of 3 could not start \(MODEL_LOAD_FAILED: Could not load the det model .*\); 2 thread\(s\) carry on\.$/);
    assert.match(describeThreads(threads), /^3 threads requested, 2 started; thread 3 could not start: MODEL_LOAD_FAILED: Could not load the det model/);
    // info() hands out a copy: a caller cannot change the pool's record.
    threads.failed.length = 0;
    assert.equal(pool.info().threads!.failed.length, 1);
  });

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
    // The document says which threads made it (all had started: the case above waited), and its JSON export stays valid.
    assert.deepEqual(doc.engine.threads, { requested: 3, started: 2, failed: pool.info().threads!.failed });
    assert.deepEqual(validate(schema, JSON.parse(toJson(doc))), []);
  });

  test('idle threads get pages breadth-first: the first pages one to each thread, the next as their prefetch', async () => {
    // Which thread each page went to, as sent (the pool's only way to hand out work is postMessage).
    const sentTo = new Map<number, number>();
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, m: unknown, ...rest: unknown[]) {
      const msg = m as { type?: string; pageIndex?: number };
      if (msg?.type === 'page') sentTo.set(msg.pageIndex!, this.threadId);
      return (post as (...a: unknown[]) => void).call(this, m, ...rest);
    };
    try {
      const doc = await pool.recognizeFile(pdf, { dpi: DPI });
      assert.deepEqual(doc.pages.map((p) => p.text), texts);
    } finally {
      Worker.prototype.postMessage = post;
    }
    // Two threads run: pages 0 and 1 go to different threads (handed over in order, page 1 must not wait for
    // the thread of page 0 to finish it first), page 2 follows page 0 as that thread's prefetch.
    assert.equal(sentTo.size, 3);
    assert.notEqual(sentTo.get(0), sentTo.get(1));
    assert.equal(sentTo.get(2), sentTo.get(0));
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
    // A crash that was replaced is not a thread that failed to start.
    assert.equal(pool.info().threads!.started, 2);
    assert.equal(pool.info().threads!.failed.length, 1);
  });
});

test('threadStartsForTest: the threads after the first start several at once, all of them, and read as one pipeline', async () => {
  const log: string[] = [];
  const pool = await createPooledPipeline({ ep: 'cpu', concurrency: 3, threadStartsForTest: 2, log: (m) => log.push(m) });
  try {
    await pool.whenAllStarted();
    assert.deepEqual([pool.info().threads!.started, pool.info().threads!.failed.length], [3, 0], log.join('\n'));
    const doc = await pool.recognizeFile(pdf, { dpi: DPI, pages: [0, 2] });
    assert.deepEqual(doc.pages.map((p) => p.text), [texts[0], texts[2]]);
  } finally {
    await pool.dispose();
  }
});

// The CPU EP takes seconds per page on a 2-core machine, so these warm up on 1 or 2 pages (GPU default: 4 per
// thread, then 2 per thread through the pool).
describe('warm-up: idle threads OCR a built-in PDF after loading, then the pool reads it once; real work first', () => {
  test('idle after loading: every thread warms up once, then the pool, all before whenAllStarted resolves; pages read as before', async () => {
    const log: string[] = [];
    const pool = await createPooledPipeline({ ep: 'cpu', concurrency: 2, warmThreads: true, warmPages: 1, log: (m) => log.push(m) });
    try {
      await pool.whenAllStarted();
      const logged = log.map((m) => m.replace(/\d+ ms/, 'N ms'));
      assert.deepEqual(logged.slice(0, 2).sort(), [
        'OCR thread 1 warmed up on the built-in document (1 page) in N ms.',
        'OCR thread 2 warmed up on the built-in document (1 page) in N ms.',
      ]);
      assert.deepEqual(logged.slice(2), ['The pool warmed up on 2 pages of the built-in document in N ms.']);
      const doc = await pool.recognizeFile(pdf, { dpi: DPI });
      assert.deepEqual(doc.pages.map((p) => p.text), texts);
      assert.equal(log.length, 3, 'each warms up once');
    } finally {
      await pool.dispose();
    }
  });

  test('pages arriving while a thread warms up cancel its warm-up; the pages read as before', async () => {
    const log: string[] = [];
    await warmDocumentBytes(); // made once per process: ready before the thread is, so its warm-up starts at once
    const pool = await createPooledPipeline({ ep: 'cpu', concurrency: 1, warmThreads: true, warmPages: 2, log: (m) => log.push(m) });
    try {
      // The warm-up starts 100 ms after loading and takes seconds a page on the CPU EP: it is running now.
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(log, []);
      const doc = await pool.recognizeFile(pdf, { dpi: DPI, pages: [1] });
      assert.deepEqual(doc.pages.map((p) => p.text), [texts[1]]);
      assert.equal(log.length, 1, log.join('\n'));
      assert.match(log[0]!, /^OCR thread 1 stopped warming up after \d+ ms \((0 pages|1 page)\): pages arrived\.$/);
    } finally {
      await pool.dispose();
    }
  });

  test("a document arriving during the pool's own warm-up pass stops it; the pages read as before", async () => {
    const log: string[] = [];
    await warmDocumentBytes();
    const pool = await createPooledPipeline({ ep: 'cpu', concurrency: 1, warmThreads: true, warmPages: 1, log: (m) => log.push(m) });
    try {
      // The thread's own warm-up page first (seconds on the CPU EP); the pool's pass starts right after it.
      while (log.length === 0) await new Promise((r) => setTimeout(r, 50));
      assert.match(log[0]!, /^OCR thread 1 warmed up on the built-in document \(1 page\) in \d+ ms\.$/);
      await new Promise((r) => setTimeout(r, 300));
      const doc = await pool.recognizeFile(pdf, { dpi: DPI, pages: [0] });
      assert.deepEqual(doc.pages.map((p) => p.text), [texts[0]]);
      await pool.whenAllStarted();
      assert.deepEqual(log.slice(1).map((m) => m.replace(/\d+ ms/, 'N ms')), ['The pool stopped warming up after N ms: work arrived.']);
    } finally {
      await pool.dispose();
    }
  });

  test('a document asked for as soon as the pool exists (the CLI) is not held up: no warm-up', async () => {
    const log: string[] = [];
    const pool = await createPooledPipeline({ ep: 'cpu', concurrency: 1, warmThreads: true, warmPages: 1, log: (m) => log.push(m) });
    try {
      const doc = await pool.recognizeFile(pdf, { dpi: DPI, pages: [2] });
      await pool.whenAllStarted();
      assert.deepEqual(doc.pages.map((p) => p.text), [texts[2]]);
      assert.deepEqual(log, []);
    } finally {
      await pool.dispose();
    }
  });

  test('off by default on the CPU EP', async () => {
    const log: string[] = [];
    const pool = await createPooledPipeline({ ep: 'cpu', concurrency: 1, log: (m) => log.push(m) });
    try {
      await new Promise((r) => setTimeout(r, 500));
      await pool.whenAllStarted();
      assert.deepEqual(log, []);
    } finally {
      await pool.dispose();
    }
  });
});

test('default concurrency: 1 on the CPU EP, min(12, cores × 3/4, memory / 4 GiB) on a GPU; explicit values are checked', async () => {
  const GiB = 2 ** 30;
  assert.equal(defaultConcurrency('cpu', 16, 128 * GiB), 1);
  assert.equal(defaultConcurrency('cuda', 16, 128 * GiB), 12);
  assert.equal(defaultConcurrency('cuda', 32, 256 * GiB), 12);
  assert.equal(defaultConcurrency('cuda', 6, 64 * GiB), 4);
  assert.equal(defaultConcurrency('cuda', 16, 32 * GiB), 8);
  assert.equal(defaultConcurrency('cuda', 16, 16 * GiB), 4);
  assert.equal(defaultConcurrency('cuda', 1, 64 * GiB), 1);
  assert.equal(defaultConcurrency('cuda', 16, 2 * GiB), 1);
  assert.equal(await resolveConcurrency({ ep: 'cpu' }), 1);
  assert.equal(await resolveConcurrency({ ep: 'cuda', concurrency: 3 }), 3);
  await assert.rejects(resolveConcurrency({ concurrency: 0 }), /concurrency must be an integer/);
});

test('describeThreads: requested, started, still starting, and each failure numbered from 1', () => {
  assert.equal(describeThreads(undefined), '');
  assert.equal(describeThreads({ requested: 8, started: 8, failed: [] }), '8 threads requested, 8 started');
  assert.equal(
    describeThreads({ requested: 8, started: 3, failed: [{ thread: 5, reason: 'MODEL_LOAD_FAILED: no GPU memory' }] }),
    '8 threads requested, 3 started, 4 still starting; thread 6 could not start: MODEL_LOAD_FAILED: no GPU memory',
  );
});
