/**
 * Page-parallel OCR: N worker threads, each with a whole pipeline of its own, fed the pages of a document one
 * at a time. A page's CPU work (render, pre/post-processing, layout) is single-threaded JS; with a GPU doing the
 * inference, that CPU work is what bounds pages/s, so it scales with threads. Results come back to the caller
 * in page order (onPage, onPageFailure), exactly as from one pipeline.
 *
 * Each thread opens the document itself and renders only its pages; only page numbers go out and results
 * come back. A thread that dies fails the page it was OCRing (WORKER_CRASHED, naming file and page); pages
 * it had queued go to the others, and a new thread takes its place.
 *
 * A thread that cannot load its pipeline (other than the first, whose failure fails the whole pool) leaves
 * the pool smaller: info().threads says how many were asked for, how many run, and why the rest do not;
 * options.log hears each failure as it happens.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { DocumentInput, OcrPipeline, OcrPipelineOptions, RecognizeOptions } from '../api.js';
import { OcrError, deserializeError, serializeError, toOcrError } from '../errors.js';
import { openDocument } from '../input/open-document.js';
import { loadPdfjs } from '../input/pdf-reader.js';
import {
  RESULT_SCHEMA_ID,
  RESULT_SCHEMA_VERSION,
  type EngineInfo,
  type ExecutionProviderName,
  type OcrDocument,
  type Page,
  type PageFailure,
  type RgbImage,
} from '../types.js';
import type { FromWorker, PoolWorkerData, ToWorker } from './pool-protocol.js';
import { WARM_DOCUMENT_DPI, WARM_DOCUMENT_PAGES, warmDocumentBytes } from './warm-page.js';
import { inLanes } from '../runtime/lanes.js';

/**
 * Pages sent to one thread ahead of its answers, per page it OCRs at once (recBatchPages): the one it OCRs and
 * the one it renders meanwhile.
 */
const PAGES_PER_THREAD = 2;
/**
 * Default ceiling on GPU EPs. Measured on a 16-core H100 host (CUDA FP32, 300-dpi A4): 8 threads 17.9 pages/s
 * steady, 12 threads 22.9, 16 threads 22.1 (the GPU is then ~85% busy and recognition runs queue).
 */
const MAX_DEFAULT_CONCURRENCY = 12;
/** Memory a GPU page thread may take, for the default: each CUDA pipeline holds ~1.1 GB RSS (9.2 GB at 8 threads, 13.7 GB at 12), plus headroom. */
const DEFAULT_BYTES_PER_GPU_THREAD = 4 * 2 ** 30;
/**
 * How long a thread that has just loaded must stay without work before it OCRs the warm document: a caller that
 * creates the pool to read a document at once (the CLI) sends pages within milliseconds, and then the first
 * real page warms the thread instead.
 */
const WARM_IDLE_DELAY_MS = 100;
/** Pages per thread of the pool's warm-up pass through recognizeFile (#warmThroughPool; fewer if warmPages is less). */
const WARM_PASS_PAGES_PER_THREAD = 2;
/** Hard ceiling: beyond this, threads only fight over memory. */
export const MAX_CONCURRENCY = 64;

export interface PooledPipelineOptions extends OcrPipelineOptions {
  concurrency: number;
  /** Where the pool reports what it handles itself: a thread that could not start (also in info().threads). */
  log?: (message: string) => void;
  /** Test hook: the thread given this page (0-based) first ends itself (process.exit) just before OCRing it; once per pool. */
  exitOnPageForTest?: number;
  /**
   * Test hook: every start of thread `thread` (0-based) gets these pipeline options on top of the pool's,
   * e.g. a modelDir holding a broken model, so that thread's pipeline creation fails for real.
   */
  threadOptionsForTest?: { thread: number; options: Partial<OcrPipelineOptions> };
  /**
   * Experiment hook (bench --thread-starts): how many threads after the first start at once (default 1). More
   * than one is what aborted the process on the H100 with 8 and 14 (see create); this measures whether a few do.
   */
  threadStartsForTest?: number;
}

type ThreadsInfo = NonNullable<EngineInfo['threads']>;

/** "8 threads requested, 7 started; thread 6 could not start: <reason>" (threads numbered from 1), or '' without a pool. */
export function describeThreads(threads: EngineInfo['threads']): string {
  if (!threads) return '';
  const starting = threads.requested - threads.started - threads.failed.length;
  const head = `${threads.requested} thread${threads.requested === 1 ? '' : 's'} requested, ${threads.started} started${starting > 0 ? `, ${starting} still starting` : ''}`;
  return [head, ...threads.failed.map((f) => `thread ${f.thread + 1} could not start: ${f.reason}`)].join('; ');
}

