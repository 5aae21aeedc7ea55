/**
 * A built-in page for warming a page thread's JavaScript before its first real page. A fresh thread runs every
 * stage in V8's interpreter and baseline tiers until the hot loops are optimised: on an H100 host (14:48 UTC,
 * 12 threads) a thread's first page cost 1801 ms of stage time against 860 ms steady (det pre 196 against 58,
 * det post 93 against 18, layout 138 against 63). Sessions are already warm by then (one run per input shape
 * at load); this warms the code around them.
 *
 * The page is made from the validation line images (engines/assets/validation, no fonts needed): a 300-dpi A4
 * page of ~50 lines, half of them two images joined by a word gap, ~1800 px wide, so the warm page takes the
 * paths a scanned page does (portrait det shape, chunked long lines, packed rows, layout).
 */
import sharp from 'sharp';
import type { RgbImage } from '../types.js';
import { loadValidationImages } from '../runtime/validation-inputs.js';

export const WARM_PAGE_WIDTH_PX = 2480;
export const WARM_PAGE_HEIGHT_PX = 3508;
/** The line images are ~34 px tall; a 10-pt line scanned at 300 dpi is ~45–50 px. */
const LINE_SCALE = 1.4;
const MARGIN_LEFT_PX = 190;
const MARGIN_TOP_PX = 220;
const LINE_PITCH_PX = 62;
/** Between two joined line images: a word space at this size, so the detector reads one line. */
const WORD_GAP_PX = 26;

/** White A4 page at 300 dpi with the validation lines on it, packed RGB. */
export async function buildWarmPage(): Promise<RgbImage> {
  const { lineImages } = await loadValidationImages();
  const scaled = await Promise.all(
    lineImages.map(async (l) => {
      const width = Math.round(l.width * LINE_SCALE);
      const height = Math.round(l.height * LINE_SCALE);
      const data = await sharp(l.data, { raw: { width: l.width, height: l.height, channels: 3 } }).resize(width, height, { kernel: 'cubic' }).raw().toBuffer();
      return { data, width, height };
    }),
  );
  const page = new Uint8Array(WARM_PAGE_WIDTH_PX * WARM_PAGE_HEIGHT_PX * 3).fill(255);
  const blit = (img: (typeof scaled)[number], x0: number, y0: number) => {
    const w = Math.min(img.width, WARM_PAGE_WIDTH_PX - x0);
    for (let y = 0; y < img.height && y0 + y < WARM_PAGE_HEIGHT_PX; y++) {
      page.set(img.data.subarray(y * img.width * 3, (y * img.width + w) * 3), ((y0 + y) * WARM_PAGE_WIDTH_PX + x0) * 3);
    }
  };
  const n = scaled.length;
  for (let row = 0, y = MARGIN_TOP_PX; y + LINE_PITCH_PX < WARM_PAGE_HEIGHT_PX - MARGIN_TOP_PX; row++, y += LINE_PITCH_PX) {
    const first = scaled[row % n]!;
    blit(first, MARGIN_LEFT_PX, y);
    if (row % 2 === 1) blit(scaled[(row + 3) % n]!, MARGIN_LEFT_PX + first.width + WORD_GAP_PX, y);
  }
  return { width: WARM_PAGE_WIDTH_PX, height: WARM_PAGE_HEIGHT_PX, data: page };
}
