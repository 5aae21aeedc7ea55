/**
 * How should TextDetector treat big pages? Renders synthetic pages with known text lines (sharp/pango), runs
 * the real det model on the CPU under several resolution strategies and prints recall, merges, false boxes and
 * time per page. A measurement script, not a test.
 *
 *   node --import tsx tests/bench/det-resolution.ts                 # all pages, all strategies
 *   node --import tsx tests/bench/det-resolution.ts --sweep         # recall vs text size at detector scale
 *   node --import tsx tests/bench/det-resolution.ts --pages a4-8pt,receipt --strategies paddle-960,auto
 *   ... --reps 2 (time = best of reps) --dump DIR (writes PNGs with boxes drawn) --misses (lists missed lines)
 *   ... --rec: also crop + recognise every box (PP-OCRv4 rec) and print the page's word recall
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { createCpuSession } from '../../engines/runtime/session.js';
import { resolveModelPaths } from '../../engines/runtime/models.js';
import { TextDetector } from '../../engines/det/text-detector.js';
import { getMiniBoxes, quadBounds } from '../../engines/image/geometry.js';
import { cropQuad } from '../../engines/image/crop.js';
import { TextRecognizer } from '../../engines/rec/text-recognizer.js';
import type { DetectionOptions } from '../../engines/api.js';
import type { DetBox, OcrSession } from '../../engines/stages.js';
import type { RgbImage } from '../../engines/types.js';
import { mulberry32 } from '../fixtures/seeded-random.js';

// ---------------------------------------------------------------------------------------------------------
// Synthetic pages
// ---------------------------------------------------------------------------------------------------------

/** One known text line: its ink bounding box (page px, x1/y1 exclusive) and the column it belongs to. */
export interface GtLine {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  column: number;
  text: string;
}

export interface SyntheticPage {
  name: string;
  note: string;
  image: RgbImage;
  lines: GtLine[];
  /** Every word drawn on the page (for the end-to-end word recall of --rec). */
  words: string[];
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were their one all we can her has there been if more when will would who so no she other its may these ' +
  'about than into could time only new some any then two like our what now over also after first did many ' +
  'before must through years where much way well down should because each just those people how too little ' +
  'state good very make world still own see men work long get here between both life being under never day ' +
  'same another know while last might us great old year off come since against go came right used take three ' +
  'invoice total amount payment account delivery order number customer service address street report results ' +
  'analysis measurement detection resolution recognition document scanner printer quality average figure table ' +
  'section chapter reference appendix 2024 1998 42 17.5 3,200 €19.99 $7.45 #1138 (see above) e.g. i.e. etc.'
).split(/\s+/);

function sentence(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rand() * WORDS.length)]!);
  const s = out.join(' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface RenderedBlock {
  text: string;
  rgba: Buffer;
  width: number;
  height: number;
  /** Ink bands = text lines, in block pixels. */
  lines: { x0: number; y0: number; x1: number; y1: number }[];
}

/**
 * Renders text with pango (sharp's text input), optionally wrapped to `widthPx`, and splits it into lines by
 * the rows that hold no ink.
 */