/**
 * The default number of threads: 1 on the CPU EP (ORT's own threads already use every core, so a second
 * pipeline only splits them). When inference runs on a GPU: min(12, floor(cores × 3/4), one per 4 GiB of
 * memory). A quarter of the cores stays free for what runs beside the page threads (V8's GC threads, libvips,
 * the main thread), and the memory share keeps a 16 GB laptop at 4 threads.
 */
export function defaultConcurrency(provider: ExecutionProviderName, cores = os.availableParallelism(), totalMemBytes = os.totalmem()): number {
  if (provider === 'cpu') return 1;
  return Math.max(1, Math.min(MAX_DEFAULT_CONCURRENCY, Math.floor((cores * 3) / 4), Math.floor(totalMemBytes / DEFAULT_BYTES_PER_GPU_THREAD)));
}

/** options.concurrency when given (validated), else defaultConcurrency of the provider det will run on. */
export async function resolveConcurrency(options: OcrPipelineOptions & { available?: unknown }): Promise<number> {
  const asked = options.concurrency;
  if (asked !== undefined) {
    if (!Number.isInteger(asked) || asked < 1 || asked > MAX_CONCURRENCY) {
      throw new OcrError('INVALID_ARGUMENT', `concurrency must be an integer from 1 to ${MAX_CONCURRENCY} (got ${asked}).`);
    }
    return asked;
  }
  const ep = options.ep ?? 'auto';
  if (ep === 'cpu') return 1;
  const { detectProviderAvailability, planProviders } = await import('../runtime/execution-providers.js');
  type Available = Awaited<ReturnType<typeof detectProviderAvailability>>;
  const available = (options.available as Available | undefined) ?? (await detectProviderAvailability());
  const plan = planProviders({ stage: 'det', preference: ep, precision: options.precision ?? 'fp32', available });
  return defaultConcurrency(plan.candidates[0]?.provider ?? 'cpu');
}

/**
 * Initial old-generation size of each page thread's V8 heap, in MiB. A page allocates ~100 MB (page image, det
 * tensor and map, crops), and with V8's default the first limits sit a few MB above the live heap, so every
 * thread ran one to three full mark-compacts per page, marked on V8's shared platform threads: with 12 threads
 * those took ~3.4 of the H100 host's 16 cores (session 5). Starting at 128 MiB, a CPU pipeline ran 4 mark-compacts
 * over 10 scanned pages instead of 14; on an H100 host (14:40 UTC), 12 threads over a 240-page PDF read 25.2
 * pages/s steady (18.4 overall) against 21.0 (16.5) without it, in back-to-back runs, for ~1.1 GB more peak RSS.
 */
export const POOL_THREAD_INITIAL_OLD_SPACE_MIB = 128;

/**
 * V8 reads --initial-old-space-size when it creates a heap, and worker threads accept no V8 flags of their own
 * (ERR_WORKER_INVALID_EXEC_ARGV), so the flag is set process-wide before the first thread starts. It only sizes
 * heaps created later (page threads, other workers); an explicit value given to node is kept.
 */
function raiseThreadInitialOldSpace(): void {
  if (process.execArgv.some((a) => a.startsWith('--initial-old-space-size'))) return;
  v8.setFlagsFromString(`--initial-old-space-size=${POOL_THREAD_INITIAL_OLD_SPACE_MIB}`);
}

/** The worker thread's entry: the .ts source under tsx (tests, scripts), the built .js otherwise. */
function spawnWorker(data: PoolWorkerData): Worker {
  raiseThreadInitialOldSpace();
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Worker threads do not inherit tsx's loader: register it in the thread, then load the TypeScript entry.
    const entry = new URL('./pool-worker.ts', here).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData: data });
  }
  return new Worker(new URL('./pool-worker.js', here), { workerData: data });
}

type Assignment =
  | { seq: number; kind: 'page'; job: FileJob; pos: number }
  | { seq: number; kind: 'image'; image: RgbImage; index: number; resolve: (p: Page) => void; reject: (e: unknown) => void };

