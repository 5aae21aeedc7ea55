// BMP decoder after Microsoft's BITMAPINFOHEADER / BITMAPV5HEADER documentation (wingdi.h).
/**
 * sharp's prebuilt libvips has no BMP loader (sharp.format.magick is absent), so BMP is decoded here:
 * 1/4/8-bit palette (uncompressed, RLE4, RLE8), 16/24/32-bit (BI_RGB and BI_BITFIELDS masks, alpha
 * flattened on white), top-down and bottom-up. JPEG/PNG-in-BMP (compression 4/5) is refused.
 */
import { OcrError } from '../errors.js';

export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  compression: number;
  topDown: boolean;
  /** Pixels per inch from biXPelsPerMeter, when stated. */
  densityDpi?: number;
}

export interface DecodedBmp extends BmpHeader {
  /** RGB, 3 bytes per pixel, top row first; alpha already flattened on white. */
  data: Uint8Array;
  /** Set when the pixel data ends early; the missing rows are white. */
  truncated: boolean;
}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

const FILE_HEADER_BYTES = 14;

interface ParsedHeader extends BmpHeader {
  dibSize: number;
  pixelOffset: number;
  /** [r, g, b, a] masks for 16/32-bit images. */
  masks: [number, number, number, number];
  palette: Uint8Array | null; // RGB triplets
}

function corrupt(name: string, why: string): OcrError {
  return new OcrError('CORRUPT_FILE', `${name} is not a valid BMP image: ${why}.`, { file: name });
}

function parseHeader(bytes: Uint8Array, name: string): ParsedHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < FILE_HEADER_BYTES + 12) {
    throw new OcrError('TRUNCATED_FILE', `${name} is truncated: the BMP header is incomplete.`, { file: name });
  }
  const pixelOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  if (bytes.length < FILE_HEADER_BYTES + Math.min(dibSize, 40)) {
    throw new OcrError('TRUNCATED_FILE', `${name} is truncated: the BMP header is incomplete.`, { file: name });
  }
  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compression = BI_RGB;
  let colorsUsed = 0;
  let densityDpi: number | undefined;
  if (dibSize === 12) {
    // BITMAPCOREHEADER (OS/2 1.x): 16-bit sizes, 3-byte palette entries.
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bitsPerPixel = view.getUint16(24, true);
  } else {
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bitsPerPixel = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    const pelsPerMeter = view.getInt32(38, true);
    if (pelsPerMeter > 0) densityDpi = Math.round(pelsPerMeter * 0.0254);
    colorsUsed = view.getUint32(46, true);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw corrupt(name, `its size is ${width} × ${rawHeight}`);
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) throw corrupt(name, `${bitsPerPixel} bits per pixel is not a BMP depth`);
  if (compression === 4 || compression === 5) {
    throw new OcrError('UNSUPPORTED_TYPE', `${name} is a BMP that wraps a ${compression === 4 ? 'JPEG' : 'PNG'} image, which is not supported; save it as ${compression === 4 ? 'JPEG' : 'PNG'} instead.`, { file: name });
  }
  if (![BI_RGB, BI_RLE8, BI_RLE4, BI_BITFIELDS, BI_ALPHABITFIELDS].includes(compression)) {
    throw corrupt(name, `compression method ${compression} is unknown`);
  }
  if ((compression === BI_RLE8 && bitsPerPixel !== 8) || (compression === BI_RLE4 && bitsPerPixel !== 4)) {
    throw corrupt(name, `RLE compression does not match ${bitsPerPixel} bits per pixel`);
  }
  if (topDown && (compression === BI_RLE8 || compression === BI_RLE4)) throw corrupt(name, 'RLE images cannot be top-down');

  // Channel masks: defaults, then from the header (V2+) or the 12/16 bytes after a 40-byte header.
  let masks: [number, number, number, number] =
    bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0];
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS || dibSize >= 56) {
    const at = FILE_HEADER_BYTES + 40;
    const hasAlphaMask = compression === BI_ALPHABITFIELDS || dibSize >= 56;
    if (bytes.length < at + (hasAlphaMask ? 16 : 12)) throw new OcrError('TRUNCATED_FILE', `${name} is truncated: the BMP header is incomplete.`, { file: name });
    if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
      masks = [view.getUint32(at, true), view.getUint32(at + 4, true), view.getUint32(at + 8, true), hasAlphaMask ? view.getUint32(at + 12, true) : 0];
    } else if (hasAlphaMask && bitsPerPixel === 32) {
      // V3+ header with BI_RGB: the alpha mask is still meaningful (GIMP, ImageMagick write it).
      masks = [masks[0], masks[1], masks[2], view.getUint32(at + 12, true)];
    }
  }

  let palette: Uint8Array | null = null;
  if (bitsPerPixel <= 8) {
    const entryBytes = dibSize === 12 ? 3 : 4;
    const maxEntries = 1 << bitsPerPixel;
    const count = colorsUsed > 0 && colorsUsed <= maxEntries ? colorsUsed : maxEntries;
    const start = FILE_HEADER_BYTES + dibSize + (compression === BI_BITFIELDS ? 12 : compression === BI_ALPHABITFIELDS ? 16 : 0);
    palette = new Uint8Array(maxEntries * 3); // unlisted indices read as black, as Windows does
    for (let i = 0; i < count; i++) {
      const p = start + i * entryBytes;
      if (p + 3 > bytes.length) break;
      palette[i * 3] = bytes[p + 2]!;
      palette[i * 3 + 1] = bytes[p + 1]!;
      palette[i * 3 + 2] = bytes[p]!;
    }
  }
  return { width, height, bitsPerPixel, compression, topDown, densityDpi, dibSize, pixelOffset, masks, palette };
}

