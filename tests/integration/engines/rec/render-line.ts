/**
 * Test helper: renders one text line with sharp's text input (Pango) into an RgbImage that looks like a
 * detector crop (dark text on a light background with a small margin), plus deterministic degradations.
 */
import sharp from 'sharp';
import type { RgbImage } from '../../../../engines/types.js';

export interface RenderLineOptions {
  /** Pango font family, e.g. 'DejaVu Sans', 'DejaVu Serif', 'Liberation Mono', 'Noto Sans CJK SC'. */
  font?: string;
  /** Font size in points at 72 dpi (= pixels). */
  sizePx?: number;
  /** Margin around the ink box, as a fraction of sizePx (DB's unclip leaves roughly this much). */
  marginFrac?: number;
}

function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function renderLine(text: string, opts: RenderLineOptions = {}): Promise<RgbImage> {
  const font = opts.font ?? 'DejaVu Sans';
  const sizePx = opts.sizePx ?? 32;
  const margin = Math.round(sizePx * (opts.marginFrac ?? 0.25));
  const { data, info } = await sharp({ text: { text: escapeMarkup(text), font: `${font} ${sizePx}px`, dpi: 72, rgba: true } })
    .flatten({ background: '#ffffff' })
    .extend({ top: margin, bottom: margin, left: margin, right: margin, background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Resamples an image to `scale` of its size (sharp's default kernel), e.g. 0.4 for a low-resolution scan. */
export async function rescale(image: RgbImage, scale: number): Promise<RgbImage> {
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Adds Gaussian noise of standard deviation `sigma` (0–255 scale) from a seeded generator. */
export function addNoise(image: RgbImage, sigma: number, seed = 1): RgbImage {
  let s = seed >>> 0 || 1;
  const uniform = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 4294967296;
  };
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) {
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = Math.max(0, Math.min(255, Math.round(image.data[i]! + g * sigma)));
  }
  return { width: image.width, height: image.height, data: out };
}

/** Levenshtein distance over code points. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** Character error rate: edit distance / reference length (code points). */
export function cer(reference: string, hypothesis: string): number {
  return editDistance(reference, hypothesis) / Math.max(1, [...reference].length);
}