interface Slot {
  id: number;
  worker: Worker;
  ready: boolean;
  /** In the order sent; the thread answers them in that order. */
  assigned: Assignment[];
  opened: Set<number>;
  /** Pages the thread said it is OCRing together (recBatchPages > 1); without word, the first assigned is. */
  started: Set<number>;
  lastError?: Error;
  /** Settles when this thread's warm-up is done, cancelled, skipped or not wanted (set at ready). */
  warmed?: Promise<void>;
  settleWarm?: () => void;
}

interface FileJob {
  docId: number;
  input: DocumentInput;
  file: string;
  opts: RecognizeOptions;
  wanted: number[];
  /** Positions in `wanted` still to send, ascending. */
  pending: number[];
  results: Map<number, { page: Page } | { failure: PageFailure }>;
  nextEmit: number;
  pages: Page[];
  failures: PageFailure[];
  done: boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface ImageRequest {
  image: RgbImage;
  index: number;
  resolve: (p: Page) => void;
  reject: (e: unknown) => void;
}

/** The pool as an OcrPipeline, plus its size and a test hook. */
export interface PooledOcrPipeline extends OcrPipeline {
  /** Threads asked for; info().threads says how many have started and why any could not. */
  readonly concurrency: number;
  /**
   * Resolves once every thread has loaded (or failed to) and has OCRed, or skipped, its warm-up pages; pages are
   * served from the first thread's start.
   */
  whenAllStarted(): Promise<void>;
  /** Test hook: the thread given this page (0-based) next ends itself just before OCRing it; once. */
  exitOnPageForTest(pageIndex: number): void;
}

export async function createPooledPipeline(options: PooledPipelineOptions): Promise<PooledOcrPipeline> {
  return PooledPipeline.create(options);
}

class PooledPipeline implements PooledOcrPipeline {
  readonly #data: PoolWorkerData;
  readonly #log: (message: string) => void;
  readonly #threadOptionsForTest: PooledPipelineOptions['threadOptionsForTest'];
  readonly #warmThreads: boolean | undefined;
  readonly #warmPages: number;
  /** The pool's own warm-up pass (#warmThroughPool), settled when it ends; and how to stop it when real work comes. */
  #poolWarmed: Promise<void> = Promise.resolve();
  #poolWarmCtrl: AbortController | undefined;
  #exitOnPage: number | undefined;
  readonly #slots: Slot[] = [];
  readonly #jobs: FileJob[] = [];
  readonly #images: ImageRequest[] = [];
  #info!: EngineInfo;
  #seq = 0;
  #docSeq = 0;
  /** recognizeFile calls still opening their document: pages are coming, so no thread should start warming. */
  #opening = 0;
  #disposed = false;
  #allStarted: Promise<void> = Promise.resolve();
  // info().threads, kept current as threads start, fail to start, or fail to be replaced after a crash.
  #requested = 0;
  /** Threads whose pipeline has loaded (and, after a crash, whose replacement has not failed). */
  readonly #running = new Set<number>();
  readonly #failed: ThreadsInfo['failed'] = [];

  private constructor(data: PoolWorkerData, opts: Pick<PooledPipelineOptions, 'exitOnPageForTest' | 'threadOptionsForTest' | 'log' | 'warmThreads' | 'warmPages'>) {
    this.#data = data;
    this.#warmThreads = opts.warmThreads;
    this.#warmPages = opts.warmPages ?? WARM_DOCUMENT_PAGES;
    this.#exitOnPage = opts.exitOnPageForTest;
    this.#threadOptionsForTest = opts.threadOptionsForTest;
    this.#log = opts.log ?? (() => {});
  }

