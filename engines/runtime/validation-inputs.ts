/**
 * Built-in inputs for the validation gate: text rendered with sharp (Pango) and preprocessed the way
 * PaddleOCR 2.x does (det: ×32 resize, ImageNet mean/std on BGR planes; rec/cls: height 48, (x/255−0.5)/0.5,
 * zero padding on the right). Both sessions under comparison see identical tensors, so this only has to
 * look like real OCR input (text strokes, blank margins, mixed scripts), not match the pipeline bit for bit.
 */
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

/** Renders the validation set (≈0.3 s on a 2-core machine). */
export async function renderValidationInputs(opts: { lines?: readonly string[]; detLimitSideLen?: number } = {}): Promise<ValidationInputs> {
  const lines = opts.lines ?? VALIDATION_LINES;
  const limit = opts.detLimitSideLen ?? 960;
  const half = Math.ceil(lines.length / 2);
  const det = [
    await detTensor(await renderText(lines.slice(0, half).join('\n'), 26, 24), limit),
    await detTensor(await renderText(lines.slice(half).join('\n'), 18, 40), limit),
  ];
  const rendered = await Promise.all(lines.map((l) => renderText(l, 28, 4)));
  const rec = [await lineBatch(rendered, 320, null)];
  const flipped = await Promise.all(rendered.map(rotate180));
  const cls = [await lineBatch([...rendered, ...flipped], 192, 192)];
  return { det, rec, cls, lines };
}