async function renderBlock(text: string, font: string, dpi: number, color: string, widthPx?: number, justify = false): Promise<RenderedBlock> {
  const { data, info } = await sharp({
    text: {
      text: `<span foreground="${color}">${escapeMarkup(text)}</span>`,
      font,
      dpi,
      rgba: true,
      ...(widthPx ? { width: widthPx, wrap: 'word' as const, justify } : {}),
    },
  })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const w = info.width, h = info.height;
  const rowInk = new Int32Array(h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) if (data[(y * w + x) * 4 + 3]! > 96) rowInk[y]!++;
  }
  // Ink bands; a band much taller than the others is two lines whose descenders and ascenders touch: split it
  // at its emptiest row near the middle.
  const bands: [number, number][] = [];
  let y = 0;
  while (y < h) {
    while (y < h && rowInk[y] === 0) y++;
    if (y >= h) break;
    const y0 = y;
    while (y < h && rowInk[y]! > 0) y++;
    bands.push([y0, y]);
  }
  const typical = bands.map(([a, b]) => b - a).sort((a, b) => a - b)[bands.length >> 1] ?? 0;
  const split: [number, number][] = [];
  const pending = bands.slice().reverse();
  while (pending.length) {
    const [a, b] = pending.pop()!;
    if (typical > 0 && b - a > 1.6 * typical) {
      let cut = a + Math.round(typical * 0.6), best = Infinity;
      for (let r = a + Math.round(typical * 0.6); r < b - Math.round(typical * 0.4); r++) if (rowInk[r]! < best) { best = rowInk[r]!; cut = r; }
      pending.push([cut, b], [a, cut]);
      continue;
    }
    split.push([a, b]);
  }
  const lines: RenderedBlock['lines'] = [];
  for (const [y0, y1] of split) {
    let x0 = w, x1 = 0;
    for (let yy = y0; yy < y1; yy++) {
      for (let x = 0; x < w; x++) {
        if (data[(yy * w + x) * 4 + 3]! > 96) {
          if (x < x0) x0 = x;
          if (x + 1 > x1) x1 = x + 1;
        }
      }
    }
    lines.push({ x0, y0, x1, y1 });
  }
  return { text, rgba: data, width: w, height: h, lines };
}

class PageBuilder {
  readonly composites: sharp.OverlayOptions[] = [];
  readonly lines: GtLine[] = [];
  readonly words: string[] = [];
  constructor(readonly width: number, readonly height: number, readonly background = '#ffffff') {}

  place(block: RenderedBlock, left: number, top: number, column: number, text = ''): void {
    this.words.push(...block.text.split(/\s+/).filter(Boolean));
    this.composites.push({ input: block.rgba, raw: { width: block.width, height: block.height, channels: 4 }, left, top });
    for (const l of block.lines) this.lines.push({ x0: left + l.x0, y0: top + l.y0, x1: left + l.x1, y1: top + l.y1, column, text });
  }

  rect(left: number, top: number, width: number, height: number, color: string): void {
    this.composites.push({ input: { create: { width, height, channels: 3, background: color } }, left, top });
  }

  async build(name: string, note: string): Promise<SyntheticPage> {
    const { data, info } = await sharp({ create: { width: this.width, height: this.height, channels: 3, background: this.background } })
      .composite(this.composites)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { name, note, image: { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, lines: this.lines, words: this.words };
  }
}

const DOC_FONTS = ['DejaVu Sans', 'Liberation Serif', 'Liberation Sans', 'DejaVu Serif'];

/** A4 at 300 dpi, two justified columns of `sizePt` body text with headings, fonts varying per paragraph. */
async function a4Page(sizePt: number, seed: number): Promise<SyntheticPage> {
  const rand = mulberry32(seed);
  const W = 2480, H = 3508, dpi = 300, margin = 236, gutter = 94;
  const colW = Math.floor((W - 2 * margin - gutter) / 2);
  const page = new PageBuilder(W, H);
  const linePx = (sizePt * dpi) / 72;
  for (let col = 0; col < 2; col++) {
    let y = margin;
    const x = margin + col * (colW + gutter);
    while (y < H - margin) {
      const font = DOC_FONTS[Math.floor(rand() * DOC_FONTS.length)]!;
      const heading = rand() < 0.18;
      const block = heading
        ? await renderBlock(sentence(rand, 2 + Math.floor(rand() * 4)).slice(0, -1), `${font} Bold ${Math.round(sizePt * 1.4)}`, dpi, '#000000', colW)
        : await renderBlock(
          Array.from({ length: 2 + Math.floor(rand() * 4) }, () => sentence(rand, 6 + Math.floor(rand() * 12))).join(' '),
          `${font} ${sizePt}`, dpi, rand() < 0.15 ? '#444444' : '#000000', colW, true,
        );
      if (y + block.height > H - margin) break;
      page.place(block, x, Math.round(y), col);
      y += block.height + linePx * (heading ? 0.3 : 0.7);
    }
  }
  return page.build(`a4-${sizePt}pt`, `A4 300 dpi 2480×3508, 2 cols, ${sizePt} pt body`);
}

/** A long till receipt: 1000 × 8000, monospace 20 px items with right-aligned prices. */
async function receiptPage(seed: number): Promise<SyntheticPage> {
  const rand = mulberry32(seed);
  const W = 1000, H = 8000;
  const page = new PageBuilder(W, H, '#fbfbf7');
  let y = 40;
  for (const [t, size] of [['SUPERMARKT LUCID', 34], ['Hauptstrasse 12, 10115 Berlin', 20], ['Tel. 030 1234567  USt-ID DE123456789', 20]] as const) {
    const b = await renderBlock(t, `DejaVu Sans Mono Bold ${size}`, 72, '#111111');
    page.place(b, Math.round((W - b.width) / 2), y, 0, t);
    y += b.height + 10;
  }
  y += 30;
  while (y < H - 200) {
    if (rand() < 0.06) {
      const b = await renderBlock('-'.repeat(40), 'DejaVu Sans Mono 20', 72, '#222222');
      page.place(b, 60, y, 0, 'sep');
      y += b.height + 8;
      continue;
    }
    const name = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => WORDS[Math.floor(rand() * 160)]!.toUpperCase()).join(' ');
    const price = `${(rand() * 40).toFixed(2)} ${rand() < 0.5 ? 'A' : 'B'}`;
    const left = await renderBlock(name, 'DejaVu Sans Mono 20', 72, '#1a1a1a');
    const right = await renderBlock(price, 'DejaVu Sans Mono 20', 72, '#1a1a1a');
    page.place(left, 60, y, 0, name);
    page.place(right, W - 60 - right.width, y, 1, price);
    y += Math.max(left.height, right.height) + 6;
  }
  const total = await renderBlock('SUMME EUR        1234.56', 'DejaVu Sans Mono Bold 30', 72, '#000000');
  page.place(total, 60, y + 20, 0, 'total');
  return page.build('receipt', 'receipt 1000×8000, mono 20 px, item + price per row');
}

