/**
 * OcrWorkerHost: starts the inference worker, talks to it, and survives it dying.
 *
 * - One typed request/response channel with u32 sequence numbers and a pending map (Signal's MainSQL).
 * - ONE job queue: a GPU runs one document at a time, FIFO (house style §5.4).
 * - Crash recovery mid-document: finished pages are kept, the worker restarts with exponential backoff
 *   (bounded), re-runs init with the same options, and the same job resumes with `skipPages` = the pages
 *   already finished. The page that was in flight gets one more try; if the worker dies on it again, that
 *   page is reported failed with WORKER_CRASHED and skipped, so a page that kills the engine cannot
 *   crash-loop the worker.
 * - Cancellation is cooperative (between pages and recognition batches); a worker that does not stop within
 *   `cancelKillAfterMs` is killed, which ONNX Runtime's Node binding leaves as the only hard stop.
 *
 * Transport-agnostic: Electron's utilityProcess and child_process.fork both fit `WorkerTransport`.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OcrPipelineOptions } from '../../../engines/api.js';
import { OcrError, deserializeError, serializeError, toOcrError } from '../../../engines/errors.js';
import type { EngineInfo, OcrDocument, Page, PageFailure } from '../../../engines/types.js';
import { TypedEmitter } from '../../common/typed-emitter.js';
import {
  isWorkerToHost,
  type JobId,
  type LogLevel,
  type RecognizeRequest,
  type WorkerEvents,
  type WorkerMethod,
  type WorkerPayload,
  type WorkerResult,
} from '../../common/worker-protocol.js';
import type { WorkerChannel, WorkerExitInfo, WorkerTransport } from './transports.js';

/** Consecutive crashes without progress before the host stops restarting. */
export const MAX_RESTART_ATTEMPTS = 4;
export const RESTART_BASE_DELAY_MS = 250;
export const RESTART_MAX_DELAY_MS = 8_000;
/** Tries one page gets when the worker dies on it (the first death may be an OOM caused elsewhere). */
export const MAX_CRASHES_PER_PAGE = 2;
export const DISPOSE_TIMEOUT_MS = 5_000;
export const CANCEL_KILL_AFTER_MS = 30_000;

/**
 * The worker entry next to this module: `dist/electron/worker/index.js` when compiled, the `.ts` source
 * when run through tsx (tests, `npm run cli`).
 */
export function defaultWorkerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return path.resolve(path.dirname(here), '..', '..', 'worker', `index${path.extname(here)}`);
}

export interface OcrWorkerHostOptions {
  transport: WorkerTransport;
  /** Sent to the worker's `init`, again after every restart. */
  pipelineOptions?: OcrPipelineOptions;
  /** Worker entry file; default `defaultWorkerEntry()`. */
  entry?: string;
  maxRestartAttempts?: number;
  restartBaseDelayMs?: number;
  restartMaxDelayMs?: number;
  maxCrashesPerPage?: number;
  disposeTimeoutMs?: number;
  /** 0 disables the hard stop. */
  cancelKillAfterMs?: number;
}

/** One document to recognise: the worker's RecognizeRequest minus what the host manages. */
export type RecognizeJobRequest = Omit<RecognizeRequest, 'jobId' | 'skipPages'> & { jobId?: JobId };

export interface RecognizeJob {
  readonly jobId: JobId;
  /** The whole document, every page that finished in any worker incarnation, in page order. */
  readonly result: Promise<OcrDocument>;
  cancel(): void;
}

export interface HostEvents {
  'page-done': WorkerEvents['page-done'];
  'page-failed': WorkerEvents['page-failed'];
  progress: WorkerEvents['progress'];
  'engine-status': WorkerEvents['engine-status'];
  /** Lines from the worker's logger and its raw stdout/stderr, tagged with its pid. */
  log: { level: LogLevel; message: string; pid: number | undefined };
  'job-start': { jobId: JobId };
  'worker-exit': { pid: number | undefined; code: number | null; signal: string | null; expected: boolean; jobId?: JobId };
  'worker-restart': { attempt: number; delayMs: number; jobId?: JobId };
}

