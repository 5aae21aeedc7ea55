// Text detection (PP-OCRv4 DB) after PaddleOCR tools/infer/predict_det.py, plus tiling for big pages.
import { OcrError } from '../errors.js';
import type { DetectionOptions } from '../api.js';
import type { DetBox, DetResult, OcrSession } from '../stages.js';
import type { Point, Quad, RgbImage } from '../types.js';
import { RunScratch } from '../image/contours.js';
import { convexIntersectionArea, getMiniBoxes, polygonArea, quadBounds } from '../image/geometry.js';
import { boxesFromBitmap, DEFAULT_DB_POSTPROCESS_OPTIONS, filterTagDetRes, type DbPostProcessOptions } from './db-postprocess.js';
import { DET_SIZE_MULTIPLE_PX, detPreprocess, normalizeToTensor, type PixelRegion } from './det-preprocess.js';
import { resizeWithSharp } from '../image/resize.js';

/** PaddleOCR det_limit_side_len: the longest side of one detector input (a tile, or the page when not tiling). */
export const DEFAULT_DET_MAX_SIDE_LEN_PX = 960;
/** Tiles share this many detector pixels: more than the thickest text line the model reads well (≈ 64 px). */
export const DEFAULT_TILE_OVERLAP_PX = 160;
/**
 * Automatic scale: PaddleOCR's 960 px, but on the page's SHORTER side (never enlarging), with tiles for the rest.
 * Text size follows page width far more than page length: at this scale 6 pt on an A4 page (any dpi) has a
 * ≈ 10 px em, 12 px screen text on a 1200-px-wide screenshot ≈ 10 px, a till receipt's print ≈ 19 px: all in
 * the range PP-OCRv4 det reads (tests/bench/det-resolution.ts). PaddleOCR's limit on the LONGER side shrinks
 * 6 pt A4 text to ≈ 7 px (word recall 0.55) and a 1000 × 8000 receipt's to ≈ 2 px (nothing found).
 */
export const AUTO_SHORT_SIDE_PX = 960;
/** Never more detector pixels than this for one page (bounded time and memory on 10 000-px screenshots). */
export const MAX_DET_PIXELS = 40e6;
/**
 * Box thickness (shorter side, detector px) above which text is too big for the model: tests/bench/
 * det-resolution.ts --sweep finds single lines of 6–64 px em whole, but 7 in 8 of those at 96 px em break up.
 * When the thickest tenth of the boxes is above this, the page is detected again at a smaller scale.
 */
const TOO_THICK_PX = 64;
/** Re-run target for the thickest text (90th percentile), and the thinnest (10th) must stay above this. */
const THICK_TARGET_PX = 48;
const THIN_FLOOR_PX = 16;

/** How pages larger than maxSideLen are handled: tiles ('auto'), or PaddleOCR's shrink-to-fit ('off'). */
export type DetTiling = 'auto' | 'off';

export interface ResolvedDetectionOptions extends DbPostProcessOptions {
  maxSideLen: number;
  tiling: DetTiling;
  /** Fixed page scale for tiled detection; undefined = automatic. */
  scale: number | undefined;
  tileOverlapPx: number;
  padToShapeBuckets: boolean;
}

/**
 * Portrait pages up to this height/width ratio (A4 1.414, US Letter 1.294) get one detector run of their own
 * shape on GPU EPs (see detShapeBuckets).
 */
export const DET_PORTRAIT_PAGE_RATIO = 1.43;

/**
 * Detector input shapes (height, width) a detector with `maxSideLen` and padToShapeBuckets produces, smallest
 * first: the square maxSideLen² (rounded up to 32), which every tile of a big page has and a small page is
 * padded up to with white; and one portrait page, maxSideLen wide and DET_PORTRAIT_PAGE_RATIO times as tall.
 * An A4 page at the automatic scale (960 × 1358) would otherwise take two overlapping 960² tiles, 1.84 M
 * detector pixels instead of 1.32 M in one run. On a GPU every further shape costs more than padding does:
 * the CUDA EP redoes its cuDNN search on every change of input shape (0.3–1.7 s; engines/runtime/session.ts
 * keeps one session per shape), while det at 960² runs in ≈ 8 ms. GPU runtimes warm these shapes up once.
 */
