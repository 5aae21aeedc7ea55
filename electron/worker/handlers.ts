/**
 * WorkerMethods implemented over the engine (Beekeeper's handler map). The pipeline, the document opener
 * and the PNG encoder are injected so this file stays free of native imports and the entry decides
 * what to load, and when.
 */
import type { DocumentInput, OcrPipeline, OcrPipelineOptions } from '../../engines/api.js';
import { OcrError } from '../../engines/errors.js';
import type { DocumentSourceInfo, EngineInfo, Precision, RgbImage } from '../../engines/types.js';
import type { JobId, RecognizeRequest, RenderedPageImage } from '../common/worker-protocol.js';
import type { WorkerContext, WorkerHandlerSet } from './worker-runtime.js';

/** What the worker needs from engines/input's document reader (structural, so either side can grow). */
export interface DocumentReaderLike {
  readonly info: DocumentSourceInfo;
  readonly pageCount: number;
  renderPage(pageIndex: number, opts: { dpi?: number }): Promise<{ image: RgbImage }>;
  close(): Promise<void>;
}

export interface WorkerHandlerDeps {
  createPipeline(options: OcrPipelineOptions): Promise<OcrPipeline>;
  openDocument(input: DocumentInput): Promise<DocumentReaderLike>;
  encodeImage(image: RgbImage, format: 'png' | 'jpeg'): Promise<Uint8Array>;
}

/** A reader stays open this long after the last page view, so paging through a PDF does not re-parse it. */
const READER_IDLE_CLOSE_MS = 30_000;

export function createWorkerHandlers(ctx: WorkerContext, deps: WorkerHandlerDeps): WorkerHandlerSet {
  let baseOptions: OcrPipelineOptions | undefined;
  let baseKey = '';
  /** One pipeline per precision; the init precision's is created by init, the other only by ocr:compare. */
  const pipelines = new Map<Precision, Promise<OcrPipeline>>();
  const jobs = new Map<JobId, AbortController>();
  /** A cancel can overtake its job's request on the wire; remember it so the job starts aborted. */
  const cancelledEarly = new Set<JobId>();
  const viewer = createReaderCache(deps, ctx);

  const initPrecision = (): Precision => baseOptions?.precision ?? 'fp32';

  async function disposePipelines(): Promise<void> {
    const all = [...pipelines.values()];
    pipelines.clear();
    for (const p of all) {
      try {
        await (await p).dispose();
      } catch {
        // A pipeline that failed to load has nothing to release.
      }
    }
  }

  function pipelineFor(precision: Precision | undefined): Promise<OcrPipeline> {
    if (!baseOptions) throw new OcrError('INTERNAL', 'The OCR worker was asked to work before init.');
    const p = precision ?? initPrecision();
    let pipeline = pipelines.get(p);
    if (!pipeline) {
      pipeline = deps.createPipeline({ ...baseOptions, precision: p });
      pipelines.set(p, pipeline);
      // A failed load must not be cached: the next call tries again.
      pipeline.catch(() => pipelines.get(p) === pipeline && pipelines.delete(p));
    }
    return pipeline;
  }

  return {
    cancel(jobId) {
      const ctrl = jobs.get(jobId);
      if (ctrl) ctrl.abort(new OcrError('CANCELLED', 'Cancelled.'));
      else cancelledEarly.add(jobId);
    },

    methods: {
      async init(options) {
        const key = stableKey(options);
        if (baseOptions && key === baseKey && pipelines.has(initPrecision())) return (await pipelineFor(undefined)).info();
        await disposePipelines();
        baseOptions = { ...options };
        baseKey = key;
        const t0 = performance.now();
        ctx.emit('engine-status', { phase: 'loading', message: `Loading models (${options.ep ?? 'auto'}, ${options.precision ?? 'fp32'})…` });
        try {
          const info = (await pipelineFor(undefined)).info();
          ctx.emit('engine-status', { phase: 'ready', info, startupMs: performance.now() - t0 });
          return info;
        } catch (e) {
          const err = e instanceof OcrError ? e : new OcrError('MODEL_LOAD_FAILED', `Could not load the OCR models: ${(e as Error)?.message ?? String(e)}`, { cause: e });
          baseOptions = undefined;
          baseKey = '';
          ctx.emit('engine-status', { phase: 'error', error: err.toJSON() });
          throw err;
        }
      },

      async engineInfo(): Promise<EngineInfo> {
        return (await pipelineFor(undefined)).info();
      },

      async recognize(req: RecognizeRequest) {
        const { jobId } = req;
        const ctrl = new AbortController();
        jobs.set(jobId, ctrl);
        if (cancelledEarly.delete(jobId)) ctrl.abort(new OcrError('CANCELLED', 'Cancelled.'));
        try {
          const pipeline = await pipelineFor(req.precision);
          let pages = req.pages;
          const skip = new Set(req.skipPages ?? []);
          if (skip.size > 0) {
            // Resuming after a crash: the list of pages to do is "all of them" minus the finished ones.
            if (!pages) pages = range(await pageCountOf(deps, req.input));
            pages = pages.filter((p) => !skip.has(p));
          }
          return await pipeline.recognizeFile(req.input, {
            ...(pages ? { pages } : {}),
            ...(req.dpi === undefined ? {} : { dpi: req.dpi }),
            ...(req.pdfMode === undefined ? {} : { pdfMode: req.pdfMode }),
            signal: ctrl.signal,
            onPage: (page) => ctx.emit('page-done', { jobId, page }),
            onPageFailure: (failure) => ctx.emit('page-failed', { jobId, failure }),
            onProgress: (p) => ctx.emit('progress', { jobId, ...p }),
          });
        } catch (e) {
          if (ctrl.signal.aborted) {
            throw e instanceof OcrError && e.code === 'CANCELLED' ? e : new OcrError('CANCELLED', 'Cancelled.', { cause: e });
          }
          throw e;
        } finally {
          jobs.delete(jobId);
        }
      },

      async probe(req) {
        const reader = await deps.openDocument(req.input);
        try {
          return reader.info;
        } finally {
          await reader.close();
        }
      },

      async renderPage(req): Promise<RenderedPageImage> {
        return viewer.render(req.input, req.pageIndex, req.dpi, req.format ?? 'png');
      },

      async dispose() {
        for (const ctrl of jobs.values()) ctrl.abort(new OcrError('CANCELLED', 'The worker is shutting down.'));
        await viewer.close();
        await disposePipelines();
        baseOptions = undefined;
      },
    },
  };
}

