// The worker host against a REAL worker process (child_process.fork, worker run from its TypeScript
// source through tsx) and the REAL pipeline on ONNX Runtime CPU.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OcrError } from '../../../../../engines/errors.js';
import { MODEL_FILES, resolveModelPaths } from '../../../../../engines/runtime/models.js';
import { OcrWorkerHost, defaultWorkerEntry, type HostEvents } from '../../../../../electron/main/worker/ocr-worker-host.js';
import { forkTransport } from '../../../../../electron/main/worker/transports.js';
import { PAGE_WORDS, multiPagePdf, tempDir } from '../../fixtures.js';

const tmp = tempDir('host');
const PAGES = 4;
let pdfPath = '';
let longPdfPath = '';

/** The page-done events of one job, to check that every page arrives exactly once. */
function collectPages(host: OcrWorkerHost, jobId: string): number[] {
  const seen: number[] = [];
  host.on('page-done', (e) => e.jobId === jobId && seen.push(e.page.index));
  return seen;
}

function assertPageWords(pages: { index: number; text: string }[]): void {
  for (const p of pages) assert.match(p.text, new RegExp(PAGE_WORDS[p.index]!, 'i'), `page ${p.index + 1} should read ${PAGE_WORDS[p.index]}: got ${JSON.stringify(p.text)}`);
}

before(async () => {
  pdfPath = path.join(tmp.dir, 'four-pages.pdf');
  writeFileSync(pdfPath, await multiPagePdf(PAGE_WORDS.slice(0, PAGES).map((w, i) => `${w} page ${i + 1}`)));
  longPdfPath = path.join(tmp.dir, 'eight-pages.pdf');
  writeFileSync(longPdfPath, await multiPagePdf(PAGE_WORDS.map((w, i) => `${w} page ${i + 1}`)));
});
after(() => tmp.cleanup());

describe('OcrWorkerHost with a real worker', { timeout: 120_000 }, () => {
  const host = new OcrWorkerHost({ transport: forkTransport, pipelineOptions: { ep: 'cpu' }, restartBaseDelayMs: 100 });
  after(() => host.dispose());

  test('the default entry is the TypeScript source when run through tsx', () => {
    assert.match(defaultWorkerEntry(), /electron[/\\]worker[/\\]index\.ts$/);
  });

  test('recognises a multi-page document, streaming pages in order', async () => {
    const jobId = 'multi-1';
    const seen = collectPages(host, jobId);
    const progress: HostEvents['progress'][] = [];
    const doc = await host.recognize({ jobId, input: pdfPath, pdfMode: 'ocr', dpi: 100 }, { onProgress: (p) => progress.push(p) });
    assert.deepEqual(doc.pages.map((p) => p.index), [0, 1, 2, 3]);
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.equal(doc.failures.length, 0);
    assert.ok(progress.some((p) => p.pageCount === PAGES));
    assertPageWords(doc.pages);
    assert.equal(doc.source.pageCount, PAGES);
  });

  test('SIGKILL mid-document: the job completes with every page exactly once and one restart', async () => {
    const restartsBefore = host.restartCount;
    const jobId = 'crash-1';
    const seen = collectPages(host, jobId);
    const exits: HostEvents['worker-exit'][] = [];
    host.on('worker-exit', (e) => exits.push(e));
    let killedPid: number | undefined;
    const off = host.on('page-done', (e) => {
      if (e.jobId !== jobId || killedPid !== undefined) return;
      killedPid = host.pid;
      process.kill(killedPid!, 'SIGKILL');
    });
    const doc = await host.recognize({ jobId, input: pdfPath, pdfMode: 'ocr', dpi: 100 });
    off();
    assert.ok(killedPid, 'the worker was killed');
    assert.deepEqual(exits.map((e) => [e.pid, e.signal, e.expected]), [[killedPid, 'SIGKILL', false]]);
    assert.equal(host.restartCount - restartsBefore, 1);
    assert.notEqual(host.pid, killedPid);
    assert.deepEqual(doc.pages.map((p) => p.index), [0, 1, 2, 3]);
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3], 'each page reported exactly once');
    assert.equal(doc.failures.length, 0);
    assertPageWords(doc.pages);
  });

  test('cancellation stops between pages and reports CANCELLED; the next job runs', async () => {
    const pidBefore = (await host.request('engineInfo', {}), host.pid);
    const job = host.startJob({ jobId: 'cancel-1', input: longPdfPath, pdfMode: 'ocr', dpi: 100 });
    const seen = collectPages(host, job.jobId);
    const off = host.on('page-done', (e) => e.jobId === job.jobId && job.cancel());
    await assert.rejects(job.result, (e: unknown) => e instanceof OcrError && e.code === 'CANCELLED');
    off();
    assert.ok(seen.length >= 1 && seen.length < PAGE_WORDS.length, `stopped after ${seen.length} page(s)`);
    assert.equal(host.pid, pidBefore, 'cooperative: the worker was not killed');
    const doc = await host.recognize({ input: pdfPath, pages: [2], pdfMode: 'ocr', dpi: 100 });
    assert.deepEqual(doc.pages.map((p) => p.index), [2]);
    assertPageWords(doc.pages);
  });
});

describe('OcrWorkerHost with a model that fails to load', { timeout: 60_000 }, () => {
  test('MODEL_LOAD_FAILED as a typed error, no crash loop', async () => {
    const dir = tempDir('bad-models');
    try {
      const real = resolveModelPaths();
      copyFileSync(real.cls, path.join(dir.dir, MODEL_FILES.cls));
      copyFileSync(real.rec, path.join(dir.dir, MODEL_FILES.rec));
      copyFileSync(real.dict, path.join(dir.dir, MODEL_FILES.dict));
      // A det model cut off after 4 KiB of noise, as an interrupted download would leave it.
      writeFileSync(path.join(dir.dir, MODEL_FILES.det), Buffer.alloc(4096, 0x5a));

      const host = new OcrWorkerHost({ transport: forkTransport, pipelineOptions: { ep: 'cpu', modelDir: dir.dir }, restartBaseDelayMs: 50 });
      const exits: HostEvents['worker-exit'][] = [];
      const statuses: HostEvents['engine-status'][] = [];
      host.on('worker-exit', (e) => exits.push(e));
      host.on('engine-status', (e) => statuses.push(e));
      try {
        await assert.rejects(host.recognize({ input: pdfPath }), (e: unknown) => e instanceof OcrError && e.code === 'MODEL_LOAD_FAILED');
        await assert.rejects(host.request('engineInfo', {}), (e: unknown) => e instanceof OcrError && e.code === 'MODEL_LOAD_FAILED');
        // Give a crash loop time to show itself.
        await new Promise((r) => setTimeout(r, 1500));
        assert.equal(host.crashCount, 0);
        assert.equal(host.restartCount, 0);
        assert.equal(host.pid, undefined, 'the failed worker was stopped, not left running');
        assert.deepEqual(exits.map((e) => e.expected), [true, true], 'one worker per request, each stopped on purpose');
        assert.ok(statuses.some((s) => s.phase === 'error' && s.error.code === 'MODEL_LOAD_FAILED'));
      } finally {
        await host.dispose();
      }
    } finally {
      dir.cleanup();
    }
  });
});
