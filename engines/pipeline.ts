// The OCR pipeline: det → crop → cls → rec → layout, after PaddleOCR tools/infer/predict_system.py,
// with page orientation, reading order, word boxes and PDF text layers on top.
import { cudaWaitState } from './runtime/cuda-wait.js';
import { createRequire } from 'node:module';
import type { DocumentInput, OcrPipeline, OcrPipelineOptions, RecognizeOptions } from './api.js';
import { TextClassifier, rotate180 } from './cls/text-classifier.js';
import { TextDetector } from './det/text-detector.js';
import { OcrError, serializeError, toOcrError } from './errors.js';
import { cropQuad } from './image/crop.js';
import { extendLineEnds } from './image/line-ends.js';
import { rotateImage } from './image/resize.js';
import { openDocument } from './input/open-document.js';
import { DEFAULT_PDF_DPI, type DocumentReader, type PageImage, type TextLayerPage } from './input/types.js';
import { decideOrientation, fromUpright, toUpright } from './layout/orientation.js';
import { orderLines, type LineCandidate } from './layout/reading-order.js';
import { pageText } from './layout/page-text.js';
import { buildWords } from './layout/words.js';
import { resolveModelPaths, type ModelPaths } from './runtime/models.js';
import { createPipelineSessions, type PipelineSessions } from './runtime/pipeline-sessions.js';
import { normalizeLatinPunctuation } from './rec/latin-punctuation.js';
import { recoverSpaces } from './rec/space-recovery.js';
import { fixGlyphsByInk } from './rec/glyph-ink.js';
import { TextRecognizer } from './rec/text-recognizer.js';
import type { DetResult, LineCrop, RecResult } from './stages.js';
import {
  RESULT_SCHEMA_ID,
  RESULT_SCHEMA_VERSION,
  type EngineInfo,
  type OcrDocument,
  type Page,
  type PageFailure,
  type Quad,
  type RgbImage,
  type Rotation,
  type StageTimings,
} from './types.js';

const require = createRequire(import.meta.url);
const ORT_VERSION: string = require('onnxruntime-node/package.json').version;
const LUCID_VERSION: string = findOwnVersion();

/** Our package.json sits one folder up from the sources and two from the build (dist/engines/). */
function findOwnVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'lucid-ocr' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return '0.0.0';
}

/** PaddleOCR's drop_score: lines recognised with a lower mean confidence are noise more often than text. */
export const DEFAULT_DROP_SCORE = 0.5;
/** PDF render resolution when none is asked for: one value for OCR, the viewer and the CLI (input/types.ts). */
export { DEFAULT_PDF_DPI };

/**
 * A page whose detected text area is at least this share sideways (tall boxes) is turned upright and detected
 * again (same bar as decideOrientation's page-level override).
 */
export const SIDEWAYS_REDETECT_MIN_SHARE = 0.75;

export async function createOcrPipeline(options: OcrPipelineOptions = {}): Promise<OcrPipeline> {
  // Several pages at once: a pool of worker threads, each with its own pipeline (engines/parallel/).
  // Imported lazily: the pool's threads import this module themselves.
  const { resolveConcurrency, createPooledPipeline } = await import('./parallel/page-pool.js');
  const concurrency = await resolveConcurrency(options);
  if (concurrency > 1) return createPooledPipeline({ ...options, concurrency });
  return Pipeline.create(options);
}

/** One pipeline in this thread, whatever options.concurrency says: the pool's threads run these. */
export async function createPagePipeline(options: OcrPipelineOptions = {}): Promise<PagePipeline> {
  return Pipeline.create(options);
}

/** A page of a document, read and ready for OCR (or already a page, when its PDF text layer was used). */
export type LoadedPage = { kind: 'done'; page: Page } | { kind: 'image'; rendered: PageImage; pdf: boolean; pageCount: number };

