// Reading order and blocks after recursive XY-cut (Nagy & Seth, 1984) with whitespace thresholds in text
// heights instead of pixels, gutter-aware merging of horizontal bands, and a table-versus-text-columns test.
// PaddleOCR's sorted_boxes (tools/infer/predict_system.py; facts §1.4) is kept as paddleSortedOrder for comparison.
import type { RecChar } from '../stages.js';
import type { Block, Line, Point, Quad, Word } from '../types.js';
import { boundingRect } from './orientation.js';
import { buildWords, buildWordsFromText } from './words.js';

/** One recognised line (or piece of a line) on an UPRIGHT page. */
export interface LineCandidate {
  /** Page pixels of the upright frame, points in reading order (point 0 where the text starts). */
  quad: Quad;
  text: string;
  /** 0..1 recognition confidence. */
  confidence: number;
  /** Word boxes in the same frame as `quad`; built from `chars` (or the text) when absent. */
  words?: Word[];
  /** CTC character extents, used for words when `words` is absent. */
  chars?: readonly RecChar[];
  detScore?: number;
  flipped?: boolean;
}

/**
 * Thresholds, all in units of the median text height (box thickness) of the region being cut, so the same
 * layout reads the same at 150 and 600 dpi.
 */
export interface ReadingOrderOptions {
  /** Narrowest vertical whitespace that separates columns (default 1.0 h). */
  gutterMinWidthH?: number;
  /** Boxes are trimmed this much at top and bottom before looking for horizontal cuts, so boxes that touch
   *  because of DB's unclip margin still separate (default 0.2 h). */
  bandTrimH?: number;
  /** Two bands merge (to be cut into columns together) only across at most this much whitespace (default 2.5 h: a blank-line paragraph gap is about 2 h). */
  bandMergeMaxGapH?: number;
  /** Pieces of one visual line merge across at most this gap (default 1.0 h; never more than gutterMinWidthH). */
  mergeMaxGapH?: number;
  /** Pieces merge only if their bottoms are this close (default 0.35 h). */
  baselineToleranceH?: number;
  /** A vertical gap above this always starts a paragraph (default 0.8 h)… */
  paragraphGapMinH?: number;
  /** …as does one exceeding the column's typical line gap by this much (default 0.6 h). */
  paragraphGapExtraH?: number;
  /** First-line indentation that starts a paragraph (default 1.0 h). */
  indentMinH?: number;
  /** Consecutive lines whose box heights differ by more than this factor are different text sizes (default 1.6). */
  sizeChangeRatio?: number;
  /** Share of lines that must sit in rows shared with another column for a grid to read row by row (default 0.6). */
  tableMinAlignedShare?: number;
  /**
   * A column at least this wide (default 10 h, about 25 characters: narrower is a table's column of names or
   * numbers, not an article's) whose median row fills 60 % of it is running text.
   */
  proseMinWidthH?: number;
}

const DEFAULTS: Required<ReadingOrderOptions> = {
  gutterMinWidthH: 1.0,
  bandTrimH: 0.2,
  bandMergeMaxGapH: 2.5,
  mergeMaxGapH: 1.0,
  baselineToleranceH: 0.35,
  paragraphGapMinH: 0.8,
  paragraphGapExtraH: 0.6,
  indentMinH: 1.0,
  sizeChangeRatio: 1.6,
  tableMinAlignedShare: 0.6,
  proseMinWidthH: 10,
};

/** How one region with column gutters was read. */
export interface RegionDecision {
  /**
   * 'rows': one main column with pieces beside some of its rows (a code comment after a wide gap, a running
   * head's title across from its page number); read row by row like one column.
   */
  mode: 'columns' | 'table' | 'rows';
  columnCount: number;
  /** Share of the region's lines that share a row with a line of another column. */
  alignedShare: number;
  /** Columns that look like running text (wide, lines filling them). */
  proseColumns: number;
  /** Candidate indices in the region. */
  candidates: number[];
}