export type HostState = 'idle' | 'starting' | 'ready' | 'disposed';

/** A pending call rejected because the process went away (as opposed to a typed error it answered). */
class WorkerExitedError extends OcrError {
  constructor(
    message: string,
    readonly exit: WorkerExitInfo,
  ) {
    super('WORKER_CRASHED', message);
  }
}

interface Pending {
  method: WorkerMethod;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

interface Session {
  channel: WorkerChannel;
  pid: number | undefined;
  pending: Map<number, Pending>;
  initialized: boolean;
  exited: WorkerExitInfo | undefined;
  exitPromise: Promise<WorkerExitInfo>;
  /** Set before we stop it ourselves, so the exit is not counted as a crash. */
  expectedExit: boolean;
}

interface Job {
  id: JobId;
  req: RecognizeJobRequest;
  fileLabel: string;
  done: Map<number, Page>;
  failed: Map<number, PageFailure>;
  crashesOnPage: Map<number, number>;
  inFlight: number | undefined;
  cancelled: boolean;
  started: boolean;
  killTimer: NodeJS.Timeout | undefined;
}

interface QueueEntry {
  run(): Promise<void>;
  /** Called instead of run() when the entry is dropped before it starts. */
  drop(reason: OcrError): void;
  jobId?: JobId;
}

export class OcrWorkerHost extends TypedEmitter<HostEvents> {
  readonly #transport: WorkerTransport;
  readonly #entry: string;
  readonly #maxRestartAttempts: number;
  readonly #restartBaseDelayMs: number;
  readonly #restartMaxDelayMs: number;
  readonly #maxCrashesPerPage: number;
  readonly #disposeTimeoutMs: number;
  readonly #cancelKillAfterMs: number;

  #options: OcrPipelineOptions;
  #optionsDirty = false;
  #session: Session | undefined;
  #starting: Promise<Session> | undefined;
  #seq = 0;
  /** Unexpected exits since the last sign of progress; drives the backoff and the give-up. */
  #crashStreak = 0;
  #lastExit: WorkerExitInfo | undefined;
  #restartCount = 0;
  #crashCount = 0;
  #disposed = false;

  readonly #queue: QueueEntry[] = [];
  #pumping = false;
  readonly #jobs = new Map<JobId, Job>();
  #currentJob: Job | undefined;

  constructor(opts: OcrWorkerHostOptions) {
    super();
    this.#transport = opts.transport;
    this.#entry = opts.entry ?? defaultWorkerEntry();
    this.#options = { ...(opts.pipelineOptions ?? {}) };
    this.#maxRestartAttempts = opts.maxRestartAttempts ?? MAX_RESTART_ATTEMPTS;
    this.#restartBaseDelayMs = opts.restartBaseDelayMs ?? RESTART_BASE_DELAY_MS;
    this.#restartMaxDelayMs = opts.restartMaxDelayMs ?? RESTART_MAX_DELAY_MS;
    this.#maxCrashesPerPage = opts.maxCrashesPerPage ?? MAX_CRASHES_PER_PAGE;
    this.#disposeTimeoutMs = opts.disposeTimeoutMs ?? DISPOSE_TIMEOUT_MS;
    this.#cancelKillAfterMs = opts.cancelKillAfterMs ?? CANCEL_KILL_AFTER_MS;
  }

  /** Worker restarts after crashes (not counting the first start or restarts we asked for). */
  get restartCount(): number {
    return this.#restartCount;
  }

  /** Unexpected worker exits seen so far. */
  get crashCount(): number {
    return this.#crashCount;
  }

  get pid(): number | undefined {
    return this.#session?.exited ? undefined : this.#session?.pid;
  }