/** Size and depth from the header alone, so limits can be enforced before any pixel is allocated. */
export function readBmpHeader(bytes: Uint8Array, name: string): BmpHeader {
  const { width, height, bitsPerPixel, compression, topDown, densityDpi } = parseHeader(bytes, name);
  return { width, height, bitsPerPixel, compression, topDown, ...(densityDpi ? { densityDpi } : {}) };
}

/** Shift and scale that turn a masked channel into 0..255. */
function maskInfo(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

export function decodeBmp(bytes: Uint8Array, name: string): DecodedBmp {
  const h = parseHeader(bytes, name);
  const { width, height, bitsPerPixel, palette } = h;
  if (h.pixelOffset >= bytes.length) {
    throw new OcrError('TRUNCATED_FILE', `${name} is truncated: the file ends before its pixel data.`, { file: name });
  }
  const out = new Uint8Array(width * height * 3).fill(255);
  let truncated = false;
  const rowOf = (fileRow: number): number => (h.topDown ? fileRow : height - 1 - fileRow);

  if (h.compression === BI_RLE8 || h.compression === BI_RLE4) {
    truncated = decodeRle(bytes, h, out);
  } else {
    const stride = Math.floor((width * bitsPerPixel + 31) / 32) * 4;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const [rm, gm, bm, am] = h.masks.map(maskInfo) as [ReturnType<typeof maskInfo>, ReturnType<typeof maskInfo>, ReturnType<typeof maskInfo>, ReturnType<typeof maskInfo>];
    const useAlpha = bitsPerPixel === 32 && am.max > 0 && hasAnyAlpha(bytes, h, stride, h.masks[3]);
    for (let fileRow = 0; fileRow < height; fileRow++) {
      const src = h.pixelOffset + fileRow * stride;
      if (src + Math.ceil((width * bitsPerPixel) / 8) > bytes.length) {
        truncated = true;
        break;
      }
      let dst = rowOf(fileRow) * width * 3;
      if (bitsPerPixel === 24) {
        for (let x = 0, s = src; x < width; x++, s += 3, dst += 3) {
          out[dst] = bytes[s + 2]!;
          out[dst + 1] = bytes[s + 1]!;
          out[dst + 2] = bytes[s]!;
        }
      } else if (bitsPerPixel === 32 || bitsPerPixel === 16) {
        for (let x = 0; x < width; x++, dst += 3) {
          const v = bitsPerPixel === 32 ? view.getUint32(src + x * 4, true) : view.getUint16(src + x * 2, true);
          let r = rm.max ? Math.round((((v & h.masks[0]) >>> rm.shift) * 255) / rm.max) : 0;
          let g = gm.max ? Math.round((((v & h.masks[1]) >>> gm.shift) * 255) / gm.max) : 0;
          let b = bm.max ? Math.round((((v & h.masks[2]) >>> bm.shift) * 255) / bm.max) : 0;
          if (useAlpha) {
            const a = (((v & h.masks[3]) >>> am.shift) * 255) / am.max;
            // Flatten on white: c·α + 255·(1−α).
            r = Math.round((r * a + 255 * (255 - a)) / 255);
            g = Math.round((g * a + 255 * (255 - a)) / 255);
            b = Math.round((b * a + 255 * (255 - a)) / 255);
          }
          out[dst] = r;
          out[dst + 1] = g;
          out[dst + 2] = b;
        }
      } else {
        const pal = palette!;
        const perByte = 8 / bitsPerPixel;
        const indexMask = (1 << bitsPerPixel) - 1;
        for (let x = 0; x < width; x++, dst += 3) {
          const byte = bytes[src + Math.floor(x / perByte)]!;
          const shift = 8 - bitsPerPixel * ((x % perByte) + 1);
          const p = ((byte >> shift) & indexMask) * 3;
          out[dst] = pal[p]!;
          out[dst + 1] = pal[p + 1]!;
          out[dst + 2] = pal[p + 2]!;
        }
      }
    }
  }
  return {
    width,
    height,
    bitsPerPixel,
    compression: h.compression,
    topDown: h.topDown,
    ...(h.densityDpi ? { densityDpi: h.densityDpi } : {}),
    data: out,
    truncated,
  };
}

/** Many 32-bit BMPs carry an alpha mask but all-zero alpha; those are opaque (browsers agree). */
function hasAnyAlpha(bytes: Uint8Array, h: ParsedHeader, stride: number, alphaMask: number): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let row = 0; row < h.height; row++) {
    const src = h.pixelOffset + row * stride;
    if (src + h.width * 4 > bytes.length) break;
    for (let x = 0; x < h.width; x++) if ((view.getUint32(src + x * 4, true) & alphaMask) !== 0) return true;
  }
  return false;
}

