/**
 * One benchmark configuration (EP × precision) in its own process, so cold start and peak RSS belong to it
 * alone. Started by run-bench.ts with one JSON argument; writes its result as JSON to `out`.
 *
 * Modes: 'pipeline' (cold/warm start, per-stage timings, batch sweep, FP16-vs-FP32) and 'pdf' (the
 * streaming many-page PDF memory run).
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { OcrPipeline, OcrPipelineOptions } from '../../engines/api.js';
import { resolveConcurrency } from '../../engines/parallel/page-pool.js';
import { createOcrPipeline } from '../../engines/pipeline.js';
import { TextDetector } from '../../engines/det/text-detector.js';
import { detPreprocess } from '../../engines/det/det-preprocess.js';
import { cropQuad } from '../../engines/image/crop.js';
import { openDocument } from '../../engines/input/open-document.js';
import type { DocumentReader } from '../../engines/input/types.js';
import { TextRecognizer } from '../../engines/rec/text-recognizer.js';
import { DEFAULT_REC_WIDTH_BUCKETS_PX, ResizeScratch, planRecBatches, writeRecBatch } from '../../engines/rec/rec-preprocess.js';
import { detectProviderAvailability, planProviders } from '../../engines/runtime/execution-providers.js';
import { queryNvidiaGpus } from '../../engines/runtime/gpu-info.js';
import { resolveModelPaths } from '../../engines/runtime/models.js';
import { createSession } from '../../engines/runtime/session.js';
import type { OcrSession } from '../../engines/stages.js';
import type { ExecutionProviderName, Page, Precision, RgbImage, StageTimings } from '../../engines/types.js';
import { cer } from '../eval/metrics.js';
import { errorStats, mean, percentile, stageMeans } from './bench-stats.js';
import { startLoadSampler } from './load-sampler.js';

export interface ChildConfig {
  mode: 'pipeline' | 'pdf';
  ep: ExecutionProviderName;
  precision: Precision;
  /** Timed pages after the first (cold) page. */
  pages: number;
  /** Page sources, cycled: PNG/JPEG files or PDFs (page 0 rendered at `dpi`). */
  sources: string[];
  dpi: number;
  cacheDir: string;
  out: string;
  /** Wall clock (Date.now()) when the parent spawned this process. */
  spawnedAtMs: number;
  batchSizes: number[];
  /** mode 'pdf': the many-page PDF. */
  pdfPath?: string;
  compareFp16: boolean;
  /** OcrPipelineOptions.foldGraphs (false: the models as shipped, for an A/B of graph-fold.ts). */
  foldGraphs?: boolean;
  /** Crops used by the sweep and the text comparison (0 = all of the page's lines). */
  sweepLines: number;
  sweepRepeats: number;
  /** Page-parallel threads (OcrPipelineOptions.concurrency) for the 'pdf' run and the pool throughput run; unset: the default. */
  concurrency?: number;
  /** mode 'pipeline': an N-page PDF of the sources, OCRed through recognizeFile with the pool after the timed pages. */
  throughputPdf?: string;
  throughputPages?: number;
  /** Only the pool throughput run (no single-pipeline pages, sweep or FP16 comparison): bench --pool-only. */
  poolOnly?: boolean;
  /** OcrPipelineOptions.recBatchRows (bench --rec-rows); unset: the default. */
  recBatchRows?: number;
  /** OcrPipelineOptions.recPack (bench --rec-pack); unset: the default. */
  recPack?: boolean;
  /** OcrPipelineOptions.cudaWait (bench --cuda-wait); unset: the default. */
  cudaWait?: 'block' | 'spin';
  /** OcrPipelineOptions.recBatchPages (bench --rec-pages); unset: the default. */
  recBatchPages?: number;
  /** Page threads after the first started at once (bench --thread-starts; page-pool threadStartsForTest). */
  threadStarts?: number;
  /** OcrPipelineOptions.warmThreads (bench --warm-threads); unset: the default. */
  warmThreads?: boolean;
  /** OcrPipelineOptions.warmPages (bench --warm-pages); unset: the default. */
  warmPages?: number;
}

