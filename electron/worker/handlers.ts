/**
 * WorkerMethods implemented over the engine (Beekeeper's handler map). The pipeline, the document opener
 * and the PNG encoder are injected so this file stays free of native imports and the entry decides
 * what to load, and when.
 */
import type { ProviderChoice } from '../../engines/runtime/execution-providers.js';
import type { DocumentInput, OcrPipeline, OcrPipelineOptions } from '../../engines/api.js';
import { OcrError } from '../../engines/errors.js';
import type { DocumentSourceInfo, EngineInfo, Precision, RgbImage } from '../../engines/types.js';
import type { EngineStatusEvent, JobId, RecognizeRequest, RenderedPageImage } from '../common/worker-protocol.js';
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
  /** Cached TensorRT engines (engines/runtime/trt/engine-coordinator.ts); absent: none are attempted. */
  engines?: EngineBuildDeps;
}

export type BuildingEngineEvent = Extract<EngineStatusEvent, { phase: 'building-engine' }>;

/** Extra pipeline options the engine side understands (PipelineSessionOptions: availability, trtEngines). */
export type PipelineExtras = Record<string, unknown>;

export interface EngineBuildDeps {
  /**
   * Before the first pipeline: availability (passed to every pipeline) and whether TensorRT is wanted
   * (preference 'auto' or 'tensorrt') and possible here (unavailableReason null).
   */
  prepare(options: OcrPipelineOptions): Promise<{ extras: PipelineExtras; wanted: boolean; unavailableReason: string | null }>;
  /** Starts the background builds; the pipeline keeps serving meanwhile. */
  start(
    options: OcrPipelineOptions,
    extras: PipelineExtras,
    onProgress: (e: BuildingEngineEvent) => void,
  ): { outcome: Promise<{ usable: boolean; summary: string; extras: PipelineExtras }>; cancel(): boolean };
  /** Drops cached engines and FP16 models. */
  invalidate(options: OcrPipelineOptions): Promise<number>;
}

const PROVIDER_LABEL: Record<string, string> = { tensorrt: 'TensorRT', cuda: 'CUDA', webgpu: 'WebGPU', dml: 'DirectML', coreml: 'CoreML', cpu: 'CPU' };