/**
 * The page-level steps of recognizeFile, for callers that hold the DocumentReader themselves (the page pool's
 * threads): loadPage (render/decode, or the text layer) can run for the next page while recognizeLoaded runs.
 */
export interface PagePipeline extends OcrPipeline {
  loadPage(reader: DocumentReader, pageIndex: number, opts: RecognizeOptions): Promise<LoadedPage>;
  recognizeLoaded(loaded: LoadedPage, pageIndex: number, opts: RecognizeOptions): Promise<Page>;
  /** Several page images with one recognition pass over all their lines; pages in the order given. */
  recognizeImages(items: readonly { image: RgbImage; index: number }[], opts?: { signal?: AbortSignal }): Promise<Page[]>;
  /**
   * recognizeLoaded for a group of pages, with one recognition pass over all their lines when there are several
   * (OcrPipelineOptions.recBatchPages). Never rejects: each page's outcome, in the order given.
   */
  recognizeLoadedGroup(items: readonly { loaded: LoadedPage; pageIndex: number }[], opts: RecognizeOptions): Promise<PageOutcome[]>;
}

/** What became of one page of a group: the page, or the error that failed it (CANCELLED included). */
export type PageOutcome = { page: Page } | { error: unknown };

/** OcrPipelineOptions.recBatchPages with its default: pages whose lines share one recognition pass. */
export function recBatchPagesOf(options: Pick<OcrPipelineOptions, 'recBatchPages'>): number {
  return options.recBatchPages ?? 1;
}

/** Rotates a quad's points so that point 0 is where the text starts (see Quad in types.ts). */
function readingOrderQuad(crop: LineCrop, flipped: boolean): Quad {
  const shift = (crop.rotated90 ? 1 : 0) + (flipped ? 2 : 0);
  const q = crop.quad;
  return [q[shift % 4]!, q[(shift + 1) % 4]!, q[(shift + 2) % 4]!, q[(shift + 3) % 4]!];
}

function emptyTimings(): StageTimings {
  return { decodeMs: 0, detPreMs: 0, detRunMs: 0, detPostMs: 0, cropMs: 0, clsMs: 0, recPreMs: 0, recRunMs: 0, recPostMs: 0, layoutMs: 0, totalMs: 0 };
}

/** recBatchRows ceiling: 64 rows of the widest GPU bucket are already a 35 MB input tensor. */
const MAX_REC_BATCH_ROWS = 64;
/** recBatchPages ceiling: every page of a group is held in memory (its image and crops) until the group is read. */
export const MAX_REC_BATCH_PAGES = 8;

function throwIfAborted(signal: AbortSignal | undefined, ctx: { file?: string; page?: number } = {}): void {
  if (signal?.aborted) throw new OcrError('CANCELLED', 'Cancelled.', ctx);
}

/** Steps 1–4 on one image (Pipeline #findLines). */
interface FoundLines {
  /** The image the lines were found in: the page, or its upright copy. */
  image: RgbImage;
  det: DetResult;
  crops: LineCrop[];
  orientation: ReturnType<typeof decideOrientation> | undefined;
  rotation: Rotation;
  flips: boolean[];
  /** The crops to read, turned where flipped. */
  upright: RgbImage[];
}

/** A page after steps 1–4 (pipeline #prepare), waiting for its lines' recognition. */
interface Prepared {
  image: RgbImage;
  index: number;
  /** When the page's OCR began (its totalMs runs from here). */
  t0: number;
  timings: StageTimings;
  found: FoundLines;
  /** The turn applied before the second detection of a sideways page (0 if none). */
  preTurn: Rotation;
}

class Pipeline implements PagePipeline {
  readonly #options: OcrPipelineOptions;
  readonly #paths: ModelPaths;
  readonly #sessions: PipelineSessions;
  readonly #detector: TextDetector;
  readonly #classifier: TextClassifier;
  readonly #recognizer: TextRecognizer;