const cfg = JSON.parse(process.argv[2]!) as ChildConfig;
const result: Record<string, unknown> = { config: { ...cfg, out: undefined }, pid: process.pid };
// Reaches createPooledPipeline through createOcrPipeline's options (not part of OcrPipelineOptions: an experiment).
// The pool's own log (threads that could not start, warm-up times) goes into the result as poolLog.
const poolLog: string[] = [];
result.poolLog = poolLog;
const poolExtras = {
  ...(cfg.threadStarts === undefined ? {} : { threadStartsForTest: cfg.threadStarts }),
  ...(cfg.warmThreads === undefined ? {} : { warmThreads: cfg.warmThreads }),
  ...(cfg.warmPages === undefined ? {} : { warmPages: cfg.warmPages }),
  log: (m: string) => poolLog.push(`${(performance.now() / 1000).toFixed(1)} s: ${m}`),
} as Partial<OcrPipelineOptions>;
const pipelineExtras = {
  ...(cfg.recBatchRows === undefined ? {} : { recBatchRows: cfg.recBatchRows }),
  ...(cfg.recPack === undefined ? {} : { recPack: cfg.recPack }),
  ...(cfg.cudaWait === undefined ? {} : { cudaWait: cfg.cudaWait }),
  ...(cfg.recBatchPages === undefined ? {} : { recBatchPages: cfg.recBatchPages }),
};
const save = () => fs.writeFileSync(cfg.out, JSON.stringify(result, null, 1));
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
/**
 * Linux's split of RSS (/proc/self/status): anonymous memory (heaps, arenas, buffers: what the process itself
 * holds) against file-backed pages (shared libraries mapped and touched: CUDA, cuDNN and cuBLAS are ~2 GB of
 * them; clean, shared with other processes and reclaimable by the kernel). null elsewhere.
 */
function rssSplitMiB(): { anon: number; file: number; shmem: number } | null {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
    const split = { anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
    return Object.values(split).every(Number.isFinite) ? split : null;
  } catch {
    return null;
  }
}
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

async function gpuMemUsedMiB(): Promise<number | null> {
  const q = await queryNvidiaGpus().catch(() => null);
  if (!q?.gpus.length) return null;
  return q.gpus.reduce((s, g) => s + (g.memoryUsedMiB ?? 0), 0);
}

/** Why the pipeline did not run (ep, precision) as asked: fallbacks from Page.providers, or the plan's notes. */
async function deviations(providers: Page['providers']): Promise<string[]> {
  const out: string[] = [];
  const available = await detectProviderAvailability();
  for (const p of providers) {
    if (p.provider === cfg.ep && p.precision === cfg.precision) continue;
    const why = p.fallbacks.map((f) => `${f.provider}: ${f.reason}`);
    if (p.precision !== cfg.precision) {
      const plan = planProviders({ stage: p.stage, preference: cfg.ep, precision: cfg.precision, available });
      why.push(...plan.candidates.flatMap((c) => c.notes));
    }
    // On the asked EP with nothing rejected there (a gate rejection is a fallback on the same EP): the plan
    // itself chose this precision (e.g. FP16 det measured slower on CUDA, so det runs FP32).
    const planned = p.provider === cfg.ep && !p.fallbacks.some((f) => f.provider === cfg.ep);
    out.push(`${p.stage} ran ${p.provider}/${p.precision}${planned ? ' as planned' : ''}${why.length ? ` (${why.join('; ')})` : ''}`);
  }
  return out;
}