/** A 1200 × 10000 web-page screenshot: dark nav bar, sidebar links, 16 px body, 13 px grey captions, cards. */
async function screenshotPage(seed: number): Promise<SyntheticPage> {
  const rand = mulberry32(seed);
  const W = 1200, H = 10000;
  const page = new PageBuilder(W, H);
  page.rect(0, 0, W, 64, '#1f2937');
  let x = 24;
  for (const t of ['Lucid', 'Docs', 'Pricing', 'Blog', 'Sign in']) {
    const b = await renderBlock(t, 'DejaVu Sans 16', 72, '#f9fafb');
    page.place(b, x, 20, 0, t);
    x += b.width + 40;
  }
  let ys = 100;
  while (ys < H - 100) {
    const t = sentence(rand, 1 + Math.floor(rand() * 3)).slice(0, -1);
    const b = await renderBlock(t, 'DejaVu Sans 14', 72, '#2563eb');
    page.place(b, 24, ys, 1, t);
    ys += b.height + 14 + (rand() < 0.1 ? 30 : 0);
  }
  let y = 100;
  const cx = 280, cw = 880;
  while (y < H - 150) {
    const r = rand();
    if (r < 0.15) {
      const b = await renderBlock(sentence(rand, 3 + Math.floor(rand() * 4)).slice(0, -1), 'DejaVu Sans Bold 28', 72, '#111827', cw);
      page.place(b, cx, y, 2);
      y += b.height + 18;
    } else if (r < 0.3) {
      const text = Array.from({ length: 1 + Math.floor(rand() * 2) }, () => sentence(rand, 8 + Math.floor(rand() * 10))).join(' ');
      const b = await renderBlock(text, 'Liberation Sans 15', 72, '#374151', cw - 48);
      if (y + b.height + 40 > H - 100) break;
      page.rect(cx, y, cw, b.height + 40, '#f3f4f6');
      page.place(b, cx + 24, y + 20, 2);
      y += b.height + 60;
    } else if (r < 0.42) {
      const b = await renderBlock(sentence(rand, 5 + Math.floor(rand() * 8)), 'DejaVu Sans 12', 72, '#6b7280', cw);
      page.place(b, cx, y, 2);
      y += b.height + 16;
    } else {
      const text = Array.from({ length: 2 + Math.floor(rand() * 4) }, () => sentence(rand, 8 + Math.floor(rand() * 14))).join(' ');
      const b = await renderBlock(text, 'DejaVu Sans 16', 72, '#111111', cw);
      if (y + b.height > H - 100) break;
      page.place(b, cx, y, 2);
      y += b.height + 22;
    }
  }
  return page.build('screenshot', 'screenshot 1200×10000: 12–28 px text, nav bar, sidebar, cards');
}