/** RLE8/RLE4 (bottom-up only). Returns true when the data ended before the end-of-bitmap marker. */
function decodeRle(bytes: Uint8Array, h: ParsedHeader, out: Uint8Array): boolean {
  const pal = h.palette!;
  const { width, height } = h;
  const four = h.compression === BI_RLE4;
  let x = 0;
  let y = 0; // file row, 0 = bottom
  let p = h.pixelOffset;
  const put = (index: number): void => {
    if (x < width && y < height) {
      const dst = ((height - 1 - y) * width + x) * 3;
      const q = index * 3;
      out[dst] = pal[q]!;
      out[dst + 1] = pal[q + 1]!;
      out[dst + 2] = pal[q + 2]!;
    }
    x++;
  };
  while (p + 1 < bytes.length) {
    const count = bytes[p]!;
    const value = bytes[p + 1]!;
    p += 2;
    if (count > 0) {
      for (let i = 0; i < count; i++) put(four ? (i % 2 === 0 ? value >> 4 : value & 0x0f) : value);
    } else if (value === 0) {
      x = 0;
      y++;
    } else if (value === 1) {
      return false;
    } else if (value === 2) {
      if (p + 1 >= bytes.length) return true;
      x += bytes[p]!;
      y += bytes[p + 1]!;
      p += 2;
    } else {
      // Absolute run of `value` pixels, padded to a 16-bit boundary.
      const runBytes = four ? Math.ceil(value / 2) : value;
      if (p + runBytes > bytes.length) return true;
      for (let i = 0; i < value; i++) put(four ? (i % 2 === 0 ? bytes[p + (i >> 1)]! >> 4 : bytes[p + (i >> 1)]! & 0x0f) : bytes[p + i]!);
      p += runBytes + (runBytes % 2);
    }
    if (y >= height) return false;
  }
  return true;
}