export function detShapeBuckets(maxSideLen: number = DEFAULT_DET_MAX_SIDE_LEN_PX): [number, number][] {
  const side = ceilTo(maxSideLen, DET_SIZE_MULTIPLE_PX);
  return [
    [side, side],
    [ceilTo(side * DET_PORTRAIT_PAGE_RATIO, DET_SIZE_MULTIPLE_PX), side],
  ];
}
/** The shapes of the default detector with padToShapeBuckets: 960 × 960 and 1376 × 960 (height × width). */
export const DET_SHAPE_BUCKETS: readonly (readonly [number, number])[] = detShapeBuckets();

/** One detector run: the part of the (scaled) page it covers and where its boxes go in page pixels. */
interface TileRun {
  /** The region in page pixels, and which of its edges are seams with another tile. */
  pageRect: { x0: number; y0: number; x1: number; y1: number };
  innerEdges: { left: boolean; top: boolean; right: boolean; bottom: boolean };
  boxes: DetBox[];
}

/**
 * Tiles along one axis of `length` px: at most `maxTile` long, neighbours sharing at least `overlap` px.
 * Balanced (all tiles the same size, as small as that allows) unless `fixed`, where every tile is maxTile.
 */
export function axisTiles(length: number, maxTile: number, overlap: number, fixed = false): { starts: number[]; size: number } {
  if (length <= maxTile) return { starts: [0], size: length };
  const n = Math.ceil((length - overlap) / (maxTile - overlap));
  const size = fixed ? maxTile : Math.min(maxTile, ceilTo((length + (n - 1) * overlap) / n, DET_SIZE_MULTIPLE_PX));
  const step = (length - size) / (n - 1);
  return { starts: Array.from({ length: n }, (_, i) => Math.round(i * step)), size };
}

/** Tiles over a `width` × `height` image, row by row. */
export function planTiles(width: number, height: number, maxTile: number, overlap: number, fixed = false): PixelRegion[] {
  const xs = axisTiles(width, maxTile, overlap, fixed);
  const ys = axisTiles(height, maxTile, overlap, fixed);
  const tiles: PixelRegion[] = [];
  for (const y of ys.starts) {
    for (const x of xs.starts) tiles.push({ x, y, width: xs.size, height: ys.size });
  }
  return tiles;
}

/**
 * The automatic first scale: shorter side to AUTO_SHORT_SIDE_PX, never up, never below PaddleOCR's default scale
 * (long side to 960), within the pixel budget.
 */
export function autoScale(width: number, height: number): number {
  const paddle = Math.min(1, DEFAULT_DET_MAX_SIDE_LEN_PX / Math.max(width, height));
  const s = Math.max(paddle, Math.min(1, AUTO_SHORT_SIDE_PX / Math.min(width, height)));
  return Math.min(s, Math.sqrt(MAX_DET_PIXELS / (width * height)));
}