class PageSource {
  #readers: DocumentReader[] = [];
  #files: string[] = [];
  static async open(files: string[]): Promise<PageSource> {
    const s = new PageSource();
    s.#files = files;
    for (const f of files) s.#readers.push(await openDocument(f));
    return s;
  }
  /** The ground truth of page i's source (its page 0), from the fixture's .truth.json beside it; null if none. */
  truth(i: number): { name: string; text: string } | null {
    const file = this.#files[i % this.#files.length]!;
    const truthFile = file.replace(/\.(png|pdf)$/i, '.truth.json');
    if (!fs.existsSync(truthFile)) return null;
    const t = JSON.parse(fs.readFileSync(truthFile, 'utf8')) as { lines?: string[]; pages?: { lines: string[] }[] };
    return { name: path.basename(file), text: (t.pages?.[0]?.lines ?? t.lines ?? []).join('\n') };
  }
  async page(i: number): Promise<{ image: RgbImage; decodeMs: number }> {
    const r = this.#readers[i % this.#readers.length]!;
    const p = await r.renderPage(0, { dpi: cfg.dpi });
    return { image: p.image, decodeMs: p.decodeMs };
  }
  async close(): Promise<void> {
    await Promise.all(this.#readers.map((r) => r.close()));
  }
}

/** A session of exactly (ep, precision), no planning or gate: for the sweep and the FP16 comparison. */
async function forcedSession(stage: 'det' | 'rec', precision: Precision): Promise<OcrSession> {
  const models = resolveModelPaths();
  return createSession(models[stage], {
    stage,
    plan: [{ provider: cfg.ep, precision, model: precision === 'fp16' ? 'fp16' : 'original', notes: [] }],
    cache: cfg.cacheDir,
  });
}

async function timeIt<T>(fn: () => Promise<T>, repeats: number): Promise<{ value: T; medianMs: number }> {
  let value = await fn(); // warm (first run of a shape tunes kernels on GPU EPs)
  const ts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    value = await fn();
    ts.push(performance.now() - t);
  }
  return { value, medianMs: percentile(ts, 50) };
}

