/**
 * Built-in inputs for the validation gate: text images preprocessed the way PaddleOCR 2.x does (det: ×32
 * resize, ImageNet mean/std on BGR planes; rec/cls: height 48, (x/255−0.5)/0.5, zero padding on the right).
 * Both sessions under comparison see identical tensors, so this only has to look like real OCR input (text
 * strokes, blank margins, mixed scripts), not match the pipeline bit for bit.
 *
 * The images ship as PNGs in engines/assets/validation/ (written by tests/fixtures/make-validation-pngs.ts),
 * because rendering text needs fonts, and GPU servers often have none: without inputs the gate must refuse FP16.
 */
import { promises as fs } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { TensorData } from '../stages.js';

export const VALIDATION_LINES: readonly string[] = [
  'Invoice 2024-17: total $1,234.56 due 30/11',
  'The quick brown fox jumps over the lazy dog',
  '识别中文文本的测试 PP-OCRv4 模型',
  'Straße 12, 8001 Zürich — Tel. +41 44 123 45 67',
  'ONNX Runtime TensorRT FP16 engine cache',
  '第3章 数据处理与结果分析（2023年）',
];

export interface ValidationInputs {
  det: TensorData[];
  rec: TensorData[];
  cls: TensorData[];
  lines: readonly string[];
}

function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Renders dark text on white as packed RGB. */
async function renderText(text: string, fontPt: number, padPx: number): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp({
    text: { text: `<span foreground="#111111">${escapeMarkup(text)}</span>`, font: `DejaVu Sans ${fontPt}`, rgba: true, dpi: 72, spacing: Math.round(fontPt * 0.6) },
  })
    .flatten({ background: '#ffffff' })
    .extend({ top: padPx, bottom: padPx, left: padPx, right: padPx, background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];

/** Page → det tensor: long side ≤ limitSideLen, both sides rounded to ×32 (PaddleOCR DetResizeForTest 'max'). */
async function detTensor(rgb: { data: Buffer; width: number; height: number }, limitSideLen: number): Promise<TensorData> {
  const ratio = Math.max(rgb.width, rgb.height) > limitSideLen ? limitSideLen / Math.max(rgb.width, rgb.height) : 1;
  const h = Math.max(Math.round(Math.floor(rgb.height * ratio) / 32) * 32, 32);
  const w = Math.max(Math.round(Math.floor(rgb.width * ratio) / 32) * 32, 32);
  const { data } = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    // BGR planes, mean/std applied by plane index (as PaddleOCR does on its BGR array).
    for (let c = 0; c < 3; c++) out[c * plane + i] = (data[i * 3 + (2 - c)]! / 255 - DET_MEAN[c]!) / DET_STD[c]!;
  }
  return { data: out, dims: [1, 3, h, w] };
}

/** Lines → one [N,3,48,W] tensor, each resized to height 48 and zero-padded (mid-grey) to W. */
async function lineBatch(lines: { data: Buffer; width: number; height: number }[], minWidth: number, maxWidth: number | null): Promise<TensorData> {
  const H = 48;
  const widths = lines.map((l) => Math.max(1, Math.ceil((H * l.width) / l.height)));
  const W = maxWidth ?? Math.max(minWidth, Math.ceil(Math.max(...widths) / 32) * 32);
  const out = new Float32Array(lines.length * 3 * H * W);
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n]!;
    const w = Math.min(widths[n]!, W);
    const { data } = await sharp(l.data, { raw: { width: l.width, height: l.height, channels: 3 } })
      .resize(w, H, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const base = n * 3 * H * W;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < w; x++) {
        const s = (y * w + x) * 3;
        for (let c = 0; c < 3; c++) out[base + c * H * W + y * W + x] = (data[s + (2 - c)]! / 255 - 0.5) / 0.5;
      }
    }
  }
  return { data: out, dims: [lines.length, 3, H, W] };
}

