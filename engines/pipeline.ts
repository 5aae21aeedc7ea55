// The OCR pipeline: det → crop → cls → rec → layout, after PaddleOCR tools/infer/predict_system.py,
// with page orientation, reading order, word boxes and PDF text layers on top.
import { createRequire } from 'node:module';
import type { DocumentInput, OcrPipeline, OcrPipelineOptions, RecognizeOptions } from './api.js';
import { TextClassifier, rotate180 } from './cls/text-classifier.js';
import { TextDetector } from './det/text-detector.js';
import { OcrError, serializeError, toOcrError } from './errors.js';
import { cropQuad } from './image/crop.js';
import { openDocument } from './input/open-document.js';
import type { DocumentReader, TextLayerPage } from './input/types.js';
import { decideOrientation, fromUpright, toUpright } from './layout/orientation.js';
import { orderLines, type LineCandidate } from './layout/reading-order.js';
import { pageText } from './layout/page-text.js';
import { buildWords } from './layout/words.js';
import { resolveModelPaths, type ModelPaths } from './runtime/models.js';
import { createPipelineSessions, type PipelineSessions } from './runtime/pipeline-sessions.js';
import { normalizeLatinPunctuation } from './rec/latin-punctuation.js';
import { recoverSpaces } from './rec/space-recovery.js';
import { TextRecognizer } from './rec/text-recognizer.js';
import type { LineCrop } from './stages.js';
import {
  RESULT_SCHEMA_ID,
  RESULT_SCHEMA_VERSION,
  type EngineInfo,
  type OcrDocument,
  type Page,
  type PageFailure,
  type Quad,
  type RgbImage,
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
/** PDF render resolution when none is asked for (chosen by measured accuracy: see README, `npm run eval`). */
export const DEFAULT_PDF_DPI = 300;

export async function createOcrPipeline(options: OcrPipelineOptions = {}): Promise<OcrPipeline> {
  return Pipeline.create(options);
}

/** Rotates a quad's points so that point 0 is where the text starts (see Quad in types.ts). */
function readingOrderQuad(crop: LineCrop, flipped: boolean): Quad {
  const shift = (crop.rotated90 ? 1 : 0) + (flipped ? 2 : 0);
  const q = crop.quad;
  return [q[shift % 4]!, q[(shift + 1) % 4]!, q[(shift + 2) % 4]!, q[(shift + 3) % 4]!];
}

function emptyTimings(): StageTimings {
  return { decodeMs: 0, detPreMs: 0, detRunMs: 0, detPostMs: 0, clsMs: 0, recPreMs: 0, recRunMs: 0, recPostMs: 0, layoutMs: 0, totalMs: 0 };
}

function throwIfAborted(signal: AbortSignal | undefined, ctx: { file?: string; page?: number } = {}): void {
  if (signal?.aborted) throw new OcrError('CANCELLED', 'Cancelled.', ctx);
}

class Pipeline implements OcrPipeline {
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
    const paths = resolveModelPaths(options.modelDir);
    const sessions = await createPipelineSessions(paths, options);
    try {
      const detector = await TextDetector.create(sessions.det, options.det);
      const classifier = await TextClassifier.create(sessions.cls);
      const recognizer = await TextRecognizer.create(sessions.rec, paths.dict);
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
    };
  }

  async recognizeImage(image: RgbImage, opts: { index?: number; signal?: AbortSignal } = {}): Promise<Page> {
    const index = opts.index ?? 0;
    const t0 = performance.now();
    const timings = emptyTimings();
    const warnings: string[] = [];

    // 1. Detect text lines on the page as given; boxes come back in page pixels.
    const det = await this.#detector.run(image);
    timings.detPreMs = det.timings.preMs;
    timings.detRunMs = det.timings.runMs;
    timings.detPostMs = det.timings.postMs;
    throwIfAborted(opts.signal, { page: index });

    // 2. Crop every box from the full-resolution page (tall crops are turned 90° CCW, as PaddleOCR does).
    const crops = det.boxes.map((b) => cropQuad(image, b.quad));

    // 3. Direction classifier on every crop: which lines are upside down.
    const useCls = this.#options.useCls ?? true;
    const tCls = performance.now();
    const cls = useCls && crops.length ? (await this.#classifier.run(crops.map((c) => c.image))).results : [];
    timings.clsMs = performance.now() - tCls;

    // 4. Page orientation from box shapes and the classifier's votes; a page-level decision overrides
    //    single lines the classifier was unsure about.
    const evidence = crops.map((c, i) => ({ quad: c.quad, rotated90: c.rotated90, angle: cls[i]?.angle, score: cls[i]?.score, width: c.image.width }));
    const autoRotate = this.#options.autoRotate ?? true;
    const orientation = autoRotate ? decideOrientation(evidence) : undefined;
    const rotation = orientation?.rotation ?? 0;
    const flips = crops.map((_, i) => (orientation ? orientation.flips[i] === true : cls[i]?.angle === 180));
    const upright = crops.map((c, i) => (flips[i] ? rotate180(c.image) : c.image));
    throwIfAborted(opts.signal, { page: index });

    // 5. Recognise all lines, batched by aspect ratio.
    const rec = await this.#recognizer.run(upright, { signal: opts.signal });
    timings.recPreMs = rec.timings.preMs;
    timings.recRunMs = rec.timings.runMs;
    timings.recPostMs = rec.timings.postMs;

    // 6. Drop noise (PaddleOCR drop_score), build word boxes, then order lines and group them into blocks
    //    in the upright frame; quads go back to the page as given.
    const tLayout = performance.now();
    const dropScore = this.#options.dropScore ?? DEFAULT_DROP_SCORE;
    const candidates: LineCandidate[] = [];
    rec.results.forEach((raw, i) => {
      // Beyond PaddleOCR: put back the word spaces small Latin text loses, and ASCII punctuation in Latin text.
      const r = normalizeLatinPunctuation(recoverSpaces(upright[i]!, raw));
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
    const blocks = fromUpright(
      orderLines(toUpright(candidates, rotation, image.width, image.height), index),
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
      rotationConfidence: orientation?.confidence ?? 0,
      source: 'image',
      blocks,
      text: pageText(blocks),
      timings,
      providers: this.info().providers,
      warnings,
    };
  }

  async recognizeFile(input: DocumentInput, opts: RecognizeOptions = {}): Promise<OcrDocument> {
    const reader = await openDocument(input);
    const file = reader.info.name;
    const pages: Page[] = [];
    const failures: PageFailure[] = [];
    try {
      const wanted = opts.pages ?? Array.from({ length: reader.pageCount }, (_, i) => i);
      for (const pageIndex of wanted) {
        if (pageIndex < 0 || pageIndex >= reader.pageCount || !Number.isInteger(pageIndex)) {
          const failure = { index: pageIndex, error: serializeError(new OcrError('PAGE_OUT_OF_RANGE', `Page ${pageIndex + 1} does not exist (the document has ${reader.pageCount}).`, { file, page: pageIndex })) };
          failures.push(failure);
          opts.onPageFailure?.(failure);
          continue;
        }
        throwIfAborted(opts.signal, { file, page: pageIndex });
        try {
          const page = await this.#recognizePage(reader, pageIndex, opts);
          pages.push(page);
          opts.onPage?.(page);
        } catch (e) {
          const err = toOcrError(e, { file, page: pageIndex });
          if (err.code === 'CANCELLED') throw err;
          const failure = { index: pageIndex, error: serializeError(err) };
          failures.push(failure);
          opts.onPageFailure?.(failure);
        }
      }
    } finally {
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

  async #recognizePage(reader: DocumentReader, pageIndex: number, opts: RecognizeOptions): Promise<Page> {
    const pageCount = reader.pageCount;
    const dpi = opts.dpi ?? DEFAULT_PDF_DPI;
    const mode = opts.pdfMode ?? 'auto';
    opts.onProgress?.({ pageIndex, pageCount, stage: 'decode' });
    if (reader.kind === 'pdf' && mode !== 'ocr') {
      const t0 = performance.now();
      const layer = await reader.textLayer(pageIndex, { dpi });
      if (layer && (layer.usable || mode === 'text-layer')) return this.#pageFromTextLayer(layer, pageIndex, performance.now() - t0, reader);
      if (mode === 'text-layer') {
        return this.#pageFromTextLayer(layer ?? { width: 0, height: 0, dpi, lines: [], charCount: 0, usable: false }, pageIndex, performance.now() - t0, reader);
      }
    }
    const rendered = await reader.renderPage(pageIndex, { dpi });
    opts.onProgress?.({ pageIndex, pageCount, stage: 'det' });
    const page = await this.recognizeImage(rendered.image, { index: pageIndex, signal: opts.signal });
    page.timings.decodeMs = rendered.decodeMs;
    page.timings.totalMs += rendered.decodeMs;
    page.source = reader.kind === 'pdf' ? 'pdf-render' : 'image';
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