async function pipelineMode(): Promise<void> {
  const gpuBefore = await gpuMemUsedMiB();
  const source = await PageSource.open(cfg.sources);
  const first = await source.page(0);
  const texts: string[] = [];
  result.providers = [];
  // A pipeline that cannot be created is reported, and the forced-session sweep and comparison still run.
  try {
    // 1. Cold start: process start → pipeline → first page result.
    const tCreate = performance.now();
    // One in-thread pipeline (concurrency 1): per-stage timings of a single page; the pool is measured below.
    const pipeline = await createOcrPipeline({ ep: cfg.ep, precision: cfg.precision, cacheDir: cfg.cacheDir, foldGraphs: cfg.foldGraphs, ...pipelineExtras, concurrency: 1 });
    const createMs = performance.now() - tCreate;
    const firstPage = await pipeline.recognizeImage(first.image, { index: 0 });
    const firstPageAtMs = performance.now();
    result.coldStart = {
      createMs,
      firstPageMs: firstPage.timings.totalMs,
      sinceTimeOriginMs: firstPageAtMs,
      sinceSpawnMs: Date.now() - cfg.spawnedAtMs,
      uptimeS: process.uptime(),
    };
    result.providers = firstPage.providers;
    result.deviations = await deviations(firstPage.providers);
    result.info = pipeline.info();
    save();

    // 2. Warm start: a second pipeline in the same process (libraries loaded, FP16 models cached).
    const tWarm = performance.now();
    const second = await createOcrPipeline({ ep: cfg.ep, precision: cfg.precision, cacheDir: cfg.cacheDir, foldGraphs: cfg.foldGraphs, ...pipelineExtras, concurrency: 1 });
    result.warmCreateMs = performance.now() - tWarm;
    await second.dispose();

    // 3. Timed pages: decode/render + OCR, one after another as a user's batch would run.
    const pages: Page[] = [];
    const latencies: number[] = [];
    const t0 = performance.now();
    for (let i = 1; i <= cfg.pages; i++) {
      const tp = performance.now();
      const { image, decodeMs } = await source.page(i);
      const page = await pipeline.recognizeImage(image, { index: i });
      page.timings.decodeMs = decodeMs;
      page.timings.totalMs += decodeMs;
      latencies.push(performance.now() - tp);
      pages.push(page);
    }
    const wallS = (performance.now() - t0) / 1000;
    result.run = {
      pages: pages.length,
      wallS,
      pagesPerS: pages.length / wallS,
      latencyP50Ms: percentile(latencies, 50),
      latencyP95Ms: percentile(latencies, 95),
      stageMeansMs: stageMeans(pages.map((p) => p.timings)),
      linesPerPage: mean(pages.map((p) => p.blocks.reduce((s, b) => s + b.lines.length, 0))),
      imageSize: `${first.image.width}×${first.image.height}`,
    };
    result.gpuMemUsedMiB = await gpuMemUsedMiB();
    result.gpuMemBeforeMiB = gpuBefore;
    result.peakRssAfterRunMiB = peakRssMiB();
    save();
    texts.push(firstPage.text, ...pages.map((p) => p.text));
    await pipeline.dispose();
    if (cfg.throughputPdf) await poolThroughput();
  } catch (e) {
    result.pipelineError = String((e as Error)?.stack ?? e).slice(0, 1500);
    save();
  }

  // 4. Recognition batch-size sweep on the crops of one page (this child's EP and precision, no gate).
  const recSession = await forcedSession('rec', cfg.precision).catch((e: Error) => e);
  const det32 = await forcedSession('det', 'fp32').catch((e: Error) => e);
  if (recSession instanceof Error || det32 instanceof Error) {
    result.sweepError = String((recSession instanceof Error ? recSession : (det32 as Error)).message).slice(0, 400);
    save();
    return;
  }
  const detector = await TextDetector.create(det32);
  const boxes = (await detector.run(first.image)).boxes;
  const limit = (n: number) => (cfg.sweepLines > 0 ? Math.min(n, cfg.sweepLines) : n);
  const crops = boxes.slice(0, limit(boxes.length)).map((b) => cropQuad(first.image, b.quad).image);
  const dict = resolveModelPaths().dict;
  const sweep: Record<string, unknown>[] = [];
  for (const b of cfg.batchSizes) {
    try {
      const rec = await TextRecognizer.create(recSession, dict, { batchSize: b });
      const { value, medianMs } = await timeIt(() => rec.run(crops), cfg.sweepRepeats);
      sweep.push({ batchSize: b, lines: crops.length, msPerLine: medianMs / crops.length, runMsPerLine: value.timings.runMs / crops.length, shapes: value.batchShapes.length });
    } catch (e) {
      sweep.push({ batchSize: b, error: String((e as Error).message).slice(0, 300) });
    }
    result.sweep = sweep;
    save();
  }

  // 5. FP16 vs FP32 on the same inputs (fp16 children only): forced sessions, so refused FP16 is still measured.
  if (cfg.compareFp16 && cfg.precision === 'fp16') {
    const cmp: Record<string, unknown> = {};
    result.fp16VsFp32 = cmp;
    try {
      const det16 = await forcedSession('det', 'fp16');
      const rec32 = await forcedSession('rec', 'fp32');
      const rec16 = recSession;
      cmp.placement = { det16: det16.provider, rec16: rec16.provider };
      const { tensor } = detPreprocess(first.image, { limitSideLenPx: 960, limitType: 'max' });
      const d32 = await timeIt(() => det32.run(tensor), cfg.sweepRepeats);
      const d16 = await timeIt(() => det16.run(tensor), cfg.sweepRepeats);
      cmp.detInput = tensor.dims;
      cmp.detRunMs = { fp32: d32.medianMs, fp16: d16.medianMs };
      cmp.detMap = errorStats(d32.value.data, d16.value.data);
      const plans = planRecBatches(crops, { batchSize: 6, widthBucketsPx: DEFAULT_REC_WIDTH_BUCKETS_PX, batchSizeBuckets: null });
      const plan = plans[0]!;
      const input = new Float32Array(plan.rows * 3 * 48 * plan.imgWPx);
      writeRecBatch(crops, plan, input, new ResizeScratch());
      const recIn = { data: input, dims: [plan.rows, 3, 48, plan.imgWPx] };
      const r32 = await timeIt(() => rec32.run(recIn), cfg.sweepRepeats);
      const r16 = await timeIt(() => rec16.run(recIn), cfg.sweepRepeats);
      cmp.recInput = recIn.dims;
      cmp.recRunMs = { fp32: r32.medianMs, fp16: r16.medianMs };
      cmp.recProb = errorStats(r32.value.data, r16.value.data);
      // det + rec texts of the page at each precision (no cls/layout), then the CER between them.
      const text = async (det: OcrSession, rec: OcrSession) => {
        const bx = (await (await TextDetector.create(det)).run(first.image)).boxes;
        const cr = bx.slice(0, limit(bx.length)).map((b) => cropQuad(first.image, b.quad).image);
        const out = await (await TextRecognizer.create(rec, dict)).run(cr);
        return out.results.map((r) => r.text).join('\n');
      };
      const t32 = await text(det32, rec32);
      const t16 = await text(det16, rec16);
      cmp.detRecCer = cer(t32, t16);
      await Promise.all([det16.dispose(), rec32.dispose()]);
      // The real pipelines' page texts, when this configuration's pipeline really ran FP16.
      if (texts.length && (result.providers as Page['providers']).some((p) => p.precision === 'fp16')) {
        const p32 = await createOcrPipeline({ ep: cfg.ep, precision: 'fp32', cacheDir: cfg.cacheDir, foldGraphs: cfg.foldGraphs, ...pipelineExtras, concurrency: 1 });
        const src = await PageSource.open(cfg.sources);
        const rates = [];
        // "Within 0.2 CER points": each precision's CER against the page's ground truth, and the difference.
        const truthCer = [];
        for (let i = 0; i < Math.min(texts.length, cfg.sweepLines > 0 ? 1 : 5); i++) {
          const { image } = await src.page(i);
          const t32 = (await p32.recognizeImage(image)).text;
          rates.push(cer(t32, texts[i]!));
          const truth = src.truth(i);
          if (truth) {
            const fp32 = cer(truth.text, t32).rate * 100;
            const fp16 = cer(truth.text, texts[i]!).rate * 100;
            truthCer.push({ source: truth.name, fp32Percent: fp32, fp16Percent: fp16, deltaPoints: fp16 - fp32 });
          }
        }
        await src.close();
        await p32.dispose();
        cmp.pipelineCer = rates;
        cmp.truthCer = truthCer;
      } else {
        cmp.pipelineCer = 'the FP16 pipeline did not run FP16 (see deviations); only the forced-session comparison above';
      }
    } catch (e) {
      cmp.error = String((e as Error).message).slice(0, 400);
    }
    save();
  }
  await Promise.all([recSession.dispose(), det32.dispose()]);
  await source.close();
}