export function resolveDetectionOptions(opts: DetectionOptions = {}): ResolvedDetectionOptions {
  const resolved: ResolvedDetectionOptions = {
    ...DEFAULT_DB_POSTPROCESS_OPTIONS,
    thresh: opts.thresh ?? DEFAULT_DB_POSTPROCESS_OPTIONS.thresh,
    boxThresh: opts.boxThresh ?? DEFAULT_DB_POSTPROCESS_OPTIONS.boxThresh,
    unclipRatio: opts.unclipRatio ?? DEFAULT_DB_POSTPROCESS_OPTIONS.unclipRatio,
    maxSideLen: opts.maxSideLen ?? DEFAULT_DET_MAX_SIDE_LEN_PX,
    tiling: opts.tiling ?? 'auto',
    scale: opts.scale,
    tileOverlapPx: opts.tileOverlapPx ?? DEFAULT_TILE_OVERLAP_PX,
    padToShapeBuckets: opts.padToShapeBuckets ?? false,
  };
  const bad = (msg: string): never => {
    throw new OcrError('INVALID_ARGUMENT', `Invalid detection option: ${msg}`);
  };
  if (!(resolved.thresh > 0 && resolved.thresh < 1)) bad(`thresh must be in (0, 1), got ${resolved.thresh}`);
  if (!(resolved.boxThresh >= 0 && resolved.boxThresh <= 1)) bad(`boxThresh must be in [0, 1], got ${resolved.boxThresh}`);
  if (!(resolved.unclipRatio > 0)) bad(`unclipRatio must be > 0, got ${resolved.unclipRatio}`);
  if (!(resolved.maxSideLen >= 64)) bad(`maxSideLen must be ≥ 64, got ${resolved.maxSideLen}`);
  if (resolved.tiling !== 'auto' && resolved.tiling !== 'off') bad(`tiling must be 'auto' or 'off', got ${String(resolved.tiling)}`);
  if (!(resolved.tileOverlapPx >= 0 && resolved.tileOverlapPx <= resolved.maxSideLen / 2)) bad(`tileOverlapPx must be in [0, maxSideLen/2], got ${resolved.tileOverlapPx}`);
  if (resolved.scale !== undefined && !(resolved.scale > 0 && resolved.scale <= 4)) bad(`scale must be in (0, 4], got ${resolved.scale}`);
  return resolved;
}

function ceilTo(v: number, m: number): number {
  return Math.max(m, Math.ceil(v / m) * m);
}

export class TextDetector {
  readonly #session: OcrSession;
  readonly #opts: ResolvedDetectionOptions;
  readonly #scratch = new RunScratch();
  #buffer: Float32Array | undefined;

  private constructor(session: OcrSession, opts: ResolvedDetectionOptions) {
    this.#session = session;
    this.#opts = opts;
  }

  /**
   * padToShapeBuckets defaults to on for GPU execution providers (one det shape, warmed up once; see
   * detShapeBuckets) and off on the CPU EP, where padding is pure extra work.
   */
  static async create(session: OcrSession, opts?: DetectionOptions): Promise<TextDetector> {
    const padToShapeBuckets = opts?.padToShapeBuckets ?? session.provider.provider !== 'cpu';
    return new TextDetector(session, resolveDetectionOptions({ ...opts, padToShapeBuckets }));
  }

  get options(): Readonly<ResolvedDetectionOptions> {
    return this.#opts;
  }