export interface ReadingOrderResult {
  blocks: Block[];
  /** For each output line, in reading order, the candidate indices merged into it (left to right). */
  lineSources: number[][];
  regions: RegionDecision[];
  /** Page skew removed before the analysis, degrees (positive = lines descend to the right). */
  skewDeg: number;
  /** true when most text ran top to bottom and was read as vertical columns, right to left. */
  vertical: boolean;
}

/** A candidate's box in the analysis frame (upright, deskewed). */
interface Item {
  idx: number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Text height: mean length of the quad's left and right edges. */
  h: number;
  cy: number;
  /** +1 when the text reads left to right in the analysis frame, −1 when it reads right to left (upside down). */
  dir: 1 | -1;
}

/** A visual row of one column: its lines (each a list of pieces to merge), tagged with its column. */
interface Row {
  lines: Item[][];
  /** Column region id; a change of column always starts a new block. */
  context: number;
  /** Set for table rows: every table row is its own block. */
  tableRow?: number;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function dist(a: Point, b: Point): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Median reading-direction angle of lines long enough to have one, radians (y down: positive descends right). */
function estimateSkew(quads: readonly Quad[]): number {
  const angles: number[] = [];
  for (const q of quads) {
    const dx = q[1][0] - q[0][0] + q[2][0] - q[3][0];
    const dy = q[1][1] - q[0][1] + q[2][1] - q[3][1];
    const length = Math.hypot(dx, dy) / 2;
    const thickness = (dist(q[0], q[3]) + dist(q[1], q[2])) / 2;
    if (length < 2 * thickness) continue;
    const a = Math.atan2(dy, dx);
    // Upright page: anything beyond ±20° is a rotated line, not skew.
    if (Math.abs(a) < (20 * Math.PI) / 180) angles.push(a);
  }
  const a = median(angles);
  return Math.abs(a) < (0.2 * Math.PI) / 180 ? 0 : a;
}

class Analyzer {
  readonly o: Required<ReadingOrderOptions>;
  readonly rows: Row[] = [];
  readonly regions: RegionDecision[] = [];
  #nextContext = 1;
  #nextTableRow = 0;

  constructor(options: ReadingOrderOptions) {
    this.o = { ...DEFAULTS, ...options };
  }