async function pageCountOf(deps: WorkerHandlerDeps, input: DocumentInput): Promise<number> {
  const reader = await deps.openDocument(input);
  try {
    return reader.pageCount;
  } finally {
    await reader.close();
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Options compare equal when their JSON with sorted keys does. */
function stableKey(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );
}

function inputKey(input: DocumentInput): string {
  return typeof input === 'string' ? `path:${input}` : `bytes:${input.name}:${input.bytes.byteLength}`;
}

/** Keeps the last opened document for the viewer, closing it when idle or when another one is asked for. */
function createReaderCache(deps: WorkerHandlerDeps, ctx: WorkerContext) {
  let current: { key: string; reader: Promise<DocumentReaderLike> } | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  async function close(): Promise<void> {
    clearTimeout(idleTimer);
    const c = current;
    current = undefined;
    if (!c) return;
    try {
      await (await c.reader).close();
    } catch (e) {
      ctx.log('debug', `closing a viewer document failed: ${(e as Error).message}`);
    }
  }

  return {
    close,
    async render(input: DocumentInput, pageIndex: number, dpi: number | undefined, format: 'png' | 'jpeg'): Promise<RenderedPageImage> {
      const key = inputKey(input);
      if (current?.key !== key) {
        await close();
        current = { key, reader: deps.openDocument(input) };
        current.reader.catch(() => undefined);
      }
      clearTimeout(idleTimer);
      let reader: DocumentReaderLike;
      try {
        reader = await current.reader;
      } catch (e) {
        current = undefined;
        throw e;
      }
      idleTimer = setTimeout(() => void close(), READER_IDLE_CLOSE_MS);
      idleTimer.unref();
      const file = reader.info.name;
      if (!Number.isInteger(pageIndex) || pageIndex < 0 || pageIndex >= reader.pageCount) {
        throw new OcrError('PAGE_OUT_OF_RANGE', `Page ${pageIndex + 1} does not exist (the document has ${reader.pageCount}).`, { file, page: pageIndex });
      }
      const { image } = await reader.renderPage(pageIndex, dpi === undefined ? {} : { dpi });
      return {
        mimeType: format === 'jpeg' ? 'image/jpeg' : 'image/png',
        bytes: await deps.encodeImage(image, format),
        width: image.width,
        height: image.height,
      };
    },
  };
}