  /** Detector input shapes this detector can produce when padToShapeBuckets is on (for warm-up). */
  get shapeBuckets(): [number, number][] {
    return detShapeBuckets(this.#opts.maxSideLen);
  }

  /** Text boxes of a page, in its pixels (TL, TR, BR, BL as PaddleOCR orders them). */
  async run(image: RgbImage): Promise<DetResult> {
    if (image.width <= 0 || image.height <= 0) return { boxes: [], timings: { preMs: 0, runMs: 0, postMs: 0 }, inputSizes: [] };
    // 1. PaddleOCR 2.x as is, when asked.
    if (this.#opts.tiling === 'off') return this.#runPaddle(image);
    // 2. One pass at the fixed or automatic scale, tiled when the scaled page exceeds maxSideLen.
    const scale = this.#opts.scale ?? autoScale(image.width, image.height);
    const first = await this.runAtScale(image, scale);
    if (this.#opts.scale !== undefined || first.boxes.length === 0) return first;
    // 3. Text too thick for the model (posters, slides, photos of signs): one re-run at a smaller scale that
    //    brings the thickest tenth of the lines to THICK_TARGET_PX, keeping the thinnest tenth readable. (No
    //    re-run for thin text: box thickness bottoms out at ≈ 13 px whatever the text size, so it cannot tell
    //    6 pt from 10 pt; the first scale is chosen to cover 6 pt at 300 dpi instead.)
    const thickness = first.boxes.map((b) => getMiniBoxes(b.quad.flat()).sside * scale).sort((a, b) => a - b);
    const pct = (p: number) => thickness[Math.min(thickness.length - 1, Math.floor(p * thickness.length))]!;
    if (!(pct(0.9) > TOO_THICK_PX)) return first;
    const rescale = Math.max(
      scale * Math.max(THICK_TARGET_PX / pct(0.9), THIN_FLOOR_PX / pct(0.1)),
      DET_SIZE_MULTIPLE_PX / Math.max(image.width, image.height),
    );
    // Not worth a second pass for a small change.
    if (rescale > scale / 1.2) return first;
    const second = await this.runAtScale(image, rescale);
    return {
      boxes: second.boxes,
      timings: {
        preMs: first.timings.preMs + second.timings.preMs,
        runMs: first.timings.runMs + second.timings.runMs,
        postMs: first.timings.postMs + second.timings.postMs,
      },
      inputSizes: [...first.inputSizes, ...second.inputSizes],
    };
  }

  /** PaddleOCR as is: one pass at resize_image_type0('max', maxSideLen), stretched to multiples of 32. */
  async #runPaddle(image: RgbImage): Promise<DetResult> {
    // 1. Resize + normalise into the reused buffer (padded up to a shape bucket when asked).
    const t0 = performance.now();
    const { tensor, plan } = detPreprocess(
      image,
      {
        limitSideLenPx: this.#opts.maxSideLen,
        limitType: 'max',
        tensorSize: (w, h) => this.#tensorSize({ x: 0, y: 0, width: w, height: h }, true),
      },
      this.#buffer,
    );
    if (tensor.data.buffer !== this.#buffer?.buffer) this.#buffer = tensor.data;
    // 2. Run.
    const t1 = performance.now();
    const out = await this.#session.run(tensor);
    const t2 = performance.now();
    // 3. DB post-process over the resized image's part of the map, mapped back through the map/source ratio.
    const map = { data: out.data, width: out.dims[3] ?? tensor.dims[3]!, height: out.dims[2] ?? tensor.dims[2]!, validWidth: plan.resizeW, validHeight: plan.resizeH };
    const boxes = boxesFromBitmap(
      map,
      { scaleX: image.width / plan.resizeW, scaleY: image.height / plan.resizeH, offsetX: 0, offsetY: 0, maxX: image.width, maxY: image.height },
      this.#opts,
      this.#scratch,
    );
    return {
      boxes: filterTagDetRes(boxes, image.width, image.height),
      timings: { preMs: t1 - t0, runMs: t2 - t1, postMs: performance.now() - t2 },
      inputSizes: [{ width: tensor.dims[3]!, height: tensor.dims[2]! }],
    };
  }

  /**
   * Detection on the page scaled by `scale` (1 = native pixels), in tiles of at most maxSideLen with
   * tileOverlapPx shared between neighbours; boxes cut by a seam are replaced by the neighbour's whole box or
   * joined with their other part.
   */
  async runAtScale(image: RgbImage, scale: number): Promise<DetResult> {
    const timings = { preMs: 0, runMs: 0, postMs: 0 };
    const inputSizes: { width: number; height: number }[] = [];
    // 1. Scale the page once (uint8, libvips: 3× faster than the cv2-exact JS resize, same recall); tiles are cut
    //    from it, so no float copy of the whole page ever exists.
    const t0 = performance.now();
    const scaledW = Math.max(1, Math.round(image.width * scale));
    const scaledH = Math.max(1, Math.round(image.height * scale));
    const scaled = scaledW === image.width && scaledH === image.height ? image : await resizeWithSharp(image, scaledW, scaledH);
    const sx = scaledW / image.width, sy = scaledH / image.height;
    timings.preMs += performance.now() - t0;

    // 2. Run every tile; boxes go straight to page pixels. With shape buckets, a page that fits one (a portrait
    //    A4/Letter page, or anything within the square) is one run: fewer detector pixels than two square tiles.
    const fitsBucket = this.#opts.padToShapeBuckets && this.shapeBuckets.some(([h, w]) => scaledW <= w && scaledH <= h);
    const tiles = fitsBucket
      ? [{ x: 0, y: 0, width: scaledW, height: scaledH }]
      : planTiles(scaledW, scaledH, this.#opts.maxSideLen, this.#opts.tileOverlapPx, this.#opts.padToShapeBuckets);
    const single = tiles.length === 1;
    const runs: TileRun[] = [];
    for (const region of tiles) {
      const run = await this.#runRegion(scaled, region, single, performance.now());
      timings.preMs += run.preMs;
      timings.runMs += run.runMs;
      inputSizes.push(run.inputSize);
      const t1 = performance.now();
      const boxes = boxesFromBitmap(
        run.map,
        { scaleX: 1 / sx, scaleY: 1 / sy, offsetX: region.x, offsetY: region.y, maxX: image.width, maxY: image.height },
        this.#opts,
        this.#scratch,
      );
      runs.push({
        pageRect: { x0: region.x / sx, y0: region.y / sy, x1: (region.x + region.width) / sx, y1: (region.y + region.height) / sy },
        innerEdges: {
          left: region.x > 0,
          top: region.y > 0,
          right: region.x + region.width < scaledW,
          bottom: region.y + region.height < scaledH,
        },
        boxes,
      });
      timings.postMs += performance.now() - t1;
    }

    // 3. Join the tiles' boxes, then Paddle's final filter on the page.
    const t2 = performance.now();
    const merged = single ? runs[0]!.boxes : mergeTileBoxes(runs, 2 / Math.min(sx, sy));
    const boxes = filterTagDetRes(merged, image.width, image.height);
    timings.postMs += performance.now() - t2;
    return { boxes, timings, inputSizes };
  }

  /** Tensor size for a region: a multiple of 32, or with padToShapeBuckets the smallest bucket that holds it. */
  #tensorSize(region: PixelRegion, wholePage: boolean): { width: number; height: number } {
    if (!this.#opts.padToShapeBuckets) {
      return { width: ceilTo(region.width, DET_SIZE_MULTIPLE_PX), height: ceilTo(region.height, DET_SIZE_MULTIPLE_PX) };
    }
    const buckets = detShapeBuckets(this.#opts.maxSideLen);
    // Tiles of a tiled page always use the square; a page that fits a bucket takes the smallest that holds it.
    const fit = wholePage ? buckets.find(([h, w]) => region.width <= w && region.height <= h) : undefined;
    const [h, w] = fit ?? buckets[0]!;
    return { width: w, height: h };
  }

  /** Normalises one region into the reused input buffer and runs the model on it. */
  async #runRegion(image: RgbImage, region: PixelRegion, wholePage: boolean, t0: number) {
    const { width: tensorW, height: tensorH } = this.#tensorSize(region, wholePage);
    const need = 3 * tensorW * tensorH;
    if (!this.#buffer || this.#buffer.length < need) this.#buffer = new Float32Array(need);
    const tensor = normalizeToTensor(image, region, tensorW, tensorH, this.#buffer);
    const t1 = performance.now();
    const out = await this.#session.run(tensor);
    const t2 = performance.now();
    const mapH = out.dims[2] ?? tensorH, mapW = out.dims[3] ?? tensorW;
    return {
      map: { data: out.data, width: mapW, height: mapH, validWidth: region.width, validHeight: region.height },
      preMs: t1 - t0,
      runMs: t2 - t1,
      inputSize: { width: tensorW, height: tensorH },
    };
  }
}

/**
 * Joins per-tile boxes (page pixels).
 * - A box is a *fragment* when it comes within `marginPx` plus half its thickness of a seam of its tile: the
 *   text may go on in the neighbour, and DB often stops a little short of a cut.
 * - Fragments of one line from different tiles (they overlap, and their union is no thicker than the thicker
 *   piece) are joined into one minimum-area box.
 * - Then, largest first, a box goes when most of it lies inside a box already kept from another tile: the
 *   same line seen twice in an overlap, or a piece of a line next to the whole line.
 */
export function mergeTileBoxes(runs: readonly Omit<TileRun, 'region'>[], marginPx: number): DetBox[] {
  interface Item { box: DetBox; tile: number; area: number; fragment: boolean; b: ReturnType<typeof quadBounds> }
  // Cheap rejection before any polygon clipping: pages hold hundreds of boxes.
  const meet = (a: Item, c: Item) => a.b.minX <= c.b.maxX && c.b.minX <= a.b.maxX && a.b.minY <= c.b.maxY && c.b.minY <= a.b.maxY;
  const whole: Item[] = [];
  const fragments: Item[] = [];
  runs.forEach((run, tile) => {
    const r = run.pageRect, e = run.innerEdges;
    for (const box of run.boxes) {
      const b = quadBounds(box.quad);
      const m = marginPx + 0.5 * getMiniBoxes(box.quad.flat()).sside;
      const cut = (e.left && b.minX <= r.x0 + m)
        || (e.top && b.minY <= r.y0 + m)
        || (e.right && b.maxX >= r.x1 - 1 - m)
        || (e.bottom && b.maxY >= r.y1 - 1 - m);
      (cut ? fragments : whole).push({ box, tile, area: polygonArea(box.quad), fragment: cut, b });
    }
  });

  // 1. Fragments of one line cut by a seam join up.
  const parent = fragments.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const sside = fragments.map((f) => getMiniBoxes(f.box.quad.flat()).sside);
  for (let i = 0; i < fragments.length; i++) {
    for (let j = i + 1; j < fragments.length; j++) {
      const a = fragments[i]!, b = fragments[j]!;
      if (a.tile === b.tile || !meet(a, b) || convexIntersectionArea(a.box.quad, b.box.quad) <= 0) continue;
      const union = getMiniBoxes([...a.box.quad.flat(), ...b.box.quad.flat()]).sside;
      if (union <= 1.25 * Math.max(sside[i]!, sside[j]!) + 2) parent[find(j)] = find(i);
    }
  }
  const groups = new Map<number, Item[]>();
  fragments.forEach((f, i) => {
    const root = find(i);
    const g = groups.get(root);
    if (g) g.push(f);
    else groups.set(root, [f]);
  });
  const candidates: Item[] = [...whole];
  for (const group of groups.values()) {
    if (group.length === 1) {
      candidates.push(group[0]!);
      continue;
    }
    const { quad } = getMiniBoxes(group.flatMap((g) => g.box.quad.flat()));
    const rounded = quad.map(([x, y]): Point => [Math.round(x), Math.round(y)]) as Quad;
    const areaSum = group.reduce((s, g) => s + g.area, 0);
    const score = areaSum > 0 ? group.reduce((s, g) => s + g.box.score * g.area, 0) / areaSum : group[0]!.box.score;
    // A joined box belongs to no single tile.
    candidates.push({ box: { quad: rounded, score }, tile: -1, area: polygonArea(rounded), fragment: false, b: quadBounds(rounded) });
  }

  // 2. Largest first; drop what another tile's kept box mostly covers (fragments go more readily).
  candidates.sort((a, b) => b.area - a.area);
  const kept: Item[] = [];
  for (const item of candidates) {
    const limit = item.fragment ? 0.5 : 0.6;
    const covered = item.area > 0 && kept.some((k) => (k.tile !== item.tile || k.tile < 0) && meet(k, item) && convexIntersectionArea(k.box.quad, item.box.quad) >= limit * item.area);
    if (!covered) kept.push(item);
  }
  return kept.map((k) => k.box);
}
