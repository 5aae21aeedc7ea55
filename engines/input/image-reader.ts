/**
 * Raster images → 8-bit sRGB RGB page images, through sharp (libvips). Every TIFF page is a page; GIF and
 * WebP give their first frame. EXIF orientation is applied, alpha is flattened on white, grey/16-bit/CMYK
 * become 8-bit sRGB. BMP goes through bmp-decoder.ts (sharp's libvips has no BMP loader).
 *
 * Limits (see types.ts for the values and why):
 * - above maxInputPixels: IMAGE_TOO_LARGE from the header alone, before a pixel is decoded;
 * - above maxPixels: downscaled on decode to fit, with a warning naming both sizes;
 * - truncated/damaged data: decoded as far as libvips can, with a warning; if nothing can be decoded,
 *   TRUNCATED_FILE (the file visibly ends early) or CORRUPT_FILE.
 */
import sharp from 'sharp';
import { OcrError, isOcrError } from '../errors.js';
import type { RgbImage } from '../types.js';
import { decodeBmp, readBmpHeader } from './bmp-decoder.js';
import { typeInfo } from './sniff.js';
import {
  DEFAULT_MAX_INPUT_PIXELS,
  DEFAULT_MAX_PIXELS,
  type PageImage,
  type SniffedType,
} from './types.js';

export type ImageType = Exclude<SniffedType, 'pdf'>;

export interface ImageLimits {
  maxPixels?: number;
  maxInputPixels?: number;
}

export interface OpenedImage {
  pageCount: number;
  /** Upright size of the first page (EXIF orientation applied), before any downscale. */
  width: number;
  height: number;
  /** Warnings about the file as a whole (animated GIF read as one frame, …). */
  warnings: string[];
  readPage(index: number): Promise<PageImage>;
}

const WHITE = { r: 255, g: 255, b: 255 };

function formatMp(pixels: number): string {
  return `${(pixels / 1e6).toFixed(pixels < 10e6 ? 1 : 0)} megapixels`;
}

function tooLarge(name: string, width: number, height: number, limit: number, page?: number): OcrError {
  return new OcrError(
    'IMAGE_TOO_LARGE',
    `${name} is ${width} × ${height} pixels (${formatMp(width * height)}); Lucid OCR reads images up to ` +
      `${formatMp(limit)} (${limit.toLocaleString('en-US')} pixels, e.g. ${Math.floor(Math.sqrt(limit))} × ${Math.floor(Math.sqrt(limit))}). ` +
      'Scale it down or split it into parts.',
    { file: name, page },
  );
}

/** Target size so that width × height ≤ maxPixels, keeping the aspect ratio. */
export function fitToPixels(width: number, height: number, maxPixels: number): { width: number; height: number; scale: number } {
  if (width * height <= maxPixels) return { width, height, scale: 1 };
  const scale = Math.sqrt(maxPixels / (width * height));
  const w = Math.max(1, Math.floor(width * scale));
  const h = Math.max(1, Math.floor(height * scale));
  return { width: w, height: h, scale: w / width };
}

function downscaleWarning(name: string, from: { width: number; height: number }, to: { width: number; height: number }, maxPixels: number): string {
  return (
    `${name} is ${from.width} × ${from.height} pixels, more than the ${formatMp(maxPixels)} Lucid OCR works on; ` +
    `it was scaled down to ${to.width} × ${to.height}, so very small text may be missed.`
  );
}

/** Does the file visibly end early (its format's end marker is missing)? null when the format has none. */
export function looksTruncated(bytes: Uint8Array, type: ImageType): boolean | null {
  const tail = bytes.subarray(Math.max(0, bytes.length - 4096));
  switch (type) {
    case 'jpeg': {
      for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return false;
      return true;
    }
    case 'png': {
      const s = Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).lastIndexOf('IEND', undefined, 'latin1');
      return s < 0;
    }
    case 'gif':
      return tail[tail.length - 1] !== 0x3b;
    case 'webp': {
      const riffSize = bytes.length >= 8 ? (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0 : 0;
      return bytes.length < riffSize + 8;
    }
    default:
      return null;
  }
}

function isHeaderError(message: string): boolean {
  return /corrupt header|unsupported image format|invalid IHDR|not a known file format|bad seek|Input buffer/i.test(message);
}

/**
 * The file's stated resolution, when it says something: 72 and 96 are the "unknown" defaults of JFIF,
 * EXIF and screen software, and values outside 50–2400 dpi are not about paper.
 */
export function meaningfulDensity(dpi: number | undefined): number | undefined {
  if (dpi === undefined || !Number.isFinite(dpi)) return undefined;
  const rounded = Math.round(dpi);
  return rounded < 50 || rounded > 2400 || rounded === 72 || rounded === 96 ? undefined : dpi;
}