  private constructor(
    options: OcrPipelineOptions,
    paths: ModelPaths,
    sessions: PipelineSessions,
    detector: TextDetector,
    classifier: TextClassifier,
    recognizer: TextRecognizer,
  ) {
    this.#options = options;
    this.#paths = paths;
    this.#sessions = sessions;
    this.#detector = detector;
    this.#classifier = classifier;
    this.#recognizer = recognizer;
  }

  static async create(options: OcrPipelineOptions): Promise<Pipeline> {
    const rows = options.recBatchRows;
    if (rows !== undefined && !(Number.isInteger(rows) && rows >= 1 && rows <= MAX_REC_BATCH_ROWS)) {
      throw new OcrError('INVALID_ARGUMENT', `recBatchRows must be an integer from 1 to ${MAX_REC_BATCH_ROWS} (got ${rows}).`);
    }
    const group = options.recBatchPages;
    if (group !== undefined && !(Number.isInteger(group) && group >= 1 && group <= MAX_REC_BATCH_PAGES)) {
      throw new OcrError('INVALID_ARGUMENT', `recBatchPages must be an integer from 1 to ${MAX_REC_BATCH_PAGES} (got ${group}).`);
    }
    const paths = resolveModelPaths(options.modelDir);
    const sessions = await createPipelineSessions(paths, options);
    try {
      const detector = await TextDetector.create(sessions.det, options.det);
      const classifier = await TextClassifier.create(sessions.cls);
      const recognizer = await TextRecognizer.create(sessions.rec, paths.dict, {
        ...(options.recChunkWidthPx === undefined ? {} : { chunkWidthPx: options.recChunkWidthPx }),
        ...(options.recBatchRows === undefined || sessions.rec.provider.provider === 'cpu' ? {} : { batchSize: options.recBatchRows }),
        ...(options.recPack === undefined ? {} : { pack: options.recPack }),
        ...(options.recPackGapPx === undefined ? {} : { packGapPx: options.recPackGapPx }),
      });
      // GPU stages: run every shape of the plan once now, so no page pays for tuning (CPU: nothing to do).
      const { warmUpPipeline } = await import('./runtime/pipeline-warm-up.js');
      const warm = await warmUpPipeline(sessions, { detector, classifier, recognizer });
      if (warm) sessions.warmUp = warm;
      return new Pipeline(options, paths, sessions, detector, classifier, recognizer);
    } catch (e) {
      await sessions.dispose();
      throw e;
    }
  }