  static async create(options: PooledPipelineOptions): Promise<PooledPipeline> {
    const { concurrency, exitOnPageForTest, threadOptionsForTest, threadStartsForTest, log, warmThreads, warmPages, ...rest } = options;
    const n = await resolveConcurrency({ ...rest, concurrency });
    // `log` stays here: a function cannot be sent to a thread.
    const threadOptions: OcrPipelineOptions = { ...rest };
    // On the CPU EP, N pipelines share the cores instead of each starting one ORT thread per core.
    if (rest.ep === 'cpu' && rest.intraOpNumThreads === undefined) {
      threadOptions.intraOpNumThreads = Math.max(1, Math.floor(os.availableParallelism() / n));
    }
    const pool = new PooledPipeline({ options: threadOptions }, { exitOnPageForTest, threadOptionsForTest, log, warmThreads, warmPages });
    pool.#requested = n;
    try {
      // The first thread alone, so FP16 conversions and caches are made once and pages can start; the rest
      // one at a time in the background. Not together: on the H100, 8 and 14 threads creating their CUDA
      // sessions at the same moment twice aborted the whole process ("terminate called after throwing an
      // instance of 'Napi::Error'", onnxruntime-node 1.29.0), while runs across threads never did.
      await pool.#startSlot(0);
      // recognizeFile opens each document here too (page count, whole-file errors) before any page goes out,
      // so pdf.js loads now, beside the other threads' starts, not inside the first PDF's time to its first
      // page (761–935 ms of import on the H100 host, 1.5 s on the 2-core box; ~40 MB of heap here, whether or
      // not a PDF comes). A failure is the first PDF's to report.
      void loadPdfjs().catch(() => undefined);
      pool.#allStarted = pool.#startRest(n, Math.max(1, Math.floor(threadStartsForTest ?? 1)));
      pool.#poolWarmed = pool.#allStarted.then(() => pool.#warmThroughPool());
    } catch (e) {
      await pool.dispose();
      throw e;
    }
    return pool;
  }

  /** Threads 1…n−1, `atOnce` at a time (1: one after another); one that cannot start leaves the pool with fewer threads. */
  async #startRest(n: number, atOnce: number): Promise<void> {
    await inLanes(n - 1, atOnce, async (k) => {
      const id = k + 1;
      if (this.#disposed) return;
      try {
        await this.#startSlot(id);
      } catch (e) {
        this.#threadFailed(id, e, '');
      }
    });
  }

  /** Records (info().threads) and logs a thread that could not load its pipeline; the pool goes on without it. */
  #threadFailed(id: number, e: unknown, context: string): void {
    if (this.#disposed) return;
    this.#running.delete(id);
    const err = toOcrError(e);
    const reason = `${context}${err.code}: ${err.message}`;
    this.#failed.push({ thread: id, reason });
    this.#log(`OCR thread ${id + 1} of ${this.#requested} could not start (${reason}); ${this.#running.size} thread(s) carry on.`);
  }

  /** Resolves once every thread has loaded or failed to (they start one at a time after the first) and the pool has warmed up. */
  async whenAllStarted(): Promise<void> {
    await this.#allStarted;
    await Promise.all(this.#slots.map((s) => s?.warmed));
    await this.#poolWarmed;
  }

  /** Whether threads warm up (OcrPipelineOptions.warmThreads, warmPages; by default where det runs on a GPU EP). */
  #warmWanted(info: EngineInfo): boolean {
    return (this.#warmThreads ?? info.providers.find((p) => p.stage === 'det')?.provider !== 'cpu') && this.#warmPages > 0;
  }

  /** A document is being opened, or an image or page waits to be sent. */
  #workWaiting(): boolean {
    return this.#opening > 0 || this.#images.length > 0 || this.#jobs.some((j) => j.pending.length > 0);
  }

  /** No document or image is being read or waiting. */
  #idle(): boolean {
    return !this.#disposed && !this.#workWaiting() && !this.#jobs.length;
  }

  /**
   * Once every thread is up and has warmed up on its own, the pool reads WARM_PASS_PAGES_PER_THREAD pages per
   * thread of the warm document through recognizeFile, as a user's document goes: opened here, pages sent out
   * and handed back in order. Each thread's own warm-up leaves that path cold (this thread's pdf.js open, the
   * threads' document handling). On an H100 host (12 threads, the benchmark's 240-page PDF) the first timed
   * document read 24.65 pages/s without this pass (its first 12 pages done after 1.31 s) and 26.06 with it
   * (0.80 s); the same PDF read a second time, 26.64 (0.66 s). Real work stops it (#stopPoolWarm).
   */
  async #warmThroughPool(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s?.warmed));
    if (!this.#info || !this.#warmWanted(this.#info) || !this.#running.size || !this.#idle()) return;
    const ctrl = new AbortController();
    this.#poolWarmCtrl = ctrl;
    const t0 = performance.now();
    const pages = Math.min(WARM_PASS_PAGES_PER_THREAD, this.#warmPages) * this.#running.size;
    try {
      const bytes = await warmDocumentBytes();
      if (ctrl.signal.aborted) return;
      await this.#recognizeFile(
        { name: 'warm-up.pdf', bytes },
        { dpi: WARM_DOCUMENT_DPI, pdfMode: 'ocr', keepPages: false, signal: ctrl.signal, pages: Array.from({ length: pages }, (_, i) => i % WARM_DOCUMENT_PAGES) },
      );
      this.#log(`The pool warmed up on ${pages} pages of the built-in document in ${Math.round(performance.now() - t0)} ms.`);
    } catch (e) {
      const err = toOcrError(e);
      if (ctrl.signal.aborted) this.#log(`The pool stopped warming up after ${Math.round(performance.now() - t0)} ms: work arrived.`);
      else if (!this.#disposed) this.#log(`The pool could not warm up on the built-in document (${err.code}: ${err.message}); the first document will be slower.`);
    } finally {
      this.#poolWarmCtrl = undefined;
    }
  }

  /** Real work goes first: the pool's warm-up pass, if running, stops (its pages are cancelled in the threads). */
  #stopPoolWarm(): void {
    this.#poolWarmCtrl?.abort();
  }

