/**
 * The inference worker's entry, for both transports (Electron utilityProcess and child_process.fork).
 * The engine is imported lazily inside the handlers: a native module that fails to load then becomes a
 * typed MODEL_LOAD_FAILED answer to `init` instead of a worker that dies before it can say why.
 */
import type { OcrPipelineOptions } from '../../engines/api.js';
import { OcrError } from '../../engines/errors.js';
import type { RgbImage } from '../../engines/types.js';
import { createWorkerHandlers, type BuildingEngineEvent, type DocumentReaderLike, type EngineBuildDeps } from './handlers.js';
import { runWorker } from './worker-runtime.js';

runWorker((ctx) =>
  createWorkerHandlers(ctx, {
    async createPipeline(options: OcrPipelineOptions) {
      let mod: typeof import('../../engines/pipeline.js');
      try {
        mod = await import('../../engines/pipeline.js');
      } catch (cause) {
        throw new OcrError('MODEL_LOAD_FAILED', `The OCR engine could not be loaded: ${(cause as Error).message}`, { cause });
      }
      return mod.createOcrPipeline(options);
    },
    async openDocument(input): Promise<DocumentReaderLike> {
      const { openDocument } = await import('../../engines/input/open-document.js');
      return openDocument(input);
    },
    async encodeImage(image: RgbImage, format: 'png' | 'jpeg'): Promise<Uint8Array> {
      const { default: sharp } = await import('sharp');
      const raw = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
      // PNG for the viewer (exact pixels, fast low compression); JPEG for page images inside PDFs (size).
      const out = await (format === 'jpeg' ? raw.jpeg({ quality: 85, mozjpeg: true }) : raw.png({ compressionLevel: 3 })).toBuffer();
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
    engines: trtEngineDeps(),
  }),
);

/** Progress arrives per trtexec log line; the UI needs a few updates a second at most. */
const PROGRESS_INTERVAL_MS = 250;

function trtEngineDeps(): EngineBuildDeps {
  const load = () => import('../../engines/runtime/trt/engine-coordinator.js');
  const cacheDirOf = async (options: OcrPipelineOptions) => options.cacheDir ?? (await import('../../engines/runtime/pipeline-sessions.js')).defaultCacheDir();
  let acceptEngines = false;
  return {
    async prepare(options) {
      const c = await load();
      // An explicit provider other than TensorRT: nothing to build, and no nvidia-smi query to pay for.
      if (!c.wantsTensorRt(options.ep)) return { extras: {}, wanted: false, unavailableReason: null };
      const found = await c.detectEngineAvailability();
      acceptEngines = found.acceptEngines;
      return {
        extras: { available: found.available },
        wanted: true,
        unavailableReason: c.TrtEngineCoordinator.unavailableReason(found.available),
      };
    },
    start(options, extras, onProgress) {
      let coordinator: import('../../engines/runtime/trt/engine-coordinator.js').TrtEngineCoordinator | undefined;
      let cancelled = false;
      const outcome = (async () => {
        const c = await load();
        const { resolveModelPaths } = await import('../../engines/runtime/models.js');
        let lastSentMs = 0;
        let lastKey = '';
        coordinator = new c.TrtEngineCoordinator({
          paths: resolveModelPaths(options.modelDir),
          precision: options.precision ?? 'fp32',
          cacheDir: await cacheDirOf(options),
          available: extras.available as import('../../engines/runtime/execution-providers.js').ProviderAvailability,
          ...(acceptEngines ? { validate: c.acceptAllEngines } : {}),
          log: (m) => console.info(m),
          onProgress: (p) => {
            const key = `${p.stage}/${p.profile}/${p.phase}`;
            const now = performance.now();
            // Phase changes always go out (the final 'done' included); the rest at most every 250 ms.
            if (key === lastKey && now - lastSentMs < PROGRESS_INTERVAL_MS) return;
            lastKey = key;
            lastSentMs = now;
            const e: BuildingEngineEvent = {
              phase: 'building-engine',
              model: p.stage,
              precision: p.precision,
              step: `${p.message} (profile ${p.profileIndex + 1}/${p.profileCount})`,
              elapsedMs: p.elapsedMs,
              ...(p.estimatedRemainingMs === null ? {} : { estimatedRemainingMs: p.estimatedRemainingMs }),
              ...(p.fraction === null ? {} : { fraction: p.fraction }),
              logTail: p.logTail.slice(-12),
            };
            onProgress(e);
          },
        });
        if (cancelled) coordinator.cancel();
        const o = await coordinator.run();
        return { usable: o.usable, summary: o.summary, extras: { trtEngines: o.trtEngines } };
      })();
      return {
        outcome,
        cancel: () => {
          if (cancelled) return false;
          cancelled = true;
          return coordinator ? coordinator.cancel() : true;
        },
      };
    },
    async invalidate(options) {
      return (await load()).invalidateEngineCaches(await cacheDirOf(options));
    },
  };
}