  info(): EngineInfo {
    return {
      name: 'lucid-ocr',
      version: LUCID_VERSION,
      onnxruntimeVersion: ORT_VERSION,
      models: this.#paths,
      precision: this.#options.precision ?? 'fp32',
      providers: [this.#sessions.det.provider, this.#sessions.cls.provider, this.#sessions.rec.provider],
      ...(this.#sessions.warmUp ? { warmUpMs: this.#sessions.warmUp.warmUpMs, warmedShapes: this.#sessions.warmUp.warmedShapes } : {}),
      ...this.#cudaWaitInfo(),
    };
  }

  /** engine info's cudaWait, where a stage runs on CUDA or TensorRT. */
  #cudaWaitInfo(): Pick<EngineInfo, 'cudaWait'> {
    const gpu = [this.#sessions.det, this.#sessions.cls, this.#sessions.rec].some((s) => s.provider.provider === 'cuda' || s.provider.provider === 'tensorrt');
    const w = gpu ? cudaWaitState() : undefined;
    return w ? { cudaWait: { mode: w.mode, applied: w.applied, ...(w.reason ? { reason: w.reason } : {}) } } : {};
  }

  async recognizeImage(image: RgbImage, opts: { index?: number; signal?: AbortSignal } = {}): Promise<Page> {
    return (await this.recognizeImages([{ image, index: opts.index ?? 0 }], { signal: opts.signal }))[0]!;
  }

  /**
   * Several pages with one recognition pass over all their lines (issue 3: "recognition batches across lines of
   * several pages"): each page is detected and classified on its own, then every page's lines share the
   * recognition runs (packed rows on GPU EPs fill up across page ends), and each page is laid out from its own
   * lines. Pages come back in the order given. A page's rec timings are its share of the pass, by line pixels.
   */
  async recognizeImages(items: readonly { image: RgbImage; index: number }[], opts: { signal?: AbortSignal } = {}): Promise<Page[]> {
    const prepared: Prepared[] = [];
    for (const it of items) prepared.push(await this.#prepare(it.image, it.index, opts.signal));
    // 5. Recognise all lines, batched by aspect ratio (packed rows on GPU EPs).
    const all = prepared.flatMap((p) => p.found.upright);
    const rec = await this.#recognizer.run(all, { signal: opts.signal });
    const pixels = (crops: readonly RgbImage[]) => crops.reduce((sum, c) => sum + c.width * c.height, 0);
    const totalPx = pixels(all);
    let at = 0;
    return prepared.map((p) => {
      const n = p.found.upright.length;
      // One page (or no lines at all): the whole pass.
      const share = prepared.length === 1 || totalPx === 0 ? 1 / prepared.length : pixels(p.found.upright) / totalPx;
      p.timings.recPreMs = rec.timings.preMs * share;
      p.timings.recRunMs = rec.timings.runMs * share;
      p.timings.recPostMs = rec.timings.postMs * share;
      const page = this.#finish(p, rec.results.slice(at, at + n));
      at += n;
      return page;
    });
  }

  /** Steps 1–4 of a page: detect, crop, classify and decide its orientation (turning it upright when sideways). */
  async #prepare(image: RgbImage, index: number, signal: AbortSignal | undefined): Promise<Prepared> {
    const t0 = performance.now();
    const timings = emptyTimings();

    // 1–4. Detect, crop, classify and decide the page's orientation on the page as given.
    let found = await this.#findLines(image, timings, index, signal);
    // A sideways page is turned upright and detected again: DB was trained on horizontal lines and merges
    // neighbouring vertical lines of small print into one box (a 300-dpi PDF page turned 90°: 27% CER as
    // given, 0.4% upright). Only the axis must be sure here; up or down is decided again on the upright copy.
    let preTurn: Rotation = 0;
    const first = found.orientation;
    if (first && (first.rotation === 90 || first.rotation === 270) && first.tallShare >= SIDEWAYS_REDETECT_MIN_SHARE) {
      const turnedImage = await rotateImage(image, (360 - first.rotation) as Rotation);
      const second = await this.#findLines(turnedImage, timings, index, signal);
      // The upright copy must read horizontally; if it does not, the first reading stands.
      if (second.rotation === 0 || second.rotation === 180) {
        found = second;
        preTurn = first.rotation;
      }
    }
    return { image, index, t0, timings, found, preTurn };
  }

  /** Step 6 of a page, from its lines' recognition results (in the order of found.upright). */
  #finish(prepared: Prepared, recResults: readonly RecResult[]): Page {
    const { image, index, t0, timings, found, preTurn } = prepared;
    const warnings: string[] = [];
    const { det, crops, flips, upright } = found;
    const frame = found.image;
    const rotation = ((preTurn + found.rotation) % 360) as Rotation;
    const rotationConfidence = found.orientation?.confidence ?? 0;

    // 6. Drop noise (PaddleOCR drop_score), build word boxes, then order lines and group them into blocks
    //    in the upright frame; quads go back to the page as given.
    const tLayout = performance.now();
    const dropScore = this.#options.dropScore ?? DEFAULT_DROP_SCORE;
    const candidates: LineCandidate[] = [];
    recResults.forEach((raw, i) => {
      // Beyond PaddleOCR: put back the word spaces small Latin text loses, and ASCII punctuation in Latin text.
      const r = normalizeLatinPunctuation(fixGlyphsByInk(upright[i]!, recoverSpaces(upright[i]!, raw)));
      const text = r.text.trim();
      if (!text || r.confidence < dropScore) return;
      const quad = readingOrderQuad(crops[i]!, flips[i]!);
      candidates.push({
        text: r.text,
        confidence: r.confidence,
        quad,
        words: buildWords(r.chars, quad),
        detScore: det.boxes[i]!.score,
        flipped: flips[i]!,
      });
    });
    // Candidates are in the frame they were found in (the page, or its upright copy turned by preTurn); the
    // two turns compose, so one map takes the upright layout back to the page as given.
    const blocks = fromUpright(
      orderLines(toUpright(candidates, found.rotation, frame.width, frame.height), index),
      rotation,
      image.width,
      image.height,
    );
    timings.layoutMs = performance.now() - tLayout;
    timings.totalMs = performance.now() - t0;

    return {
      index,
      width: image.width,
      height: image.height,
      rotation,
      rotationConfidence,
      source: 'image',
      blocks,
      text: pageText(blocks),
      timings,
      providers: this.info().providers,
      warnings,
    };
  }

  /** Steps 1–4 of recognizeImage on one image: det, crops, cls, orientation and the crops to read (turned where flipped). */
  async #findLines(image: RgbImage, timings: StageTimings, index: number, signal: AbortSignal | undefined): Promise<FoundLines> {
    // 1. Detect text lines; boxes come back in this image's pixels.
    const det = await this.#detector.run(image);
    timings.detPreMs += det.timings.preMs;
    timings.detRunMs += det.timings.runMs;
    timings.detPostMs += det.timings.postMs;
    throwIfAborted(signal, { page: index });

    // 2. Crop every box from the full-resolution image (tall crops are turned 90° CCW, as PaddleOCR does),
    //    after lengthening boxes that stop on or before a trailing glyph (image/line-ends.ts).
    const tCrop = performance.now();
    const crops = det.boxes.map((b) => cropQuad(image, extendLineEnds(image, b.quad)));
    timings.cropMs += performance.now() - tCrop;

    // 3. Direction classifier on every crop: which lines are upside down.
    const useCls = this.#options.useCls ?? true;
    const tCls = performance.now();
    const cls = useCls && crops.length ? (await this.#classifier.run(crops.map((c) => c.image))).results : [];
    timings.clsMs += performance.now() - tCls;

    // 4. Page orientation from box shapes and the classifier's votes; a page-level decision overrides
    //    single lines the classifier was unsure about.
    const evidence = crops.map((c, i) => ({ quad: c.quad, rotated90: c.rotated90, angle: cls[i]?.angle, score: cls[i]?.score, width: c.image.width }));
    const autoRotate = this.#options.autoRotate ?? true;
    const orientation = autoRotate ? decideOrientation(evidence) : undefined;
    const rotation: Rotation = orientation?.rotation ?? 0;
    const flips = crops.map((_, i) => (orientation ? orientation.flips[i] === true : cls[i]?.angle === 180));
    const upright = crops.map((c, i) => (flips[i] ? rotate180(c.image) : c.image));
    throwIfAborted(signal, { page: index });
    return { image, det, crops, orientation, rotation, flips, upright };
  }

  async recognizeFile(input: DocumentInput, opts: RecognizeOptions = {}): Promise<OcrDocument> {
    const reader = await openDocument(input);
    const file = reader.info.name;
    const pages: Page[] = [];
    const failures: PageFailure[] = [];
    const keepPages = opts.keepPages ?? true;
    const prefetch = this.#options.prefetch ?? true;
    const wanted = opts.pages ?? Array.from({ length: reader.pageCount }, (_, i) => i);
    type Loading = Promise<{ loaded: LoadedPage } | { error: unknown }>;
    const inRange = (pageIndex: number) => Number.isInteger(pageIndex) && pageIndex >= 0 && pageIndex < reader.pageCount;
    // Never rejects: a page that cannot be read fails alone, when its turn comes.
    const loading = new Map<number, Loading>();
    const load = (k: number): Loading | undefined => {
      const pageIndex = wanted[k];
      if (pageIndex === undefined || !inRange(pageIndex)) return undefined;
      let l = loading.get(k);
      if (!l) {
        l = this.loadPage(reader, pageIndex, opts).then((loaded) => ({ loaded }), (error: unknown) => ({ error }));
        loading.set(k, l);
      }
      return l;
    };
    // Pages whose lines share one recognition pass (recognizeLoadedGroup); 1: each page on its own.
    const batchPages = recBatchPagesOf(this.#options);
    const fail = (pageIndex: number, e: unknown) => {
      const err = toOcrError(e, { file, page: pageIndex });
      if (err.code === 'CANCELLED') throw err;
      const failure = { index: pageIndex, error: serializeError(err) };
      failures.push(failure);
      opts.onPageFailure?.(failure);
    };
    const done = (page: Page) => {
      try {
        if (keepPages) pages.push(page);
        opts.onPage?.(page);
      } catch (e) {
        fail(page.index, e); // a callback that throws fails its page
      }
    };
    try {
      for (let k = 0; k < wanted.length; ) {
        const pageIndex = wanted[k]!;
        if (!inRange(pageIndex)) {
          fail(pageIndex, new OcrError('PAGE_OUT_OF_RANGE', `Page ${pageIndex + 1} does not exist (the document has ${reader.pageCount}).`, { file, page: pageIndex }));
          k++;
          continue;
        }
        // The next pages in range, up to batchPages, each loaded (or failed to load).
        const batch: { pageIndex: number; loaded?: LoadedPage; error?: unknown }[] = [];
        while (k < wanted.length && batch.length < batchPages && inRange(wanted[k]!)) {
          throwIfAborted(opts.signal, { file, page: wanted[k] });
          const current = await load(k)!;
          loading.delete(k);
          batch.push({ pageIndex: wanted[k]!, ...('error' in current ? { error: current.error } : { loaded: current.loaded }) });
          k++;
        }
        // Prefetch: the next pages render (pdf.js, sharp) while these are detected and recognised.
        if (prefetch && !opts.signal?.aborted) for (let j = k; j < k + batchPages; j++) load(j);
        const ready = batch.filter((b): b is { pageIndex: number; loaded: LoadedPage } => b.loaded !== undefined);
        const outcomes = await this.recognizeLoadedGroup(ready, opts);
        let r = 0;
        for (const b of batch) {
          const outcome = b.loaded === undefined ? { error: b.error } : outcomes[r++]!;
          if ('page' in outcome) done(outcome.page);
          else fail(b.pageIndex, outcome.error);
        }
      }
    } finally {
      // Prefetched pages still rendering must finish before their document closes.
      await Promise.all(loading.values());
      await reader.close();
    }
    return {
      $schema: RESULT_SCHEMA_ID,
      schemaVersion: RESULT_SCHEMA_VERSION,
      source: reader.info,
      pages,
      failures,
      engine: this.info(),
      createdAt: new Date().toISOString(),
    };
  }

  async loadPage(reader: DocumentReader, pageIndex: number, opts: RecognizeOptions): Promise<LoadedPage> {
    const pageCount = reader.pageCount;
    const dpi = opts.dpi ?? DEFAULT_PDF_DPI;
    const mode = opts.pdfMode ?? 'auto';
    opts.onProgress?.({ pageIndex, pageCount, stage: 'decode' });
    if (reader.kind === 'pdf' && mode !== 'ocr') {
      const t0 = performance.now();
      const layer = await reader.textLayer(pageIndex, { dpi });
      if (layer && (layer.usable || mode === 'text-layer')) return { kind: 'done', page: this.#pageFromTextLayer(layer, pageIndex, performance.now() - t0, reader) };
      if (mode === 'text-layer') {
        return { kind: 'done', page: this.#pageFromTextLayer(layer ?? { width: 0, height: 0, dpi, lines: [], charCount: 0, usable: false }, pageIndex, performance.now() - t0, reader) };
      }
    }
    return { kind: 'image', rendered: await reader.renderPage(pageIndex, { dpi }), pdf: reader.kind === 'pdf', pageCount };
  }

  async recognizeLoaded(loaded: LoadedPage, pageIndex: number, opts: RecognizeOptions): Promise<Page> {
    if (loaded.kind === 'done') return loaded.page;
    opts.onProgress?.({ pageIndex, pageCount: loaded.pageCount, stage: 'det' });
    return this.#asLoaded(await this.recognizeImage(loaded.rendered.image, { index: pageIndex, signal: opts.signal }), loaded);
  }

  /**
   * Several pages share one recognition pass over all their lines (recognizeImages); pages read from a PDF text
   * layer pass through. If the shared pass fails (other than by cancellation), the pages are read again one by
   * one, so one page's trouble fails only that page. Never rejects; outcomes in the order given.
   */
  async recognizeLoadedGroup(items: readonly { loaded: LoadedPage; pageIndex: number }[], opts: RecognizeOptions): Promise<PageOutcome[]> {
    const images = items.filter((it): it is { loaded: Extract<LoadedPage, { kind: 'image' }>; pageIndex: number } => it.loaded.kind === 'image');
    if (images.length > 1) {
      try {
        for (const it of images) opts.onProgress?.({ pageIndex: it.pageIndex, pageCount: it.loaded.pageCount, stage: 'det' });
        const read = await this.recognizeImages(images.map((it) => ({ image: it.loaded.rendered.image, index: it.pageIndex })), { signal: opts.signal });
        let k = 0;
        return items.map((it) => ({ page: it.loaded.kind === 'done' ? it.loaded.page : this.#asLoaded(read[k++]!, it.loaded) }));
      } catch (e) {
        if (toOcrError(e).code === 'CANCELLED') return items.map(() => ({ error: e }));
      }
    }
    const outcomes: PageOutcome[] = [];
    for (const it of items) {
      try {
        outcomes.push({ page: await this.recognizeLoaded(it.loaded, it.pageIndex, opts) });
      } catch (error) {
        outcomes.push({ error });
      }
    }
    return outcomes;
  }

  /** A page OCRed from a loaded image, with what the loading knew (decode time, source, dpi, size, warnings). */
  #asLoaded(page: Page, loaded: Extract<LoadedPage, { kind: 'image' }>): Page {
    const { rendered } = loaded;
    page.timings.decodeMs = rendered.decodeMs;
    page.timings.totalMs += rendered.decodeMs;
    page.source = loaded.pdf ? 'pdf-render' : 'image';
    if (rendered.dpi !== undefined) page.dpi = rendered.dpi;
    if (rendered.sizePt) page.sizePt = rendered.sizePt;
    page.warnings.push(...rendered.warnings);
    return page;
  }

  #pageFromTextLayer(layer: TextLayerPage, pageIndex: number, decodeMs: number, reader: DocumentReader): Page {
    const t0 = performance.now();
    const candidates: LineCandidate[] = layer.lines.map((l) => ({
      text: l.text,
      confidence: 1,
      quad: l.quad,
      words: l.words.map((w) => ({ text: w.text, quad: w.quad, confidence: 1 })),
    }));
    const blocks = orderLines(candidates, pageIndex);
    const timings = emptyTimings();
    timings.decodeMs = decodeMs;
    timings.layoutMs = performance.now() - t0;
    timings.totalMs = decodeMs + timings.layoutMs;
    void reader;
    return {
      index: pageIndex,
      width: layer.width,
      height: layer.height,
      rotation: 0,
      rotationConfidence: 1,
      source: 'pdf-text-layer',
      dpi: layer.dpi,
      blocks,
      text: pageText(blocks),
      timings,
      providers: [],
      warnings: [],
    };
  }

  async dispose(): Promise<void> {
    await this.#sessions.dispose();
  }
}