/** A 150-dpi A4 scan (1240×1754) with 10 pt text: the common "already small" case. */
async function a4LowResPage(seed: number): Promise<SyntheticPage> {
  const rand = mulberry32(seed);
  const W = 1240, H = 1754, dpi = 150, margin = 118;
  const page = new PageBuilder(W, H);
  let y = margin;
  while (y < H - margin) {
    const font = DOC_FONTS[Math.floor(rand() * DOC_FONTS.length)]!;
    const b = await renderBlock(
      Array.from({ length: 2 + Math.floor(rand() * 3) }, () => sentence(rand, 6 + Math.floor(rand() * 12))).join(' '),
      `${font} 10`, dpi, '#000000', W - 2 * margin, true,
    );
    if (y + b.height > H - margin) break;
    page.place(b, margin, Math.round(y), 0);
    y += b.height + 14;
  }
  return page.build('a4-150dpi', 'A4 150 dpi 1240×1754, 1 col, 10 pt');
}

/** A phone-photo-sized poster (3024 × 4032) with 90–260 px text: big text the first auto pass sees too thick. */
async function posterPage(seed: number): Promise<SyntheticPage> {
  const rand = mulberry32(seed);
  const W = 3024, H = 4032;
  const page = new PageBuilder(W, H, '#f4efe6');
  let y = 200;
  for (const [size, n] of [[260, 2], [160, 3], [90, 12]] as const) {
    for (let i = 0; i < n; i++) {
      const font = DOC_FONTS[Math.floor(rand() * DOC_FONTS.length)]!;
      const b = await renderBlock(sentence(rand, size > 200 ? 2 : size > 100 ? 3 : 5).slice(0, -1), `${font} Bold ${size}`, 72, '#202020');
      if (y + b.height > H - 150 || b.width > W - 200) continue;
      page.place(b, 150, y, 0);
      y += Math.round(b.height * 1.25);
    }
  }
  return page.build('poster', 'poster 3024×4032, 90–260 px text');
}

/** A small 800 × 600 image with 14–24 px text (already what PaddleOCR sees at scale 1). */
async function smallPage(seed: number): Promise<SyntheticPage> {
  const rand = mulberry32(seed);
  const page = new PageBuilder(800, 600);
  let y = 30;
  while (y < 540) {
    const size = 14 + Math.floor(rand() * 11);
    const b = await renderBlock(sentence(rand, 4 + Math.floor(rand() * 5)), `${DOC_FONTS[Math.floor(rand() * 4)]!} ${size}`, 72, '#000000');
    if (y + b.height > 580 || b.width > 760) break;
    page.place(b, 30, y, 0);
    y += b.height + 12;
  }
  return page.build('small', 'small 800×600, 14–24 px text');
}

/** Lines at several em sizes (px at detector scale) for the sensitivity sweep; column = size. */
async function sweepPage(sizesPx: number[]): Promise<SyntheticPage> {
  const rand = mulberry32(7);
  const blocks: { b: RenderedBlock; size: number }[] = [];
  for (const size of sizesPx) {
    for (let i = 0; i < 8; i++) {
      const font = DOC_FONTS[i % DOC_FONTS.length]!;
      const words = Math.max(2, Math.min(9, Math.round(180 / size))) + Math.floor(rand() * 3);
      blocks.push({ b: await renderBlock(sentence(rand, words), `${font} ${size}`, 72, '#000000'), size });
    }
  }
  const W = Math.max(...blocks.map((x) => x.b.width)) + 80;
  const H = blocks.reduce((s, x) => s + Math.ceil(x.b.height * 1.6), 100);
  const page = new PageBuilder(W, Math.min(H, 20000));
  let y = 50;
  for (const { b, size } of blocks) {
    page.place(b, 40, y, size);
    y += Math.ceil(b.height * 1.6);
  }
  return page.build('sweep', `em sizes ${sizesPx.join(',')} px`);
}