/** Pages in a streamed document, timed from the first page asked to each page handed over (in page order). */
async function streamPdf(pipeline: OcrPipeline, n: number, onDone: (count: number, atS: number, page: Page) => void): Promise<{ failures: number; wallS: number }> {
  const t0 = performance.now();
  let count = 0;
  const doc = await pipeline.recognizeFile(cfg.throughputPdf && cfg.mode === 'pipeline' ? cfg.throughputPdf : cfg.pdfPath!, {
    dpi: cfg.dpi,
    pdfMode: 'ocr',
    pages: Array.from({ length: n }, (_, i) => i),
    keepPages: false, // streaming: nothing of the page is kept but its finish time
    onPage: (p) => onDone(++count, (performance.now() - t0) / 1000, p),
  });
  return { failures: doc.failures.length, wallS: (performance.now() - t0) / 1000 };
}

/** Throughput with page-parallel threads: recognizeFile over an N-page PDF, pool created beforehand (not timed). */
async function poolThroughput(): Promise<void> {
  const n = cfg.throughputPages ?? cfg.pages;
  try {
    const tCreate = performance.now();
    const pool = await createOcrPipeline({ ep: cfg.ep, precision: cfg.precision, cacheDir: cfg.cacheDir, foldGraphs: cfg.foldGraphs, ...pipelineExtras, ...poolExtras, ...(cfg.concurrency ? { concurrency: cfg.concurrency } : {}) });
    // Threads after the first load one at a time in the background; the timed run starts with all of them.
    if ('whenAllStarted' in pool) await (pool as { whenAllStarted(): Promise<void> }).whenAllStarted();
    const createMs = performance.now() - tCreate;
    const concurrency = cfg.concurrency ?? (await resolveConcurrency({ ep: cfg.ep, precision: cfg.precision }));
    const doneAtS: number[] = [];
    const timings: StageTimings[] = [];
    const stopSampler = startLoadSampler();
    const { failures, wallS } = await streamPdf(pool, n, (_c, atS, page) => {
      doneAtS.push(atS);
      timings.push(page.timings);
    });
    const load = stopSampler();
    // Steady state: after each thread's first page (its first inference on each shape may still tune kernels).
    const c = Math.min(concurrency, doneAtS.length - 1);
    result.throughput = {
      cudaWait: pool.info().cudaWait ?? null,
      concurrency,
      pages: doneAtS.length,
      failures,
      createMs,
      wallS,
      pagesPerS: doneAtS.length / wallS,
      steadyPagesPerS: c > 0 ? (doneAtS.length - c) / (doneAtS.at(-1)! - doneAtS[c - 1]!) : null,
      // Seconds until as many pages as threads were done: each thread's first page (pdf.js load, JIT, first runs).
      firstPagesS: c > 0 ? doneAtS[c - 1]! : null,
      // Cores and GPU busy over the whole timed run: which of the two bounds pages/s.
      load,
      // What a page costs inside a thread while the others run (contention shows as growth over the one-pipeline row).
      steadyStageMeansMs: stageMeans(timings.slice(c)),
      // The same for the first `threads` pages (each thread's first page, roughly): where the ramp-up goes.
      firstStageMeansMs: stageMeans(timings.slice(0, c)),
      peakRssMiB: peakRssMiB(),
    };
    save(); // before dispose: a thread that dies while releasing must not lose the figures
    await pool.dispose();
  } catch (e) {
    result.throughput = { error: String((e as Error)?.stack ?? e).slice(0, 1500) };
  }
  save();
}