  /**
   * A thread that is still idle WARM_IDLE_DELAY_MS after loading OCRs the built-in warm document (warm-page.ts),
   * so that the first document's pages do not pay V8's warm-up; real work sent meanwhile cancels it. On by default
   * where det runs on a GPU EP (where page threads are the bottleneck and there are many of them).
   */
  #maybeWarm(slot: Slot, info: EngineInfo): void {
    if (!this.#warmWanted(info)) return;
    slot.warmed = new Promise((res) => (slot.settleWarm = res));
    const idle = () => !this.#disposed && slot.ready && !slot.assigned.length && !this.#workWaiting();
    setTimeout(() => {
      if (!idle()) return slot.settleWarm?.();
      // Made once per process, here rather than in every thread; its pages are still being made when the first
      // thread is ready (~1.6 s on the 2-core box), and real work that arrives meanwhile goes first.
      warmDocumentBytes().then(
        (document) => {
          if (!idle()) return slot.settleWarm?.();
          slot.worker.ref(); // whenAllStarted's caller may have nothing else keeping the process alive
          slot.worker.postMessage({ type: 'warm', document, pages: this.#warmPages } satisfies ToWorker);
        },
        (e: unknown) => {
          const err = toOcrError(e);
          this.#log(`OCR thread ${slot.id + 1} could not warm up: the built-in document could not be made (${err.code}: ${err.message}); its first pages will be slower.`);
          slot.settleWarm?.();
        },
      );
    }, WARM_IDLE_DELAY_MS);
  }

  #onWarmed(slot: Slot, m: Extract<FromWorker, { type: 'warmed' }>): void {
    if (!slot.assigned.length) slot.worker.unref();
    const ms = Math.round(m.ms);
    const pages = `${m.pages} page${m.pages === 1 ? '' : 's'}`;
    if (m.outcome === 'done') this.#log(`OCR thread ${slot.id + 1} warmed up on the built-in document (${pages}) in ${ms} ms.`);
    else if (m.outcome === 'cancelled') this.#log(`OCR thread ${slot.id + 1} stopped warming up after ${ms} ms (${pages}): pages arrived.`);
    else if (m.outcome === 'failed') this.#log(`OCR thread ${slot.id + 1} could not OCR its warm-up document (${m.error}); its first pages will be slower.`);
    slot.settleWarm?.();
  }

  /** Starts (or restarts) slot `id`'s thread and resolves once its pipeline is loaded. */
  #startSlot(id: number): Promise<void> {
    const t = this.#threadOptionsForTest;
    const data: PoolWorkerData = t?.thread === id ? { options: { ...this.#data.options, ...t.options } } : this.#data;
    return new Promise((resolve, reject) => {
      const worker = spawnWorker(data);
      const slot: Slot = { id, worker, ready: false, assigned: [], opened: new Set(), started: new Set() };
      this.#slots[id] = slot;
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          slot.ready = true;
          this.#info ??= m.info;
          this.#running.add(id);
          worker.unref();
          resolve();
          this.#dispatch();
          this.#maybeWarm(slot, m.info);
        } else if (m.type === 'warmed') {
          this.#onWarmed(slot, m);
        } else if (m.type === 'init-failed') {
          slot.lastError = deserializeError(m.error);
          reject(slot.lastError);
        } else this.#onResult(slot, m);
      });
      worker.on('error', (e) => {
        slot.lastError = e;
      });
      worker.on('exit', (code) => {
        slot.settleWarm?.();
        if (!slot.ready) {
          reject(slot.lastError ?? new OcrError('WORKER_CRASHED', `An OCR thread stopped while loading its models (exit code ${code}).`));
          return;
        }
        slot.ready = false;
        if (!this.#disposed) this.#onDeath(slot, code);
      });
    });
  }