  order(items: Item[], context: number): void {
    if (items.length === 0) return;
    if (items.length === 1) {
      this.rows.push({ lines: [[items[0]!]], context });
      return;
    }
    const h = median(items.map((i) => i.h));
    const bands = this.mergeBands(this.splitBands(items), h);
    if (bands.length > 1) {
      for (const b of bands) this.order(b, context);
      return;
    }
    const gutters = this.findGutters(items, h);
    if (gutters.length === 0) {
      for (const row of clusterRows(items)) this.rows.push({ lines: this.mergePieces(row), context });
      return;
    }
    const columns = splitColumns(items, gutters);
    const decision = this.judgeGrid(items, columns, h);
    this.regions.push(decision);
    if (decision.mode === 'rows' || decision.mode === 'table') {
      // Row by row, each row's cells left to right; a table's rows are numbered (tab-separated in the text).
      const columnOf = new Map<Item, number>();
      columns.forEach((col, c) => col.forEach((it) => columnOf.set(it, c)));
      for (const row of clusterRows(items)) {
        const lines: Item[][] = [];
        for (let c = 0; c < columns.length; c++) {
          const cell = row.filter((it) => columnOf.get(it) === c);
          if (cell.length) lines.push(...this.mergePieces(cell));
        }
        this.rows.push({ lines, context, ...(decision.mode === 'table' ? { tableRow: this.#nextTableRow++ } : {}) });
      }
      return;
    }
    for (const col of columns) this.order(col, this.#nextContext++);
  }

  /** Horizontal whitespace cuts: bands of lines whose (trimmed) vertical extents overlap in a chain. */
  splitBands(items: Item[]): Item[][] {
    const trim = this.o.bandTrimH;
    const spans = items.map((it) => {
      const t = Math.min(trim * it.h, (it.y1 - it.y0) / 2);
      return { it, a: it.y0 + t, b: it.y1 - t };
    });
    spans.sort((p, q) => p.a - q.a || p.it.x0 - q.it.x0);
    const bands: Item[][] = [];
    let current: Item[] = [];
    let end = -Infinity;
    for (const s of spans) {
      if (current.length && s.a > end) {
        bands.push(current);
        current = [];
        end = -Infinity;
      }
      current.push(s.it);
      end = Math.max(end, s.b);
    }
    if (current.length) bands.push(current);
    return bands;
  }

  /**
   * Re-joins consecutive bands that belong to the same columns. Two text columns whose line or paragraph gaps
   * happen to line up produce one band per coincidence; cutting there would read left-top, right-top,
   * left-bottom… Bands join when the whitespace between them is at most a paragraph gap and their union still
   * has a column gutter. A heading across the columns crosses the gutter, so it stays its own band and the
   * columns below it are read after it; a running header far above the columns stays apart by the gap rule.
   */
  mergeBands(bands: Item[][], h: number): Item[][] {
    if (bands.length < 2) return bands;
    const minGap = this.o.gutterMinWidthH * h;
    const out: Item[][] = [];
    // The group's x-coverage is kept merged (gaps narrower than a gutter closed), so the union test is linear in
    // the number of columns instead of re-sorting every line of the group for every band.
    let group: Item[][] = [bands[0]!];
    let cover = coverage(bands[0]!, minGap);
    let groupBottom = Math.max(...bands[0]!.map((i) => i.y1));
    for (let k = 1; k < bands.length; k++) {
      const band = bands[k]!;
      const top = Math.min(...band.map((i) => i.y0));
      const bandBottom = Math.max(...band.map((i) => i.y1));
      const bandCover = coverage(band, minGap);
      const unionCover = mergeIntervals([...cover, ...bandCover], minGap);
      // Two one-column bands side by side are columns when their boxes overlap in height (lines of columns
      // with unaligned baselines); with paper between them they are a staircase (a closing brace under an
      // indented code line) and read top to bottom.
      const columnar = cover.length > 1 || bandCover.length > 1 || top < groupBottom;
      if (top - groupBottom <= this.o.bandMergeMaxGapH * h && unionCover.length > 1 && columnar) {
        group.push(band);
        cover = unionCover;
        groupBottom = Math.max(groupBottom, bandBottom);
      } else {
        out.push(group.flat());
        group = [band];
        cover = bandCover;
        groupBottom = bandBottom;
      }
    }
    out.push(group.flat());
    return out;
  }

  /** Interior x-intervals no line covers, at least gutterMinWidthH wide: [left edge, right edge] pairs. */
  findGutters(items: Item[], h: number): [number, number][] {
    const cover = coverage(items, this.o.gutterMinWidthH * h);
    const gutters: [number, number][] = [];
    for (let i = 1; i < cover.length; i++) gutters.push([cover[i - 1]![1], cover[i]![0]]);
    return gutters;
  }

  /**
   * Table, text columns, or one column with side pieces ('rows': only one column has lines of its own, the
 * others only beside its rows)? Read row by row as a table when most lines share a row with a line of another column AND at
   * most one column is running text (≥ proseMinWidthH wide, median row ≥ 60 % of that width). Two text columns are always read column
   * by column, even when their baselines line up (as typeset two-column pages usually do): interleaving two
   * articles is the worst possible reading order, reading a table column-wise the second worst.
   */
  judgeGrid(items: Item[], columns: Item[][], h: number): RegionDecision {
    const columnOf = new Map<Item, number>();
    columns.forEach((col, c) => col.forEach((it) => columnOf.set(it, c)));
    let aligned = 0;
    // Per column: its lines that share no row with another column's line.
    const unaligned = new Array<number>(columns.length).fill(0);
    for (const row of clusterRows(items)) {
      const distinct = new Set(row.map((it) => columnOf.get(it)));
      if (distinct.size >= 2) aligned += row.length;
      else for (const it of row) unaligned[columnOf.get(it)!]!++;
    }
    const alignedShare = aligned / items.length;
    let proseColumns = 0;
    /** Running text with at least three rows: a column of articles, not a stray piece or two. */
    let proseSide = false;
    columns.forEach((col, c) => {
      const left = Math.min(...col.map((i) => i.x0));
      const right = Math.max(...col.map((i) => i.x1));
      const width = right - left;
      if (width < this.o.proseMinWidthH * h) return;
      // Widths of the column's visual rows (pieces the detector split count as one row).
      const rows = clusterRows(col);
      const rowWidths = rows.map((r) => Math.max(...r.map((i) => i.x1)) - Math.min(...r.map((i) => i.x0)));
      if (median(rowWidths) >= 0.6 * width) {
        proseColumns++;
        if (unaligned[c] === 0 && rows.length >= 3) proseSide = true;
      }
    });
    const table = alignedShare >= this.o.tableMinAlignedShare && proseColumns <= 1;
    // Side pieces: every column but one sits only in rows of the main column (none of its lines stands alone).
    // A shorter second article column (its rows all beside the first's) is running text of three rows or more:
    // it stays a column.
    const standAlone = unaligned.filter((n) => n > 0).length;
    const sidePieces = !table && standAlone === 1 && columns.length >= 2 && !proseSide;
    return {
      mode: table ? 'table' : sidePieces ? 'rows' : 'columns',
      columnCount: columns.length,
      alignedShare,
      proseColumns,
      candidates: items.map((i) => i.idx).sort((a, b) => a - b),
    };
  }

  /**
   * Pieces of one visual row (sorted by x) → lines. Neighbours merge when they share a baseline (bottoms within
   * baselineToleranceH, similar heights) and the gap is under mergeMaxGapH (and under the gutter width, so a
   * merge can never bridge a column gutter). Heavily overlapping pieces are duplicates and stay apart.
   */
  mergePieces(row: Item[]): Item[][] {
    const sorted = row.slice().sort((a, b) => a.x0 - b.x0 || a.y0 - b.y0);
    const maxGapH = Math.min(this.o.mergeMaxGapH, this.o.gutterMinWidthH);
    const lines: Item[][] = [];
    for (const it of sorted) {
      const line = lines.at(-1);
      const prev = line?.at(-1);
      if (line && prev && prev.dir === it.dir) {
        const hMean = (prev.h + it.h) / 2;
        const gap = it.x0 - prev.x1;
        const similar = Math.max(prev.h, it.h) <= 1.5 * Math.min(prev.h, it.h);
        // The baseline is the bottom of upright text and the top of upside-down text.
        const baselineShift = it.dir === 1 ? prev.y1 - it.y1 : prev.y0 - it.y0;
        const sameBaseline = Math.abs(baselineShift) <= this.o.baselineToleranceH * hMean;
        const notDuplicate = gap >= -0.5 * Math.min(hMean, prev.x1 - prev.x0, it.x1 - it.x0);
        if (similar && sameBaseline && notDuplicate && gap < maxGapH * hMean) {
          line.push(it);
          continue;
        }
      }
      lines.push([it]);
    }
    // Pieces of upside-down text read right to left.
    return lines.map((l) => (l[0]!.dir === -1 ? l.reverse() : l));
  }
}

/** Merges [a, b] intervals whose gaps are narrower than minGap; the gaps left are gutters. */
function mergeIntervals(intervals: [number, number][], minGap: number): [number, number][] {
  intervals.sort((p, q) => p[0] - q[0]);
  const out: [number, number][] = [];
  for (const [a, b] of intervals) {
    const last = out.at(-1);
    if (last && a - last[1] < minGap) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The x-extent the lines cover, as merged intervals separated by gaps of at least minGap. */
function coverage(items: readonly Item[], minGap: number): [number, number][] {
  return mergeIntervals(items.map((i) => [i.x0, i.x1] as [number, number]), minGap);
}

/** Visual rows: lines sorted by centre y join the current row while they overlap its mean extent by half a height. */
function clusterRows(items: Item[]): Item[][] {
  const sorted = items.slice().sort((a, b) => a.cy - b.cy || a.x0 - b.x0);
  const rows: { items: Item[]; y0: number; y1: number }[] = [];
  for (const it of sorted) {
    const row = rows.at(-1);
    if (row) {
      const n = row.items.length;
      const overlap = Math.min(row.y1, it.y1) - Math.max(row.y0, it.y0);
      if (overlap >= 0.5 * Math.min(row.y1 - row.y0, it.y1 - it.y0)) {
        row.items.push(it);
        row.y0 = (row.y0 * n + it.y0) / (n + 1);
        row.y1 = (row.y1 * n + it.y1) / (n + 1);
        continue;
      }
    }
    rows.push({ items: [it], y0: it.y0, y1: it.y1 });
  }
  return rows.map((r) => r.items.sort((a, b) => a.x0 - b.x0));
}

function splitColumns(items: Item[], gutters: [number, number][]): Item[][] {
  const columns: Item[][] = Array.from({ length: gutters.length + 1 }, () => []);
  for (const it of items) {
    let c = 0;
    while (c < gutters.length && it.x0 >= gutters[c]![1]) c++;
    columns[c]!.push(it);
  }
  return columns.filter((c) => c.length > 0);
}

/** Row geometry for the block rules. */
function rowBox(row: Row): { x0: number; x1: number; y0: number; y1: number; h: number } {
  const items = row.lines.flat();
  return {
    x0: Math.min(...items.map((i) => i.x0)),
    x1: Math.max(...items.map((i) => i.x1)),
    y0: Math.min(...items.map((i) => i.y0)),
    y1: Math.max(...items.map((i) => i.y1)),
    h: median(items.map((i) => i.h)),
  };
}

/**
 * Paragraph breaks between consecutive rows of the reading order: a change of column, a table row, a gap larger
 * than both paragraphGapMinH and the column's median line gap + paragraphGapExtraH (so double-spaced text is not
 * one paragraph per line), a change of box height over sizeChangeRatio (heading → body), a first-line indent
 * (not a centred line), or a jump back up the page.
 */
function blockBreaks(rows: Row[], o: Required<ReadingOrderOptions>): boolean[] {
  const boxes = rows.map(rowBox);
  const gapsByContext = new Map<number, number[]>();
  const extentByContext = new Map<number, { left: number; right: number }>();
  rows.forEach((r, i) => {
    const b = boxes[i]!;
    const e = extentByContext.get(r.context);
    extentByContext.set(r.context, e ? { left: Math.min(e.left, b.x0), right: Math.max(e.right, b.x1) } : { left: b.x0, right: b.x1 });
    if (i === 0 || rows[i - 1]!.context !== r.context) return;
    const gap = b.y0 - boxes[i - 1]!.y1;
    if (gap > -0.5 * b.h) {
      const list = gapsByContext.get(r.context) ?? [];
      list.push(gap);
      gapsByContext.set(r.context, list);
    }
  });
  const medianGap = new Map([...gapsByContext].map(([k, v]) => [k, median(v)]));
  return rows.map((r, i) => {
    if (i === 0) return true;
    const prevRow = rows[i - 1]!;
    if (r.context !== prevRow.context || r.tableRow !== undefined || prevRow.tableRow !== undefined) return true;
    const b = boxes[i]!;
    const p = boxes[i - 1]!;
    const h = (b.h + p.h) / 2;
    if (b.y1 < p.y0) return true;
    const typical = Math.min(Math.max(0, medianGap.get(r.context) ?? 0), 1.2 * h);
    const threshold = Math.max(o.paragraphGapMinH * h, typical + o.paragraphGapExtraH * h);
    if (b.y0 - p.y1 > threshold) return true;
    // Box heights of one font vary by ~1.5× with ascenders and descenders; only a bigger jump is a size change.
    if (Math.max(b.h, p.h) > o.sizeChangeRatio * Math.min(b.h, p.h)) return true;
    const extent = extentByContext.get(r.context)!;
    const shiftRight = b.x0 - p.x0;
    const indented = b.x0 - extent.left >= o.indentMinH * h && shiftRight >= o.indentMinH * h;
    const previousFlush = p.x0 - extent.left <= 0.5 * h;
    // Centred lines move in on both sides by the same amount; an indented first line only on the left.
    const centred = Math.abs(shiftRight - (p.x1 - b.x1)) <= 0.5 * h;
    return indented && previousFlush && !centred;
  });
}

/** The smallest rectangle along the pieces' mean reading direction that holds them all, in reading order. */
function mergedQuad(quads: readonly Quad[]): Quad {
  let dx = 0;
  let dy = 0;
  for (const q of quads) {
    dx += q[1][0] - q[0][0] + q[2][0] - q[3][0];
    dy += q[1][1] - q[0][1] + q[2][1] - q[3][1];
  }
  const len = Math.hypot(dx, dy);
  const [ux, uy] = len > 0 ? [dx / len, dy / len] : [1, 0];
  // Normal pointing from the top of the text to its bottom (y down): u turned 90° clockwise on screen.
  const [nx, ny] = [-uy, ux];
  let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
  for (const q of quads) {
    for (const [x, y] of q) {
      const u = x * ux + y * uy;
      const v = x * nx + y * ny;
      minU = Math.min(minU, u);
      maxU = Math.max(maxU, u);
      minV = Math.min(minV, v);
      maxV = Math.max(maxV, v);
    }
  }
  const at = (u: number, v: number): Point => [u * ux + v * nx, u * uy + v * ny];
  return [at(minU, minV), at(maxU, minV), at(maxU, maxV), at(minU, maxV)];
}

function copyQuad(q: Quad): Quad {
  return q.map((p) => [p[0], p[1]]) as Quad;
}

function wordsOf(c: LineCandidate, text: string): Word[] {
  if (c.words) return c.words.map((w) => ({ text: w.text, quad: copyQuad(w.quad), confidence: w.confidence }));
  if (c.chars && c.chars.length) return buildWords(c.chars, c.quad);
  return buildWordsFromText(text, c.quad, c.confidence);
}

function makeLine(pieces: readonly LineCandidate[], id: string): Line {
  const texts = pieces.map((p) => p.text.trim());
  const lengths = texts.map((t) => Math.max(1, Array.from(t).length));
  const totalLength = lengths.reduce((a, b) => a + b, 0);
  const weighted = (f: (p: LineCandidate) => number): number =>
    pieces.reduce((s, p, i) => s + f(p) * lengths[i]!, 0) / totalLength;
  const line: Line = {
    id,
    text: texts.join(' '),
    confidence: weighted((p) => p.confidence),
    quad: pieces.length === 1 ? copyQuad(pieces[0]!.quad) : mergedQuad(pieces.map((p) => p.quad)),
    words: pieces.flatMap((p, i) => wordsOf(p, texts[i]!)),
  };
  if (pieces.every((p) => p.detScore !== undefined)) line.detScore = weighted((p) => p.detScore!);
  if (pieces.some((p) => p.flipped !== undefined)) line.flipped = pieces.some((p) => p.flipped === true);
  return line;
}

/**
 * Orders recognised lines for reading and groups them into blocks, on an UPRIGHT page (the caller maps quads
 * into the upright frame first: orientation.ts toUpright / fromUpright).
 *
 * 1. Small page skew (median line angle, within ±20°) is removed from the analysis geometry only. A page whose
 *    text mostly runs top to bottom (CJK vertical writing) is analysed turned 90° CCW, so its columns read right
 *    to left.
 * 2. Recursive XY-cut: a region is cut at every horizontal whitespace band (boxes trimmed by bandTrimH), then
 *    bands that share a column gutter are re-joined (mergeBands); a single band is cut at its vertical
 *    gutters (≥ gutterMinWidthH) into columns, read left to right, each cut again recursively. A grid whose
 *    lines align in rows and that has at most one running-text column is read row by row (judgeGrid).
 * 3. In a region with no cut left, lines are read in visual rows, top to bottom then left to right, and the
 *    pieces of one visual line that the detector split are merged (mergePieces), joined with a space, in their
 *    reading direction (right to left for upside-down pieces).
 * 4. Blocks are paragraphs: see blockBreaks. Each table row is a block of its own, kind 'table-row', its cells
 *    separate lines (page text joins them with tabs).
 *
 * Candidates with empty text are skipped. Line ids are `p{page}-l{i}`, block ids `p{page}-b{i}`, both in
 * reading order.
 */
export function analyzeReadingOrder(
  candidates: readonly LineCandidate[],
  pageIndex: number,
  options: ReadingOrderOptions = {},
): ReadingOrderResult {
  const kept = candidates.map((c, i) => ({ c, i })).filter(({ c }) => c.text.trim() !== '');
  // Vertical text (top to bottom, as CJK tategaki) that dominates by length is analysed in a frame turned 90°
  // counter-clockwise: there it reads left to right, and its right-to-left columns come top to bottom.
  let downLength = 0;
  let totalLength = 0;
  for (const { c } of kept) {
    const dx = c.quad[1][0] - c.quad[0][0] + c.quad[2][0] - c.quad[3][0];
    const dy = c.quad[1][1] - c.quad[0][1] + c.quad[2][1] - c.quad[3][1];
    const length = Math.hypot(dx, dy);
    totalLength += length;
    if (dy > Math.abs(dx)) downLength += length;
  }
  const vertical = totalLength > 0 && downLength > 0.5 * totalLength;
  const frame = (q: Quad): Quad => (vertical ? (q.map(([x, y]) => [y, -x]) as Quad) : q);
  const skew = estimateSkew(kept.map(({ c }) => frame(c.quad)));
  const cos = Math.cos(-skew);
  const sin = Math.sin(-skew);
  const items: Item[] = kept.map(({ c, i }) => {
    const pts = frame(c.quad).map(([x, y]) => [x * cos - y * sin, x * sin + y * cos] as const);
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const y0 = Math.min(...ys);
    const y1 = Math.max(...ys);
    return {
      idx: i,
      x0: Math.min(...xs),
      x1: Math.max(...xs),
      y0,
      y1,
      h: Math.max(1e-6, (dist(c.quad[0], c.quad[3]) + dist(c.quad[1], c.quad[2])) / 2),
      cy: (y0 + y1) / 2,
      dir: pts[1]![0] - pts[0]![0] + pts[2]![0] - pts[3]![0] >= 0 ? 1 : -1,
    };
  });

  const analyzer = new Analyzer(options);
  analyzer.order(items, 0);
  const rows = analyzer.rows;
  const breaks = blockBreaks(rows, analyzer.o);

  const blocks: Block[] = [];
  const lineSources: number[][] = [];
  let lineIndex = 0;
  rows.forEach((row, r) => {
    if (breaks[r]) {
      const block: Block = { id: `p${pageIndex}-b${blocks.length}`, bbox: { x: 0, y: 0, width: 0, height: 0 }, lines: [] };
      if (row.tableRow !== undefined) block.kind = 'table-row';
      blocks.push(block);
    }
    const block = blocks.at(-1)!;
    for (const pieces of row.lines) {
      block.lines.push(makeLine(pieces.map((it) => candidates[it.idx]!), `p${pageIndex}-l${lineIndex++}`));
      lineSources.push(pieces.map((it) => it.idx));
    }
  });
  for (const b of blocks) b.bbox = boundingRect(b.lines.map((l) => l.quad));
  return { blocks, lineSources, regions: analyzer.regions, skewDeg: (skew * 180) / Math.PI, vertical };
}

/** analyzeReadingOrder's blocks: the pipeline's entry point. */
export function orderLines(candidates: readonly LineCandidate[], pageIndex: number, options: ReadingOrderOptions = {}): Block[] {
  return analyzeReadingOrder(candidates, pageIndex, options).blocks;
}

/**
 * PaddleOCR's sorted_boxes, for comparison: sort by the first point's (y, x), then one bubble pass swapping
 * neighbours whose y differ by less than 10 px (absolute) when the later one is further left. Returns indices.
 */
export function paddleSortedOrder(quads: readonly Quad[]): number[] {
  const order = quads.map((_, i) => i).sort((a, b) => quads[a]![0][1] - quads[b]![0][1] || quads[a]![0][0] - quads[b]![0][0]);
  for (let i = 0; i < order.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const a = quads[order[j]!]![0];
      const b = quads[order[j + 1]!]![0];
      if (Math.abs(b[1] - a[1]) < 10 && b[0] < a[0]) {
        [order[j], order[j + 1]] = [order[j + 1]!, order[j]!];
      } else {
        break;
      }
    }
  }
  return order;
}