async function pdfMode(): Promise<void> {
  const pipeline = await createOcrPipeline({ ep: cfg.ep, precision: cfg.precision, cacheDir: cfg.cacheDir, foldGraphs: cfg.foldGraphs, ...pipelineExtras, ...poolExtras, ...(cfg.concurrency ? { concurrency: cfg.concurrency } : {}) });
  const samples: { page: number; rssMiB: number; atS: number; split: ReturnType<typeof rssSplitMiB> }[] = [];
  const doneAtS: number[] = [];
  const n = cfg.pages;
  const every = Math.min(25, Math.max(1, Math.floor(n / 5)));
  let count = 0;
  let providers: Page['providers'] = [];
  const { failures, wallS } = await streamPdf(pipeline, n, (c, atS, p) => {
    count = c;
    if (count === 1) providers = p.providers;
    doneAtS.push(atS);
    if (count % every === 0 || count === 1 || count === n) samples.push({ page: count, rssMiB: rssMiB(), atS, split: rssSplitMiB() });
  });
  const w = Math.max(1, Math.min(50, Math.floor(n / 3)));
  const rate = (from: number) => {
    const start = from === 0 ? 0 : doneAtS[from - 1]!;
    return w / (doneAtS[from + w - 1]! - start);
  };
  const mid = Math.max(0, Math.floor(n / 2 - w / 2));
  result.pdf = {
    pages: count,
    concurrency: cfg.concurrency ?? (await resolveConcurrency({ ep: cfg.ep, precision: cfg.precision })),
    failures,
    wallS,
    pagesPerS: count / wallS,
    windowPages: w,
    pagesPerSFirst: rate(0),
    pagesPerSMiddle: rate(mid),
    pagesPerSLast: rate(n - w),
    rssSamples: samples,
    peakRssMiB: peakRssMiB(),
    providers,
    deviations: await deviations(providers),
  };
  result.gpuMemUsedMiB = await gpuMemUsedMiB();
  await pipeline.dispose();
}

try {
  if (cfg.mode === 'pdf') await pdfMode();
  else if (cfg.poolOnly && cfg.throughputPdf) await poolThroughput();
  else await pipelineMode();
} catch (e) {
  result.error = String((e as Error)?.stack ?? e).slice(0, 1500);
}
result.peakRssMiB = peakRssMiB();
save();
process.exit(0);