async function rotate180(l: { data: Buffer; width: number; height: number }) {
  const { data, info } = await sharp(l.data, { raw: { width: l.width, height: l.height, channels: 3 } }).rotate(180).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

export interface ValidationImages {
  /** Two page-like images, each holding half of the lines. */
  pages: PackedRgb[];
  /** One image per line. */
  lineImages: PackedRgb[];
  lines: readonly string[];
}

export type PackedRgb = { data: Buffer; width: number; height: number };

/** Renders the images with sharp text (Pango: needs fonts). The generator of the shipped PNGs uses this. */
export async function renderValidationImages(lines: readonly string[] = VALIDATION_LINES): Promise<ValidationImages> {
  const half = Math.ceil(lines.length / 2);
  const pages = [await renderText(lines.slice(0, half).join('\n'), 26, 24), await renderText(lines.slice(half).join('\n'), 18, 40)];
  const lineImages = await Promise.all(lines.map((l) => renderText(l, 28, 4)));
  return { pages, lineImages, lines };
}

/** det: both pages; rec: one batch of all lines; cls: the lines upright and turned 180°, at the cls width 192. */
export async function tensorsFromImages(images: ValidationImages, opts: { detLimitSideLen?: number } = {}): Promise<ValidationInputs> {
  const limit = opts.detLimitSideLen ?? 960;
  const det = [];
  for (const p of images.pages) det.push(await detTensor(p, limit));
  const rec = [await lineBatch(images.lineImages, 320, null)];
  const flipped = await Promise.all(images.lineImages.map(rotate180));
  const cls = [await lineBatch([...images.lineImages, ...flipped], 192, 192)];
  return { det, rec, cls, lines: images.lines };
}

/** File names inside the validation asset folder. */
export const VALIDATION_MANIFEST = 'manifest.json';
export interface ValidationManifest {
  lines: string[];
  pages: string[];
  lineImages: string[];
}

/**
 * Where the PNGs are: engines/assets/validation next to the sources (tsx), copied next to the build
 * (dist/engines/assets), or the source tree's from the build (dist/engines/runtime → engines/assets), which is
 * also where the packaged app has them (electron-builder ships engines/assets/**).
 */
export function validationAssetDirs(): string[] {
  return ['../assets/validation/', '../../../engines/assets/validation/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
}

/** Reads the shipped PNGs (no fonts needed). fs reads them, not libvips, so they load from inside app.asar too. */
export async function loadValidationImages(dir?: string): Promise<ValidationImages> {
  const dirs = dir ? [dir] : validationAssetDirs();
  let lastError: unknown;
  for (const d of dirs) {
    let manifest: ValidationManifest;
    try {
      manifest = JSON.parse(await fs.readFile(`${d.replace(/\/?$/, '/')}${VALIDATION_MANIFEST}`, 'utf8')) as ValidationManifest;
    } catch (e) {
      lastError = e;
      continue;
    }
    const read = async (name: string): Promise<PackedRgb> => {
      const { data, info } = await sharp(await fs.readFile(`${d.replace(/\/?$/, '/')}${name}`))
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`${name}: expected 3 channels, got ${info.channels}`);
      return { data, width: info.width, height: info.height };
    };
    return {
      pages: await Promise.all(manifest.pages.map(read)),
      lineImages: await Promise.all(manifest.lineImages.map(read)),
      lines: manifest.lines,
    };
  }
  throw new Error(`the validation images are missing (looked in ${dirs.join(', ')}: ${(lastError as Error)?.message ?? lastError})`);
}

/** The validation set from the shipped PNGs. */
export async function loadValidationInputs(opts: { dir?: string; detLimitSideLen?: number } = {}): Promise<ValidationInputs> {
  return tensorsFromImages(await loadValidationImages(opts.dir), opts);
}

/**
 * The validation set. Without `lines`: the shipped PNGs (loadValidationInputs), which need no fonts. With
 * `lines` (tests asking for their own text): rendered now with sharp text, which needs fonts.
 */
export async function renderValidationInputs(opts: { lines?: readonly string[]; detLimitSideLen?: number } = {}): Promise<ValidationInputs> {
  if (!opts.lines) return loadValidationInputs(opts);
  return tensorsFromImages(await renderValidationImages(opts.lines), opts);
}