// ---------------------------------------------------------------------------------------------------------
// Scoring
// ---------------------------------------------------------------------------------------------------------

interface Score {
  lines: number;
  found: number;
  /** Lines whose ink box is ≥ 90% inside detected boxes (found, or split into words, or in a loose box). */
  covered: number;
  merged: number;
  falseBoxes: number;
  meanIou: number;
}

function rectOf(box: DetBox) {
  const b = quadBounds(box.quad);
  return { x0: b.minX, y0: b.minY, x1: b.maxX + 1, y1: b.maxY + 1 };
}

function interArea(a: { x0: number; y0: number; x1: number; y1: number }, b: { x0: number; y0: number; x1: number; y1: number }): number {
  const w = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const h = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return w > 0 && h > 0 ? w * h : 0;
}

const areaOf = (r: { x0: number; y0: number; x1: number; y1: number }) => (r.x1 - r.x0) * (r.y1 - r.y0);

/**
 * found: lines matched one-to-one (greedy by IoU) to a detected box that holds ≥ 80% of the line's ink box and
 * ≥ 30% of no other line (a box per line: not split, not bleeding into a neighbour, not merged). IoU with the
 * ink box would punish the normal margin DB puts around small words. merged: boxes covering ≥ 30% of lines in
 * two different columns. falseBoxes: boxes touching no line's ink box by ≥ 10%.
 */
function scoreBoxes(lines: GtLine[], boxes: DetBox[], only?: (l: GtLine) => boolean): Score {
  const gts = only ? lines.filter(only) : lines;
  const rects = boxes.map(rectOf);
  // Lines each box holds ≥ 30% of (for the "no other line" test).
  const holds = rects.map((d) => lines.filter((g) => interArea(g, d) >= 0.3 * areaOf(g)));
  const pairs: { g: number; d: number; iou: number }[] = [];
  gts.forEach((g, gi) => {
    rects.forEach((d, di) => {
      const inter = interArea(g, d);
      if (inter < 0.8 * areaOf(g)) return;
      if (holds[di]!.some((o) => o !== g)) return;
      pairs.push({ g: gi, d: di, iou: inter / (areaOf(g) + areaOf(d) - inter) });
    });
  });
  pairs.sort((a, b) => b.iou - a.iou);
  const gUsed = new Set<number>(), dUsed = new Set<number>();
  let iouSum = 0;
  for (const p of pairs) {
    if (gUsed.has(p.g) || dUsed.has(p.d)) continue;
    gUsed.add(p.g);
    dUsed.add(p.d);
    iouSum += p.iou;
  }
  let covered = 0;
  for (const g of gts) {
    let inside = 0;
    for (const d of rects) inside += interArea(g, d);
    if (inside >= 0.9 * areaOf(g)) covered++;
  }
  let merged = 0, falseBoxes = 0;
  rects.forEach((d, di) => {
    if (new Set(holds[di]!.map((g) => g.column)).size > 1) merged++;
    if (!lines.some((g) => interArea(g, d) >= 0.1 * Math.min(areaOf(g), areaOf(d)))) falseBoxes++;
  });
  return { lines: gts.length, found: gUsed.size, covered, merged, falseBoxes, meanIou: gUsed.size ? iouSum / gUsed.size : 0 };
}

// ---------------------------------------------------------------------------------------------------------
// Strategies and main
// ---------------------------------------------------------------------------------------------------------

type Strategy = { name: string; options: DetectionOptions };

