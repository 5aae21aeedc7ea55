/**
 * One thread of the page pool: a whole pipeline of its own, fed page numbers. It opens each document itself
 * and renders only the pages it is given, one after another; while a page is OCRed the next one queued here
 * is already rendering (prefetch), so pdf.js/sharp work overlaps inference.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RecognizeOptions } from '../api.js';
import { OcrError, serializeError, toOcrError } from '../errors.js';
import { openDocument } from '../input/open-document.js';
import { loadPdfjs } from '../input/pdf-reader.js';
import type { DocumentReader } from '../input/types.js';
import { createPagePipeline, recBatchPagesOf, type LoadedPage, type PagePipeline } from '../pipeline.js';
import type { FromWorker, PoolWorkerData, ToWorker } from './pool-protocol.js';
import { WARM_DOCUMENT_DPI } from './warm-page.js';

const port = parentPort!;
const data = workerData as PoolWorkerData;
const post = (m: FromWorker) => port.postMessage(m);

interface Doc {
  reader: Promise<DocumentReader>;
  ctrl: AbortController;
  opts: RecognizeOptions;
  queued: number;
  closeAsked: boolean;
}

type Job =
  | { kind: 'page'; seq: number; docId: number; pageIndex: number; exitForTest?: boolean; loading?: Promise<{ loaded: LoadedPage } | { error: unknown }> }
  | { kind: 'image'; seq: number; msg: Extract<ToWorker, { type: 'image' }> }
  | { kind: 'warm'; msg: Extract<ToWorker, { type: 'warm' }> };

const docs = new Map<number, Doc>();
const queue: Job[] = [];
let running = false;
/** Set while the warm-up runs: real work arriving aborts it (checked between stages). */
let warming: AbortController | null = null;

let pipeline: PagePipeline;
try {
  pipeline = await createPagePipeline({ ...data.options, concurrency: 1 });
  post({ type: 'ready', info: pipeline.info() });
  // Load pdf.js now, while the pool's next threads create their sessions, not when this thread opens its first
  // PDF (~40 MB of heap per thread). Measured on H100 hosts with 12 threads over a 240-page PDF: the first 12
  // pages were done after 3.4 s in two runs with this and after 4.9 s in one without (page stages alone: 1.6 s).
  // A failure here is not this thread's to report; the first PDF page meets it again.
  void loadPdfjs().catch(() => undefined);
} catch (e) {
  post({ type: 'init-failed', error: serializeError(e) });
  port.close();
  process.exit(0);
}

function startLoad(job: Extract<Job, { kind: 'page' }>): NonNullable<typeof job.loading> {
  const doc = docs.get(job.docId)!;
  job.loading ??= doc.reader.then((reader) => pipeline.loadPage(reader, job.pageIndex, doc.opts)).then(
    (loaded) => ({ loaded }),
    (error: unknown) => ({ error }),
  );
  return job.loading;
}

async function maybeClose(docId: number): Promise<void> {
  const doc = docs.get(docId);
  if (!doc || !doc.closeAsked || doc.queued > 0) return;
  docs.delete(docId);
  await (await doc.reader.catch(() => null))?.close().catch(() => undefined);
}

/** Pages of one document whose lines share a recognition pass (OcrPipelineOptions.recBatchPages). */
const batchPages = recBatchPagesOf(data.options);

/** OCRs a group of queued pages of one document (one page unless recBatchPages > 1); answers in group order. */
async function runPages(group: Extract<Job, { kind: 'page' }>[]): Promise<FromWorker[]> {
  const doc = docs.get(group[0]!.docId)!;
  const failed = (job: (typeof group)[number], e: unknown): FromWorker => ({ type: 'failed', seq: job.seq, error: serializeError(toOcrError(e, { page: job.pageIndex })) });
  if (doc.ctrl.signal.aborted) {
    await Promise.all(group.map((job) => job.loading)); // prefetched renders finish before the document may close
    return group.map((job) => failed(job, new OcrError('CANCELLED', 'Cancelled.')));
  }
  if (group.length > 1) post({ type: 'started', seqs: group.map((job) => job.seq) });
  const loads = await Promise.all(group.map(startLoad));
  // Prefetch: the next pages of this thread's queue render while these are OCRed.
  for (const next of queue.slice(0, batchPages)) if (next.kind === 'page' && !docs.get(next.docId)?.ctrl.signal.aborted) startLoad(next);
  if (group.some((job) => job.exitForTest)) process.exit(70);
  const ready = group.flatMap((job, i) => {
    const l = loads[i]!;
    return 'loaded' in l ? [{ loaded: l.loaded, pageIndex: job.pageIndex }] : [];
  });
  const outcomes = await pipeline.recognizeLoadedGroup(ready, doc.opts);
  let r = 0;
  return group.map((job, i) => {
    const l = loads[i]!;
    const outcome = 'error' in l ? l : outcomes[r++]!;
    return 'page' in outcome ? { type: 'done', seq: job.seq, page: outcome.page } : failed(job, outcome.error);
  });
}