  get state(): HostState {
    if (this.#disposed) return 'disposed';
    if (this.#starting) return 'starting';
    return this.#session?.initialized && !this.#session.exited ? 'ready' : 'idle';
  }

  get pipelineOptions(): OcrPipelineOptions {
    return { ...this.#options };
  }

  /** Starts the worker and loads the models now instead of on the first job. */
  async start(): Promise<EngineInfo> {
    return this.request('engineInfo', {});
  }

  /**
   * New engine options (settings change). Applied between jobs: the running job finishes with the old
   * ones, the next one re-inits the worker.
   */
  setPipelineOptions(options: OcrPipelineOptions): void {
    this.#options = { ...options };
    this.#optionsDirty = true;
  }

  /**
   * Stops the worker once the queue reaches this point and starts a fresh one with the current options
   * (engine:rebuild). Resolves with the new engine's info.
   */
  restart(): Promise<EngineInfo> {
    return this.#enqueue(async () => {
      const s = this.#session;
      if (s && !s.exited) await this.#stopSession(s);
      this.#crashStreak = 0;
      const session = await this.#ensureWorker();
      return this.#call(session, 'engineInfo', {});
    });
  }

  /**
   * Typed call into the worker. `recognize` goes through the job queue (with crash recovery), `init`
   * changes the options and re-inits, `dispose` disposes the host; everything else is a direct call.
   */
  async request<M extends WorkerMethod>(
    method: M,
    payload: WorkerPayload<M>,
    opts: { signal?: AbortSignal } = {},
  ): Promise<WorkerResult<M>> {
    if (method === 'recognize') {
      return this.recognize(payload as WorkerPayload<'recognize'>, opts) as Promise<WorkerResult<M>>;
    }
    if (method === 'init') {
      this.setPipelineOptions(payload as OcrPipelineOptions);
      return this.restart() as Promise<WorkerResult<M>>;
    }
    if (method === 'dispose') {
      return this.dispose() as Promise<WorkerResult<M>>;
    }
    this.#assertAlive();
    throwIfAborted(opts.signal);
    const session = await this.#ensureWorker();
    return this.#call(session, method, payload, opts.signal);
  }

  /** Queues a document; see RecognizeJob. */
  startJob(req: RecognizeJobRequest, opts: { signal?: AbortSignal } = {}): RecognizeJob {
    this.#assertAlive();
    const id = req.jobId ?? randomUUID();
    if (this.#jobs.has(id)) throw new OcrError('INVALID_ARGUMENT', `A job with id ${id} is already queued or running.`);
    const job: Job = {
      id,
      req,
      fileLabel: typeof req.input === 'string' ? req.input : req.input.name,
      done: new Map(),
      failed: new Map(),
      crashesOnPage: new Map(),
      inFlight: undefined,
      cancelled: false,
      started: false,
      killTimer: undefined,
    };
    this.#jobs.set(id, job);
    const onAbort = () => this.cancel(id);
    const result = this.#enqueue(() => this.#runJob(job), id).finally(() => {
      clearTimeout(job.killTimer);
      this.#jobs.delete(id);
      // One signal often spans a whole batch (the CLI's Ctrl-C): a listener per finished job would pile up.
      opts.signal?.removeEventListener('abort', onAbort);
    });
    result.catch(() => undefined);
    if (opts.signal) {
      if (opts.signal.aborted) this.cancel(id);
      else opts.signal.addEventListener('abort', onAbort, { once: true });
    }
    return { jobId: id, result, cancel: () => this.cancel(id) };
  }

  /** startJob() with per-job callbacks; resolves with the whole document. */
  async recognize(
    req: RecognizeJobRequest,
    opts: {
      signal?: AbortSignal;
      onPage?: (page: Page) => void;
      onPageFailure?: (failure: PageFailure) => void;
      onProgress?: (p: WorkerEvents['progress']) => void;
    } = {},
  ): Promise<OcrDocument> {
    const jobId = req.jobId ?? randomUUID();
    const offs = [
      opts.onPage && this.on('page-done', (e) => e.jobId === jobId && opts.onPage!(e.page)),
      opts.onPageFailure && this.on('page-failed', (e) => e.jobId === jobId && opts.onPageFailure!(e.failure)),
      opts.onProgress && this.on('progress', (e) => e.jobId === jobId && opts.onProgress!(e)),
    ];
    try {
      return await this.startJob({ ...req, jobId }, { signal: opts.signal }).result;
    } finally {
      for (const off of offs) if (off) off();
    }
  }