function toRgbImage(data: Buffer, width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export async function openImage(bytes: Uint8Array, name: string, type: ImageType, limits: ImageLimits = {}): Promise<OpenedImage> {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxInputPixels = limits.maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  if (type === 'bmp') return openBmp(bytes, name, maxPixels, maxInputPixels);

  let meta: sharp.Metadata;
  try {
    // Header only; the pixel limit is ours to check (with a better message) so sharp's is off here.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw headerFailure(bytes, name, type, e);
  }
  if (meta.width * meta.height > maxInputPixels) throw tooLarge(name, meta.width, meta.height, maxInputPixels, 0);
  const warnings: string[] = [];
  const frames = meta.pages ?? 1;
  let pageCount = 1;
  if (type === 'tiff') pageCount = frames;
  else if (frames > 1) {
    warnings.push(`${name} is an animated ${typeInfo(type).label} with ${frames} frames; only the first frame is read.`);
  }
  const upright = meta.autoOrient ?? { width: meta.width, height: meta.height };
  return {
    pageCount,
    width: upright.width,
    height: upright.height,
    warnings,
    readPage: (index) => readSharpPage(bytes, name, type, index, maxPixels, maxInputPixels),
  };
}

const TRUNCATION_MESSAGE = /premature end|end of (stream|file|data)|unexpected end|not enough data|truncat|short read|out of data/i;

function headerFailure(bytes: Uint8Array, name: string, type: ImageType, e: unknown): OcrError {
  const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
  const label = typeInfo(type).label;
  if (TRUNCATION_MESSAGE.test(msg) && looksTruncated(bytes, type) !== false) {
    return new OcrError('TRUNCATED_FILE', `${name} is truncated: the file ends inside its ${label} header (${bytes.length} bytes).`, { file: name, cause: e });
  }
  return new OcrError('CORRUPT_FILE', `${name} is a damaged ${label}: its header cannot be read (${msg}).`, { file: name, cause: e });
}

async function readSharpPage(bytes: Uint8Array, name: string, type: ImageType, index: number, maxPixels: number, maxInputPixels: number): Promise<PageImage> {
  const t0 = performance.now();
  const warnings: string[] = [];
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { page: index, limitInputPixels: false }).metadata();
  } catch (e) {
    throw headerFailure(bytes, name, type, e).withContext({ page: index });
  }
  if (meta.width * meta.height > maxInputPixels) throw tooLarge(name, meta.width, meta.height, maxInputPixels, index);
  const upright = meta.autoOrient ?? { width: meta.width, height: meta.height };
  const target = fitToPixels(upright.width, upright.height, maxPixels);
  if (target.scale < 1) warnings.push(downscaleWarning(name, upright, target, maxPixels));

  const decode = (failOn: 'error' | 'none') => {
    let img = sharp(bytes, { page: index, failOn, limitInputPixels: maxInputPixels })
      .autoOrient()
      // Transparent areas become paper white, not black: text on a transparent PNG must stay readable.
      .flatten({ background: WHITE })
      .toColourspace('srgb');
    if (target.scale < 1) img = img.resize(target.width, target.height, { fit: 'fill' });
    return img.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  };

  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await decode('error');
  } catch (strictError) {
    const msg = strictError instanceof Error ? strictError.message : String(strictError);
    if (/exceeds pixel limit/i.test(msg)) throw tooLarge(name, meta.width, meta.height, maxInputPixels, index);
    const truncated = looksTruncated(bytes, type);
    try {
      // libvips decodes what it can of a truncated or damaged file when told not to fail.
      out = await decode('none');
    } catch (e) {
      const detail = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
      if (truncated !== false && (TRUNCATION_MESSAGE.test(detail) || TRUNCATION_MESSAGE.test(msg)) && !isHeaderError(detail)) {
        throw new OcrError('TRUNCATED_FILE', `${name} is truncated (the file ends early) and no part of the image could be decoded (${detail}).`, { file: name, page: index, cause: e });
      }
      throw new OcrError('CORRUPT_FILE', `${name} is a damaged ${typeInfo(type).label} and could not be decoded (${detail}).`, { file: name, page: index, cause: e });
    }
    warnings.push(
      truncated === true
        ? `${name} is truncated (the file ends early); the missing part of the image is left blank.`
        : `${name} has damaged image data (${msg.replace(/\s+/g, ' ').trim()}); it was decoded as far as possible.`,
    );
  }
  if (out.info.channels !== 3) {
    throw new OcrError('INTERNAL', `${name}: decoder returned ${out.info.channels} channels instead of 3.`, { file: name, page: index });
  }
  const stated = meaningfulDensity(meta.density);
  const density = stated ? stated * target.scale : undefined;
  return {
    image: toRgbImage(out.data, out.info.width, out.info.height),
    ...(density ? { dpi: Math.round(density) } : {}),
    decodeMs: performance.now() - t0,
    warnings,
  };
}

function openBmp(bytes: Uint8Array, name: string, maxPixels: number, maxInputPixels: number): OpenedImage {
  const header = readBmpHeader(bytes, name);
  if (header.width * header.height > maxInputPixels) throw tooLarge(name, header.width, header.height, maxInputPixels, 0);
  return {
    pageCount: 1,
    width: header.width,
    height: header.height,
    warnings: [],
    readPage: async (index) => {
      const t0 = performance.now();
      try {
        const bmp = decodeBmp(bytes, name);
        const warnings: string[] = [];
        if (bmp.truncated) warnings.push(`${name} is truncated (the file ends early); the missing part of the image is left blank.`);
        let image: RgbImage = { width: bmp.width, height: bmp.height, data: bmp.data };
        const target = fitToPixels(bmp.width, bmp.height, maxPixels);
        if (target.scale < 1) {
          warnings.push(downscaleWarning(name, bmp, target, maxPixels));
          const r = await sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: 3 }, limitInputPixels: maxInputPixels })
            .resize(target.width, target.height, { fit: 'fill' })
            .raw()
            .toBuffer({ resolveWithObject: true });
          image = toRgbImage(r.data, r.info.width, r.info.height);
        }
        return {
          image,
          ...(meaningfulDensity(bmp.densityDpi) ? { dpi: Math.round(bmp.densityDpi! * target.scale) } : {}),
          decodeMs: performance.now() - t0,
          warnings,
        };
      } catch (e) {
        if (isOcrError(e)) throw e.withContext({ page: index });
        throw new OcrError('CORRUPT_FILE', `${name} is a damaged BMP image and could not be decoded.`, { file: name, page: index, cause: e });
      }
    },
  };
}