async function pump(): Promise<void> {
  if (running) return;
  running = true;
  try {
    for (let job = queue.shift(); job; job = queue.shift()) {
      if (job.kind === 'warm') {
        post(await warm(job.msg));
        continue;
      }
      if (job.kind === 'image') {
        try {
          post({ type: 'done', seq: job.seq, page: await pipeline.recognizeImage(job.msg.image, { index: job.msg.index }) });
        } catch (e) {
          post({ type: 'failed', seq: job.seq, error: serializeError(toOcrError(e, { page: job.msg.index })) });
        }
        continue;
      }
      const group = [job];
      while (group.length < batchPages && queue[0]?.kind === 'page' && queue[0].docId === job.docId) group.push(queue.shift() as typeof job);
      for (const result of await runPages(group)) post(result);
      const doc = docs.get(job.docId);
      if (doc) doc.queued -= group.length;
      await maybeClose(job.docId);
    }
  } finally {
    running = false;
  }
}

/**
 * OCRs the first `pages` pages of the warm document (cycling if it has fewer) as a document's pages go, the next
 * one rendering while this one is OCRed, unless real work cancels it.
 */
async function warm({ document, pages }: Extract<ToWorker, { type: 'warm' }>): Promise<FromWorker> {
  const t0 = performance.now();
  const ctrl = new AbortController();
  warming = ctrl;
  let done = 0;
  let reader: DocumentReader | undefined;
  // Never rejects, so a prefetched page that fails while another is OCRed is not an unhandled rejection.
  let next: Promise<{ loaded: LoadedPage } | { error: unknown }> | undefined;
  const answer = (outcome: 'done' | 'cancelled' | 'failed', error?: string): FromWorker => ({ type: 'warmed', ms: performance.now() - t0, pages: done, outcome, ...(error ? { error } : {}) });
  try {
    const doc = await openDocument({ name: 'warm-up.pdf', bytes: document });
    reader = doc;
    // 'ocr': the born-digital page is drawn by pdf.js and OCRed, as a scan that pdf.js must draw would be.
    const opts: RecognizeOptions = { dpi: WARM_DOCUMENT_DPI, pdfMode: 'ocr', signal: ctrl.signal };
    const load = (k: number) => pipeline.loadPage(doc, k % doc.pageCount, opts).then((loaded) => ({ loaded }), (error: unknown) => ({ error }));
    next = load(0);
    for (let k = 0; k < pages; k++) {
      const current = await next!;
      next = k + 1 < pages && !ctrl.signal.aborted ? load(k + 1) : undefined;
      if ('error' in current) throw current.error;
      await pipeline.recognizeLoaded(current.loaded, k, opts);
      done++;
    }
    return answer('done');
  } catch (e) {
    if (ctrl.signal.aborted) return answer('cancelled');
    const err = toOcrError(e);
    return answer('failed', `${err.code}: ${err.message}`);
  } finally {
    warming = null;
    await next; // a prefetched render finishes before the document closes
    await reader?.close().catch(() => undefined);
  }
}

port.on('message', (m: ToWorker) => {
  // Real work goes first: a warm-up in progress stops at its next stage.
  if (m.type === 'page' || m.type === 'image') warming?.abort();
  switch (m.type) {
    case 'open': {
      const ctrl = new AbortController();
      const reader = openDocument(m.input);
      reader.catch(() => undefined); // reported through the first page that needs it
      const opts: RecognizeOptions = {
        ...(m.dpi === undefined ? {} : { dpi: m.dpi }),
        ...(m.pdfMode === undefined ? {} : { pdfMode: m.pdfMode }),
        signal: ctrl.signal,
        onProgress: (p) => post({ type: 'progress', docId: m.docId, ...p }),
      };
      docs.set(m.docId, { reader, ctrl, opts, queued: 0, closeAsked: false });
      return;
    }
    case 'page': {
      const doc = docs.get(m.docId);
      if (!doc) {
        post({ type: 'failed', seq: m.seq, error: serializeError(new OcrError('INTERNAL', 'Page sent before its document.', { page: m.pageIndex })) });
        return;
      }
      doc.queued++;
      queue.push({ kind: 'page', seq: m.seq, docId: m.docId, pageIndex: m.pageIndex, ...(m.exitForTest ? { exitForTest: true } : {}) });
      void pump();
      return;
    }
    case 'image':
      queue.push({ kind: 'image', seq: m.seq, msg: m });
      void pump();
      return;
    case 'close': {
      const doc = docs.get(m.docId);
      if (doc) doc.closeAsked = true;
      void maybeClose(m.docId);
      return;
    }
    case 'cancel':
      docs.get(m.docId)?.ctrl.abort();
      return;
    case 'warm':
      if (running || queue.length) post({ type: 'warmed', ms: 0, pages: 0, outcome: 'skipped' });
      else {
        queue.push({ kind: 'warm', msg: m });
        void pump();
      }
      return;
    case 'dispose':
      warming?.abort();
      void (async () => {
        for (const id of [...docs.keys()]) {
          docs.get(id)!.closeAsked = true;
          docs.get(id)!.queued = 0;
          await maybeClose(id);
        }
        await pipeline.dispose();
        port.close();
      })();
      return;
  }
});