  /**
   * Cancels a queued or running job. Queued: dropped at once. Running: the worker stops between pages;
   * the job's promise rejects with CANCELLED. Returns false for an unknown job.
   */
  cancel(jobId: JobId): boolean {
    const job = this.#jobs.get(jobId);
    if (!job || job.cancelled) return false;
    job.cancelled = true;
    const i = this.#queue.findIndex((q) => q.jobId === jobId);
    if (i >= 0) {
      const [entry] = this.#queue.splice(i, 1);
      entry!.drop(new OcrError('CANCELLED', 'Cancelled before it started.', { file: job.fileLabel }));
      return true;
    }
    const s = this.#session;
    if (s && !s.exited) {
      s.channel.send({ kind: 'cancel', jobId });
      if (this.#cancelKillAfterMs > 0) {
        job.killTimer = setTimeout(() => {
          if (this.#currentJob !== job || s.exited) return;
          this.emit('log', { level: 'warn', message: `job ${jobId} did not stop within ${this.#cancelKillAfterMs} ms; stopping the worker`, pid: s.pid });
          s.expectedExit = true;
          s.channel.kill('SIGKILL');
        }, this.#cancelKillAfterMs);
        job.killTimer.unref();
      }
    }
    return true;
  }

  /** Cancels everything, asks the worker to release its sessions, kills it after `disposeTimeoutMs`. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const entry of this.#queue.splice(0)) entry.drop(new OcrError('CANCELLED', 'The OCR engine is shutting down.'));
    for (const job of this.#jobs.values()) if (job.started) this.cancel(job.id);
    const s = this.#session ?? (await this.#starting?.catch(() => undefined));
    if (s && !s.exited) await this.#stopSession(s);
    this.removeAllListeners();
  }

  // ---------------------------------------------------------------- queue

  #enqueue<T>(task: () => Promise<T>, jobId?: JobId): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        jobId,
        run: () => task().then(resolve, reject),
        drop: reject,
      });
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) await this.#queue.shift()!.run();
    } finally {
      this.#pumping = false;
    }
  }

  // ---------------------------------------------------------------- jobs

  async #runJob(job: Job): Promise<OcrDocument> {
    job.started = true;
    this.emit('job-start', { jobId: job.id });
    const file = job.fileLabel;
    for (;;) {
      if (job.cancelled) throw new OcrError('CANCELLED', 'Cancelled.', { file });
      let session: Session;
      try {
        session = await this.#ensureWorker(job);
      } catch (e) {
        throw toOcrError(e, { file, ...(job.inFlight === undefined ? {} : { page: job.inFlight }) });
      }
      if (job.cancelled) throw new OcrError('CANCELLED', 'Cancelled.', { file });
      const skipPages = [...job.done.keys(), ...job.failed.keys()].sort((a, b) => a - b);
      const { jobId: _ignored, ...rest } = job.req;
      const request: RecognizeRequest = { ...rest, jobId: job.id, ...(skipPages.length ? { skipPages } : {}) };
      this.#currentJob = job;
      job.inFlight = undefined;
      try {
        const doc = await this.#call(session, 'recognize', request);
        // Events normally delivered every page already; the response is the backstop.
        for (const p of doc.pages) this.#recordPage(job, p);
        for (const f of doc.failures) this.#recordFailure(job, f);
        return {
          ...doc,
          pages: [...job.done.values()].sort((a, b) => a.index - b.index),
          failures: [...job.failed.values()].sort((a, b) => a.index - b.index),
        };
      } catch (e) {
        if (e instanceof WorkerExitedError) {
          if (job.cancelled) throw new OcrError('CANCELLED', 'Cancelled.', { file });
          this.#onJobCrash(job, e);
          continue;
        }
        const err = toOcrError(e, { file });
        if (job.cancelled && err.code !== 'CANCELLED') throw new OcrError('CANCELLED', 'Cancelled.', { file, cause: err });
        throw err;
      } finally {
        this.#currentJob = undefined;
      }
    }
  }

  #onJobCrash(job: Job, e: WorkerExitedError): void {
    const page = job.inFlight;
    if (page === undefined || job.done.has(page) || job.failed.has(page)) return;
    const n = (job.crashesOnPage.get(page) ?? 0) + 1;
    job.crashesOnPage.set(page, n);
    if (n < this.#maxCrashesPerPage) return;
    const error = new OcrError(
      'WORKER_CRASHED',
      `The OCR engine stopped unexpectedly ${n} times on this page (${describeExit(e.exit)}); the page was skipped.`,
      { file: job.fileLabel, page },
    );
    this.#recordFailure(job, { index: page, error: serializeError(error) });
  }

  #recordPage(job: Job, page: Page): void {
    if (job.done.has(page.index)) return;
    job.failed.delete(page.index);
    job.done.set(page.index, page);
    if (job.inFlight === page.index) job.inFlight = undefined;
    this.emit('page-done', { jobId: job.id, page });
  }

  #recordFailure(job: Job, failure: PageFailure): void {
    if (job.failed.has(failure.index) || job.done.has(failure.index)) return;
    job.failed.set(failure.index, failure);
    if (job.inFlight === failure.index) job.inFlight = undefined;
    this.emit('page-failed', { jobId: job.id, failure });
  }

  // ---------------------------------------------------------------- worker lifecycle

  async #ensureWorker(job?: Job): Promise<Session> {
    const s = this.#session;
    // New options wait for the running job to finish: re-init would pull the sessions from under it.
    if (s && !s.exited && s.initialized && (!this.#optionsDirty || this.#currentJob)) return s;
    this.#starting ??= this.#startWorker(job).finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #startWorker(job: Job | undefined): Promise<Session> {
    for (;;) {
      this.#assertAlive();
      let s = this.#session;
      if (!s || s.exited) {
        if (this.#crashStreak > 0) {
          if (this.#crashStreak > this.#maxRestartAttempts) {
            throw new OcrError(
              'WORKER_CRASHED',
              `The OCR engine stopped unexpectedly ${this.#crashStreak} times in a row (last: ${describeExit(this.#lastExit)}); it was not restarted again.`,
            );
          }
          const delayMs = Math.min(this.#restartBaseDelayMs * 2 ** (this.#crashStreak - 1), this.#restartMaxDelayMs);
          this.emit('worker-restart', { attempt: this.#crashStreak, delayMs, ...(job ? { jobId: job.id } : {}) });
          await sleep(delayMs);
          this.#assertAlive();
          if (job?.cancelled) throw new OcrError('CANCELLED', 'Cancelled.', { file: job.fileLabel });
          this.#restartCount++;
        }
        s = await this.#spawn();
      }
      const options = this.#options;
      this.#optionsDirty = false;
      try {
        await this.#call(s, 'init', options);
        s.initialized = true;
        return s;
      } catch (e) {
        if (e instanceof WorkerExitedError) continue; // counted in the exit handler; back off and retry
        // A typed failure (MODEL_LOAD_FAILED…) is not a crash: restarting would fail the same way.
        // Stop this worker; the next request tries again from scratch.
        await this.#stopSession(s);
        throw e;
      }
    }
  }

  async #spawn(): Promise<Session> {
    const channel = await this.#transport.spawn(this.#entry);
    let resolveExit!: (info: WorkerExitInfo) => void;
    const s: Session = {
      channel,
      pid: channel.pid,
      pending: new Map(),
      initialized: false,
      exited: undefined,
      exitPromise: new Promise((r) => (resolveExit = r)),
      expectedExit: false,
    };
    this.#session = s;
    channel.onMessage((msg) => this.#onMessage(s, msg));
    channel.onOutput((stream, line) => {
      if (line.trim()) this.emit('log', { level: stream === 'stderr' ? 'warn' : 'info', message: line, pid: s.pid });
    });
    channel.onExit((info) => {
      s.exited = info;
      resolveExit(info);
      this.#onExit(s, info);
    });
    return s;
  }

  #onExit(s: Session, info: WorkerExitInfo): void {
    const expected = s.expectedExit || this.#disposed;
    if (!expected) {
      this.#crashStreak++;
      this.#crashCount++;
      this.#lastExit = info;
    }
    const jobId = this.#currentJob?.id;
    this.emit('worker-exit', { pid: s.pid, code: info.code, signal: info.signal, expected, ...(jobId ? { jobId } : {}) });
    if (!expected) {
      this.emit('engine-status', {
        phase: 'error',
        error: serializeError(new OcrError('WORKER_CRASHED', `The OCR engine stopped unexpectedly (${describeExit(info)}).`)),
      });
    }
    const err = new WorkerExitedError(`The OCR engine stopped (${describeExit(info)}).`, info);
    for (const p of s.pending.values()) p.reject(err);
    s.pending.clear();
    if (this.#session === s) this.#session = undefined;
  }

  #onMessage(s: Session, msg: unknown): void {
    if (!isWorkerToHost(msg)) {
      this.emit('log', { level: 'warn', message: `ignored a malformed message from the worker`, pid: s.pid });
      return;
    }
    switch (msg.kind) {
      case 'response': {
        const p = s.pending.get(msg.seq);
        if (!p) return; // answered after its caller gave up (abort)
        s.pending.delete(msg.seq);
        if (msg.ok) {
          if (p.method !== 'init') this.#crashStreak = 0;
          p.resolve(msg.result);
        } else {
          p.reject(deserializeError(msg.error));
        }
        return;
      }
      case 'log':
        this.emit('log', { level: msg.level, message: msg.message, pid: s.pid });
        return;
      case 'event':
        this.#onEvent(s, msg.name, msg.payload);
        return;
    }
  }

  #onEvent(s: Session, name: keyof WorkerEvents, payload: unknown): void {
    if (s !== this.#session) return; // a stale incarnation's last words
    const job = this.#currentJob;
    switch (name) {
      case 'page-done': {
        const e = payload as WorkerEvents['page-done'];
        this.#crashStreak = 0;
        if (job && e.jobId === job.id) this.#recordPage(job, e.page);
        return;
      }
      case 'page-failed': {
        const e = payload as WorkerEvents['page-failed'];
        if (job && e.jobId === job.id) this.#recordFailure(job, e.failure);
        return;
      }
      case 'progress': {
        const e = payload as WorkerEvents['progress'];
        if (job && e.jobId === job.id) job.inFlight = e.pageIndex;
        this.emit('progress', e);
        return;
      }
      case 'engine-status':
        this.emit('engine-status', payload as WorkerEvents['engine-status']);
        return;
      case 'ready':
        return;
    }
  }

  #call<M extends WorkerMethod>(s: Session, method: M, payload: WorkerPayload<M>, signal?: AbortSignal): Promise<WorkerResult<M>> {
    if (s.exited) return Promise.reject(new WorkerExitedError('The OCR engine is not running.', s.exited));
    this.#seq = (this.#seq + 1) >>> 0; // u32 wrap, as Signal's
    const seq = this.#seq;
    return new Promise<WorkerResult<M>>((resolve, reject) => {
      const onAbort = () => {
        s.pending.delete(seq);
        reject(new OcrError('CANCELLED', 'Cancelled.'));
      };
      s.pending.set(seq, {
        method,
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as WorkerResult<M>);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      s.channel.send({ kind: 'request', seq, method, payload });
    });
  }

  /** dispose request, then wait for exit, then kill (VS Code's waitForExit). */
  async #stopSession(s: Session): Promise<void> {
    s.expectedExit = true;
    if (s.exited) return;
    const disposed = this.#call(s, 'dispose', {}).catch(() => undefined);
    const exited = await Promise.race([
      Promise.all([disposed, s.exitPromise]).then(() => true),
      sleep(this.#disposeTimeoutMs).then(() => false),
    ]);
    if (!exited) {
      s.channel.kill('SIGKILL');
      await Promise.race([s.exitPromise, sleep(this.#disposeTimeoutMs)]);
    }
  }

  #assertAlive(): void {
    if (this.#disposed) throw new OcrError('CANCELLED', 'The OCR engine has been shut down.');
  }
}

function describeExit(info: WorkerExitInfo | undefined): string {
  if (!info) return 'unknown reason';
  if (info.signal) return `killed by ${info.signal}`;
  return `exit code ${info.code}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new OcrError('CANCELLED', 'Cancelled.');
}