const STRATEGIES: Strategy[] = [
  { name: 'paddle-960', options: { tiling: 'off', maxSideLen: 960 } },
  { name: 'paddle-1600', options: { tiling: 'off', maxSideLen: 1600 } },
  { name: 'paddle-2560', options: { tiling: 'off', maxSideLen: 2560 } },
  { name: 'tiles@0.35', options: { scale: 0.35 } },
  { name: 'tiles@0.5', options: { scale: 0.5 } },
  { name: 'tiles@0.6', options: { scale: 0.6 } },
  { name: 'tiles@0.72', options: { scale: 0.72 } },
  { name: 'tiles@0.75', options: { scale: 0.75 } },
  { name: 'tiles@1', options: { scale: 1 } },
  { name: 'auto', options: {} },
  { name: 'auto-t1280', options: { maxSideLen: 1280 } },
  { name: 'auto-t640', options: { maxSideLen: 640, tileOverlapPx: 128 } },
  { name: 'auto-1pass', options: { maxSideLen: 8192 } },
  { name: 'auto-gpu', options: { padToShapeBuckets: true } },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function dumpPng(dir: string, file: string, page: SyntheticPage, boxes: DetBox[]): Promise<void> {
  const { width, height } = page.image;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${page.lines
    .map((l) => `<rect x="${l.x0}" y="${l.y0}" width="${l.x1 - l.x0}" height="${l.y1 - l.y0}" fill="none" stroke="#00c000" stroke-width="2"/>`)
    .join('')}${boxes.map((b) => `<polygon points="${b.quad.map((p) => p.join(',')).join(' ')}" fill="none" stroke="#ff0000" stroke-width="3"/>`).join('')}</svg>`;
  await sharp(page.image.data, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toFile(path.join(dir, file));
}

/** Word as compared for recall: lower case, no surrounding punctuation. */
function normWord(w: string): string {
  return w.toLowerCase().replace(/^[^\p{L}\p{N}€$#]+|[^\p{L}\p{N}%]+$/gu, '');
}

/**
 * Fraction of the page's words of ≥ 4 characters found in the recognised text. PP-OCRv4 rec drops most spaces
 * in Latin text, so words are looked up as substrings of each line's text (spaces removed), each occurrence
 * used once.
 */
function wordRecall(truth: string[], recognisedLines: string[]): number {
  let stream = '|' + recognisedLines.map((t) => t.toLowerCase().replace(/\s+/g, '')).join('|') + '|';
  const want = truth.map(normWord).filter((w) => w.length >= 4);
  let hit = 0;
  for (const w of want) {
    const at = stream.indexOf(w);
    if (at >= 0) {
      hit++;
      stream = stream.slice(0, at) + '#' + stream.slice(at + w.length);
    }
  }
  return want.length ? hit / want.length : 1;
}

async function timeRun(det: TextDetector, image: RgbImage, reps: number) {
  let best: Awaited<ReturnType<TextDetector['run']>> | undefined;
  let bestTotal = Infinity;
  let cpuMs = 0;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const res = await det.run(image);
    const c = process.cpuUsage(c0);
    const total = res.timings.preMs + res.timings.runMs + res.timings.postMs;
    if (total < bestTotal) {
      bestTotal = total;
      best = res;
      cpuMs = (c.user + c.system) / 1000;
    }
  }
  return { res: best!, cpuMs };
}

async function main(): Promise<void> {
  const paths = resolveModelPaths();
  const session: OcrSession = await createCpuSession(paths.det, { stage: 'det' });
  const recognizer = process.argv.includes('--rec')
    ? await TextRecognizer.create(await createCpuSession(paths.rec, { stage: 'rec' }), paths.dict)
    : undefined;
  const reps = Number(arg('reps') ?? 1);
  const dump = arg('dump');
  if (dump) mkdirSync(dump, { recursive: true });

  if (process.argv.includes('--sweep')) {
    const sizes = (arg('sizes') ?? '5,6,7,8,9,10,11,12,14,16,20,24,32,48,64,96').split(',').map(Number);
    const page = await sweepPage(sizes);
    const det = await TextDetector.create(session, { scale: 1 });
    const { res } = await timeRun(det, page.image, 1);
    if (dump) await dumpPng(dump, 'sweep.png', page, res.boxes);
    console.log('em px | line ink px | found/lines | covered | mean IoU | median box thickness px');
    for (const size of sizes) {
      const s = scoreBoxes(page.lines, res.boxes, (l) => l.column === size);
      const inkH = page.lines.filter((l) => l.column === size).reduce((a, l) => a + l.y1 - l.y0, 0) / 8;
      const thick = res.boxes
        .filter((b) => page.lines.some((l) => l.column === size && interArea(l, rectOf(b)) > 0.5 * areaOf(l)))
        .map((b) => getMiniBoxes(b.quad.flat()).sside)
        .sort((a, b) => a - b);
      const med = thick.length ? thick[thick.length >> 1]! : NaN;
      console.log(`${String(size).padStart(5)} | ${inkH.toFixed(1).padStart(11)} | ${String(s.found).padStart(6)}/${s.lines} | ${String(s.covered).padStart(7)} | ${s.meanIou.toFixed(2).padStart(8)} | ${med.toFixed(1)}`);
    }
    await session.dispose();
    return;
  }

  const wantPages = arg('pages')?.split(',');
  const wantStrategies = arg('strategies')?.split(',');
  const builders: [string, () => Promise<SyntheticPage>][] = [
    ['a4-6pt', () => a4Page(6, 10)],
    ['a4-8pt', () => a4Page(8, 1)],
    ['a4-10pt', () => a4Page(10, 2)],
    ['a4-12pt', () => a4Page(12, 3)],
    ['a4-150dpi', () => a4LowResPage(4)],
    ['receipt', () => receiptPage(5)],
    ['screenshot', () => screenshotPage(6)],
    ['poster', () => posterPage(8)],
    ['small', () => smallPage(9)],
  ];
  const strategies = STRATEGIES.filter((s) => !wantStrategies || wantStrategies.includes(s.name));
  console.log('page        | strategy        | found/lines  | recall | covered | merged | false | IoU  | det ms (pre+run+post)      | cpu ms | inputs');
  for (const [name, build] of builders) {
    if (wantPages && !wantPages.includes(name)) continue;
    const page = await build();
    for (const strat of strategies) {
      const det = await TextDetector.create(session, strat.options);
      const { res, cpuMs } = await timeRun(det, page.image, reps);
      const s = scoreBoxes(page.lines, res.boxes);
      const t = res.timings;
      let words = '';
      if (recognizer) {
        const rec = await recognizer.run(res.boxes.map((b) => cropQuad(page.image, b.quad).image));
        words = ` | words ${wordRecall(page.words, rec.results.map((r) => r.text)).toFixed(3)}`;
      }
      const sizes = new Map<string, number>();
      for (const i of res.inputSizes) sizes.set(`${i.width}x${i.height}`, (sizes.get(`${i.width}x${i.height}`) ?? 0) + 1);
      console.log(
        `${name.padEnd(11)} | ${strat.name.padEnd(15)} | ${`${s.found}/${s.lines}`.padStart(12)} | ${(s.found / s.lines).toFixed(3)}  | ${(s.covered / s.lines).toFixed(3)}   | ${String(s.merged).padStart(6)} | ${String(s.falseBoxes).padStart(5)} | ${s.meanIou.toFixed(2)} | ` +
          `${(t.preMs + t.runMs + t.postMs).toFixed(0).padStart(6)} (${t.preMs.toFixed(0)}+${t.runMs.toFixed(0)}+${t.postMs.toFixed(0)})`.padEnd(26) +
          ` | ${cpuMs.toFixed(0).padStart(6)} | ${[...sizes].map(([k, n]) => `${n}×${k}`).join(' ')}${words}`,
      );
      if (dump) await dumpPng(dump, `${name}-${strat.name}.png`, page, res.boxes);
      if (process.argv.includes('--misses')) {
        for (const g of page.lines) {
          let best = 0, bestBox = '';
          for (const b of res.boxes) {
            const d = rectOf(b);
            const inter = interArea(g, d);
            const iou = inter / (areaOf(g) + areaOf(d) - inter);
            if (iou > best) { best = iou; bestBox = `${d.x0},${d.y0}-${d.x1},${d.y1}`; }
          }
          if (best < 0.3) console.log(`  miss ${g.x0},${g.y0}-${g.x1},${g.y1} (${g.x1 - g.x0}×${g.y1 - g.y0}) best IoU ${best.toFixed(2)} ${bestBox}`);
        }
      }
    }
  }
  await session.dispose();
}

await main();