  #onDeath(slot: Slot, code: number): void {
    // What it was OCRing: the pages it said it started together, else the first one sent.
    const inFlight = slot.assigned.filter((a) => slot.started.has(a.seq));
    if (!inFlight.length && slot.assigned.length) inFlight.push(slot.assigned[0]!);
    const queued = slot.assigned.filter((a) => !inFlight.includes(a));
    slot.assigned = [];
    slot.started.clear();
    const why = `exit code ${code}${slot.lastError ? `: ${slot.lastError.message}` : ''}`;
    for (const current of inFlight) {
      if (current.kind === 'page') {
        const page = current.job.wanted[current.pos]!;
        const err = new OcrError('WORKER_CRASHED', `The OCR thread reading page ${page + 1} of ${current.job.file} stopped (${why}); that page was skipped.`, { file: current.job.file, page, cause: slot.lastError });
        this.#settle(current.job, current.pos, { failure: { index: page, error: serializeError(err) } });
      } else {
        current.reject(new OcrError('WORKER_CRASHED', `The OCR thread reading page ${current.index + 1} stopped (${why}).`, { page: current.index, cause: slot.lastError }));
      }
    }
    // Pages it had only queued go to the other threads (or to its successor).
    for (const a of queued.reverse()) {
      if (a.kind === 'page') {
        if (!a.job.done) a.job.pending.unshift(a.pos);
      } else this.#images.unshift({ image: a.image, index: a.index, resolve: a.resolve, reject: a.reject });
    }
    this.#startSlot(slot.id).catch((e: unknown) => {
      // No successor: the pool carries on with fewer threads; with none left, everything waiting fails.
      this.#threadFailed(slot.id, e, `its replacement after a crash (${why}) failed: `);
      if (this.#slots.every((s) => !s.ready)) this.#failEverything(e);
    });
    this.#dispatch();
  }

  #failEverything(cause: unknown): void {
    for (const job of [...this.#jobs]) {
      for (const pos of job.pending.splice(0)) {
        const page = job.wanted[pos]!;
        const err = new OcrError('WORKER_CRASHED', `No OCR thread is left to read page ${page + 1} of ${job.file}.`, { file: job.file, page, cause });
        this.#settle(job, pos, { failure: { index: page, error: serializeError(err) } });
      }
    }
    for (const r of this.#images.splice(0)) r.reject(new OcrError('WORKER_CRASHED', 'No OCR thread is left.', { page: r.index, cause }));
  }

  #onResult(slot: Slot, m: FromWorker): void {
    if (m.type === 'progress') {
      const job = this.#jobs.find((j) => j.docId === m.docId);
      if (job && !job.done) job.opts.onProgress?.({ pageIndex: m.pageIndex, pageCount: m.pageCount, stage: m.stage });
      return;
    }
    if (m.type === 'started') {
      for (const seq of m.seqs) slot.started.add(seq);
      return;
    }
    if (m.type !== 'done' && m.type !== 'failed') return;
    slot.started.delete(m.seq);
    const i = slot.assigned.findIndex((a) => a.seq === m.seq);
    if (i < 0) return;
    const [a] = slot.assigned.splice(i, 1);
    if (!slot.assigned.length) slot.worker.unref();
    if (a!.kind === 'image') {
      if (m.type === 'done') a!.resolve(m.page);
      else a!.reject(deserializeError(m.error));
    } else {
      const { job, pos } = a!;
      if (m.type === 'done') this.#settle(job, pos, { page: m.page });
      else {
        const err = deserializeError(m.error).withContext({ file: job.file, page: job.wanted[pos] });
        this.#settle(job, pos, { failure: { index: job.wanted[pos]!, error: serializeError(err) } });
      }
    }
    this.#dispatch();
  }

  /** Records a page's outcome and hands every outcome now in order to the caller. */
  #settle(job: FileJob, pos: number, r: { page: Page } | { failure: PageFailure }): void {
    if (job.done) return;
    job.results.set(pos, r);
    // A callback may cancel the document (its signal's abort finishes the job): nothing is handed over after that,
    // even pages already done by other threads.
    for (let next = job.results.get(job.nextEmit); next && !job.done; next = job.results.get(job.nextEmit)) {
      job.results.delete(job.nextEmit);
      job.nextEmit++;
      if ('page' in next) {
        try {
          if (job.opts.keepPages ?? true) job.pages.push(next.page);
          job.opts.onPage?.(next.page);
          continue;
        } catch (e) {
          // As in one pipeline: a callback that throws fails its page.
          next = { failure: { index: next.page.index, error: serializeError(e) } };
        }
      }
      job.failures.push(next.failure);
      job.opts.onPageFailure?.(next.failure);
    }
    if (job.nextEmit === job.wanted.length) this.#finish(job, null);
  }

  #finish(job: FileJob, error: unknown): void {
    if (job.done) return;
    job.done = true;
    const at = this.#jobs.indexOf(job);
    if (at >= 0) this.#jobs.splice(at, 1);
    for (const s of this.#slots) {
      if (s?.opened.delete(job.docId)) {
        if (error) this.#post(s, { type: 'cancel', docId: job.docId });
        this.#post(s, { type: 'close', docId: job.docId });
      }
    }
    if (error) job.reject(error);
    else job.resolve();
  }

  #post(slot: Slot, m: ToWorker): void {
    if (slot.ready) slot.worker.postMessage(m);
  }

  /**
   * Keeps every ready thread busy with PAGES_PER_THREAD pages per page it OCRs at once, never more than a window
   * ahead of the caller. Threads are filled breadth-first: with N idle threads, pages 1…N go one to each thread
   * and N+1…2N follow as their prefetch. Depth-first (two consecutive pages per thread) put the first N pages on
   * N/2 threads, so handing them over in order waited for each of those threads' second page.
   */
  #dispatch(): void {
    // recBatchPages as validated by the threads' pipelines (1 to MAX_REC_BATCH_PAGES); not imported from
    // pipeline.ts, which would load ONNX Runtime wherever the pool module is.
    const perThread = PAGES_PER_THREAD * (this.#data.options.recBatchPages ?? 1);
    for (let depth = 1; depth <= perThread; depth++) {
      for (const slot of this.#slots) {
        if (!slot?.ready || slot.assigned.length >= depth) continue;
        if (!this.#sendOne(slot, perThread)) return;
      }
    }
  }

  /** Sends `slot` the next image or page, if any may go now; false when none may. */
  #sendOne(slot: Slot, perThread: number): boolean {
    const img = this.#images.shift();
    if (img) {
      const seq = ++this.#seq;
      slot.assigned.push({ seq, kind: 'image', image: img.image, index: img.index, resolve: img.resolve, reject: img.reject });
      slot.worker.ref();
      slot.worker.postMessage({ type: 'image', seq, image: img.image, index: img.index } satisfies ToWorker);
      return true;
    }
    // Results wait for earlier pages to be handed over in order: bound how far ahead the threads run.
    const window = Math.max(8, 2 * perThread * this.#slots.length);
    const job = this.#jobs.find((j) => j.pending.length && j.pending[0]! < j.nextEmit + window);
    if (!job) return false;
    const pos = job.pending.shift()!;
    const seq = ++this.#seq;
    if (!slot.opened.has(job.docId)) {
      slot.opened.add(job.docId);
      slot.worker.postMessage({ type: 'open', docId: job.docId, input: job.input, ...(job.opts.dpi === undefined ? {} : { dpi: job.opts.dpi }), ...(job.opts.pdfMode === undefined ? {} : { pdfMode: job.opts.pdfMode }) } satisfies ToWorker);
    }
    slot.assigned.push({ seq, kind: 'page', job, pos });
    slot.worker.ref();
    const pageIndex = job.wanted[pos]!;
    const exitForTest = pageIndex === this.#exitOnPage;
    if (exitForTest) this.#exitOnPage = undefined;
    slot.worker.postMessage({ type: 'page', seq, docId: job.docId, pageIndex, ...(exitForTest ? { exitForTest } : {}) } satisfies ToWorker);
    return true;
  }

  /** The first thread's engine info, with `threads` as of now (a copy: later starts do not change it). */
  info(): EngineInfo {
    return { ...this.#info, threads: { requested: this.#requested, started: this.#running.size, failed: this.#failed.map((f) => ({ ...f })) } };
  }

  get concurrency(): number {
    return this.#requested;
  }

  exitOnPageForTest(pageIndex: number): void {
    this.#exitOnPage = pageIndex;
  }

  recognizeImage(image: RgbImage, opts: { index?: number; signal?: AbortSignal } = {}): Promise<Page> {
    this.#stopPoolWarm();
    const index = opts.index ?? 0;
    if (this.#disposed) return Promise.reject(new OcrError('INVALID_ARGUMENT', 'This pipeline has been disposed.', { page: index }));
    if (opts.signal?.aborted) return Promise.reject(new OcrError('CANCELLED', 'Cancelled.', { page: index }));
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new OcrError('CANCELLED', 'Cancelled.', { page: index }));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const done = <T>(f: (v: T) => void) => (v: T) => {
        opts.signal?.removeEventListener('abort', onAbort);
        f(v);
      };
      this.#images.push({ image, index, resolve: done(resolve), reject: done(reject) });
      this.#dispatch();
    });
  }

  recognizeFile(input: DocumentInput, opts: RecognizeOptions = {}): Promise<OcrDocument> {
    this.#stopPoolWarm();
    return this.#recognizeFile(input, opts);
  }

  async #recognizeFile(input: DocumentInput, opts: RecognizeOptions): Promise<OcrDocument> {
    if (this.#disposed) throw new OcrError('INVALID_ARGUMENT', 'This pipeline has been disposed.');
    // Opened here too, only for what the document says about itself (and to fail the whole file early).
    this.#opening++;
    let info: Awaited<ReturnType<typeof openDocument>>['info'];
    try {
      const reader = await openDocument(input);
      info = reader.info;
      await reader.close();
    } finally {
      this.#opening--;
    }
    const file = info.name;
    const wanted = opts.pages ?? Array.from({ length: info.pageCount }, (_, i) => i);
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const finished = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: FileJob = {
      docId: ++this.#docSeq, input, file, opts, wanted, pending: [], results: new Map(), nextEmit: 0,
      pages: [], failures: [], done: false, resolve, reject,
    };
    const cancel = () => this.#finish(job, new OcrError('CANCELLED', 'Cancelled.', { file, page: wanted[job.nextEmit] }));
    if (wanted.length === 0) job.done = true;
    else if (opts.signal?.aborted) throw new OcrError('CANCELLED', 'Cancelled.', { file, page: wanted[0] });
    else this.#jobs.push(job);
    opts.signal?.addEventListener('abort', cancel, { once: true });
    try {
      for (const [pos, pageIndex] of wanted.entries()) {
        if (Number.isInteger(pageIndex) && pageIndex >= 0 && pageIndex < info.pageCount) job.pending.push(pos);
        else {
          const err = new OcrError('PAGE_OUT_OF_RANGE', `Page ${pageIndex + 1} does not exist (the document has ${info.pageCount}).`, { file, page: pageIndex });
          job.results.set(pos, { failure: { index: pageIndex, error: serializeError(err) } });
        }
      }
      if (!job.done) {
        // Out-of-range pages at the front are reported at once; the rest as their turn comes.
        if (job.results.has(0)) this.#settle(job, 0, job.results.get(0)!);
        this.#dispatch();
        await finished;
      }
    } finally {
      opts.signal?.removeEventListener('abort', cancel);
    }
    return {
      $schema: RESULT_SCHEMA_ID,
      schemaVersion: RESULT_SCHEMA_VERSION,
      source: info,
      pages: job.pages,
      failures: job.failures,
      engine: this.info(),
      createdAt: new Date().toISOString(),
    };
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const job of [...this.#jobs]) this.#finish(job, new OcrError('CANCELLED', 'The pipeline was disposed.', { file: job.file }));
    for (const r of this.#images.splice(0)) r.reject(new OcrError('CANCELLED', 'The pipeline was disposed.', { page: r.index }));
    await Promise.all(
      this.#slots.filter(Boolean).map(async (slot) => {
        for (const a of slot.assigned.splice(0)) if (a.kind === 'image') a.reject(new OcrError('CANCELLED', 'The pipeline was disposed.', { page: a.index }));
        if (slot.worker.threadId < 0) return; // already ended
        const exited = new Promise<void>((res) => slot.worker.once('exit', () => res()));
        try {
          slot.worker.postMessage({ type: 'dispose' } satisfies ToWorker);
        } catch {
          // already gone
        }
        // Its sessions released cleanly, or ended after 5 s.
        const timer = setTimeout(() => void slot.worker.terminate(), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