/** "CPU" or "CUDA (det, rec), CPU (cls)": what serves while TensorRT does not. */
function servingLabel(info: EngineInfo): string {
  const by = new Map<string, string[]>();
  for (const p of info.providers) by.set(p.provider, [...(by.get(p.provider) ?? []), p.stage]);
  const label = (p: string) => PROVIDER_LABEL[p] ?? p;
  return by.size === 1 ? label([...by.keys()][0]!) : [...by].map(([p, stages]) => `${label(p)} (${stages.join(', ')})`).join(', ');
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
  /** Availability for every pipeline; trtExtras (engine states) only for the init precision's. */
  let baseExtras: PipelineExtras = {};
  let trtExtras: PipelineExtras = {};
  let build: { cancel(): boolean } | undefined;
  /** Bumped by init/dispose: a build or switch-over of an older generation is dropped. */
  let generation = 0;
  let fallbackEmitted = false;
  /** Jobs per pipeline, so a superseded pipeline is released only once its last job ends (never mid-page). */
  const users = new Map<OcrPipeline, number>();
  const retired = new Set<OcrPipeline>();

  const initPrecision = (): Precision => baseOptions?.precision ?? 'fp32';

  function cancelBuild(): boolean {
    const b = build;
    build = undefined;
    return b?.cancel() ?? false;
  }

  function release(p: OcrPipeline): void {
    const n = (users.get(p) ?? 1) - 1;
    if (n > 0) return void users.set(p, n);
    users.delete(p);
    if (retired.delete(p)) void p.dispose().catch(() => undefined);
  }

  function startEngineBuilds(engines: EngineBuildDeps, info: EngineInfo): void {
    const gen = generation;
    const options = baseOptions!;
    const started = engines.start(options, baseExtras, (e) => gen === generation && ctx.emit('engine-status', e));
    build = started;
    void (async () => {
      const label = servingLabel(info);
      try {
        const outcome = await started.outcome;
        if (gen !== generation) return;
        if (build === started) build = undefined;
        if (!outcome.usable) {
          ctx.emit('engine-status', { phase: 'fallback', message: `${outcome.summary}; using ${label}` });
          return;
        }
        // Switch over between jobs: running jobs hold the old pipeline to their end; the next job gets this one.
        const t0 = performance.now();
        const p = initPrecision();
        const next = await deps.createPipeline({ ...options, ...baseExtras, ...outcome.extras, precision: p } as OcrPipelineOptions);
        if (gen !== generation) return void (await next.dispose().catch(() => undefined));
        trtExtras = outcome.extras;
        const old = pipelines.get(p);
        pipelines.set(p, Promise.resolve(next));
        if (old) {
          const o = await old.catch(() => undefined);
          if (o && (users.get(o) ?? 0) > 0) retired.add(o);
          else await o?.dispose().catch(() => undefined);
        }
        const nextInfo = next.info();
        ctx.log('info', `${outcome.summary}; now serving with ${servingLabel(nextInfo)}`);
        ctx.emit('engine-status', { phase: 'ready', info: nextInfo, startupMs: performance.now() - t0 });
      } catch (e) {
        if (gen !== generation) return;
        ctx.emit('engine-status', { phase: 'fallback', message: `TensorRT engines could not be used: ${(e as Error)?.message ?? String(e)}; using ${label}` });
      }
    })();
  }

  async function disposePipelines(): Promise<void> {
    generation++;
    cancelBuild();
    trtExtras = {};
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
      pipeline = deps.createPipeline({ ...baseOptions, ...baseExtras, ...(p === initPrecision() ? trtExtras : {}), precision: p } as OcrPipelineOptions);
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
          const trt = deps.engines ? await deps.engines.prepare(options) : undefined;
          baseExtras = trt?.extras ?? {};
          const info = (await pipelineFor(undefined)).info();
          ctx.emit('engine-status', { phase: 'ready', info, startupMs: performance.now() - t0 });
          if (trt?.wanted && trt.unavailableReason === null) startEngineBuilds(deps.engines!, info);
          else if (trt?.wanted && !fallbackEmitted) {
            // Once per worker: the reason does not change until the machine does.
            fallbackEmitted = true;
            ctx.emit('engine-status', { phase: 'fallback', message: `TensorRT not available: ${trt.unavailableReason}; using ${servingLabel(info)}` });
          }
          return info;
        } catch (e) {
          const err = e instanceof OcrError ? e : new OcrError('MODEL_LOAD_FAILED', `Could not load the OCR models: ${(e as Error)?.message ?? String(e)}`, { cause: e });
          baseOptions = undefined;
          baseKey = '';
          ctx.emit('engine-status', { phase: 'error', error: err.toJSON() });
          throw err;
        }
      },

      async engineInfo(): Promise<EngineInfo & { availableProviders: ProviderChoice[] }> {
        const info = (await pipelineFor(undefined)).info();
        // What the settings screen may offer, each unavailable provider with its reason (loaded lazily: the
        // runtime module pulls in onnxruntime-node).
        const runtime = await import('../../engines/runtime/execution-providers.js');
        return { ...info, availableProviders: runtime.describeProviderChoices(await runtime.detectProviderAvailability()) };
      },

      async recognize(req: RecognizeRequest) {
        const { jobId } = req;
        const ctrl = new AbortController();
        jobs.set(jobId, ctrl);
        if (cancelledEarly.delete(jobId)) ctrl.abort(new OcrError('CANCELLED', 'Cancelled.'));
        let pipeline: OcrPipeline | undefined;
        try {
          pipeline = await pipelineFor(req.precision);
          users.set(pipeline, (users.get(pipeline) ?? 0) + 1);
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
          if (pipeline) release(pipeline);
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

      async cancelEngineBuild() {
        return { cancelled: cancelBuild() };
      },

      async invalidateEngineCache() {
        cancelBuild();
        return { removed: deps.engines ? await deps.engines.invalidate(baseOptions ?? {}) : 0 };
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
