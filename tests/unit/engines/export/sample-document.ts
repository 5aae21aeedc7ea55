// A real-shaped OcrDocument for the exporter tests, built the way the pipeline builds one: recognised pieces with
// CTC character extents → orderLines (words from buildWords) → pageText.
import { orderLines, type LineCandidate } from '../../../../engines/layout/reading-order.js';
import { pageText } from '../../../../engines/layout/page-text.js';
import { fromUpright, toUpright } from '../../../../engines/layout/orientation.js';
import type { RecChar } from '../../../../engines/stages.js';
import { RESULT_SCHEMA_ID, RESULT_SCHEMA_VERSION, type OcrDocument, type Page, type Quad, type StageProvider } from '../../../../engines/types.js';

/** Characters on an even pitch filling the crop, confidences varying a little. */
export function recChars(text: string): RecChar[] {
  const chars = Array.from(text);
  return chars.map((t, i) => ({ text: t, startFrac: i / chars.length, endFrac: (i + 1) / chars.length, confidence: 0.9 + ((i * 7) % 10) / 100 }));
}

function candidate(x0: number, y0: number, x1: number, y1: number, text: string, extra: Partial<LineCandidate> = {}): LineCandidate {
  const quad: Quad = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
  return { quad, text, confidence: 0.93, chars: recChars(text), detScore: 0.81, flipped: false, ...extra };
}

const providers: StageProvider[] = [
  { stage: 'det', provider: 'cuda', precision: 'fp32', fallbacks: [{ provider: 'tensorrt', reason: 'TensorRT libraries not found' }] },
  { stage: 'cls', provider: 'cpu', precision: 'fp32', fallbacks: [] },
  { stage: 'rec', provider: 'cuda', precision: 'fp32', fallbacks: [] },
];

function makePage(index: number, width: number, height: number, candidates: LineCandidate[], extra: Partial<Page> = {}): Page {
  const rotation = extra.rotation ?? 0;
  const blocks = fromUpright(orderLines(toUpright(candidates, rotation, width, height), index), rotation, width, height);
  return {
    index,
    width,
    height,
    rotation,
    rotationConfidence: 0.97,
    source: 'image',
    blocks,
    text: pageText(blocks),
    timings: { decodeMs: 12.5, detPreMs: 3.1, detRunMs: 40.2, detPostMs: 5.5, cropMs: 0, clsMs: 4, recPreMs: 2, recRunMs: 55.25, recPostMs: 1.5, layoutMs: 0.8, totalMs: 124.85 },
    providers,
    warnings: [],
    ...extra,
  };
}

/**
 * Three pages: a two-column Latin page with a heading (and characters that need escaping), a Chinese page from a
 * PDF (dpi and sizePt), and a page whose content is upside down; plus one failed page.
 */
export function sampleDocument(): OcrDocument {
  const p0 = makePage(0, 1000, 700, [
    candidate(200, 40, 800, 80, 'Results & <Discussion> "2024"'),
    candidate(60, 120, 470, 140, 'Left column line one'),
    candidate(60, 150, 470, 170, 'left column line two'),
    candidate(530, 120, 940, 140, 'Right column line one'),
    candidate(530, 150, 940, 170, "right column 'quoted' two"),
  ], { dpi: 300 });
  const p1 = makePage(1, 1240, 1754, [
    candidate(100, 100, 600, 150, '你好世界 OCR 测试'),
    candidate(100, 170, 480, 220, '中文文本识别'),
    // A small grid: read row by row, each row a 'table-row' block.
    candidate(100, 400, 200, 440, '项目'),
    candidate(400, 400, 500, 440, '数量'),
    candidate(100, 460, 200, 500, '苹果'),
    candidate(400, 460, 450, 500, '3'),
  ], { source: 'pdf-render', dpi: 150, sizePt: { width: 595.28, height: 841.89 } });
  // Upside-down content: quads in reading order start at the bottom-right of their page rectangle.
  const p3 = makePage(3, 800, 600, [
    candidate(700, 100, 300, 70, 'upside down line', { quad: [[700, 100], [300, 100], [300, 70], [700, 70]], flipped: true }),
    candidate(700, 60, 400, 30, 'second line', { quad: [[700, 60], [400, 60], [400, 30], [700, 30]], flipped: true }),
  ], { rotation: 180 });
  return {
    $schema: RESULT_SCHEMA_ID,
    schemaVersion: RESULT_SCHEMA_VERSION,
    source: { path: '/tmp/scan.pdf', name: 'scan & notes.pdf', sha256: 'ab'.repeat(32), mimeType: 'application/pdf', byteLength: 123456, pageCount: 4 },
    pages: [p0, p1, p3],
    failures: [{ index: 2, error: { name: 'OcrError', code: 'CORRUPT_FILE', message: 'Page 3 could not be rendered.', isInputError: true, file: '/tmp/scan.pdf', page: 2, cause: 'bad xref' } }],
    engine: {
      name: 'lucid-ocr',
      version: '0.1.0',
      onnxruntimeVersion: '1.29.0',
      models: { det: 'ch_PP-OCRv4_det_infer.onnx', cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', rec: 'ch_PP-OCRv4_rec_infer.onnx', dict: 'ppocr_keys_v1.txt' },
      precision: 'fp32',
      providers,
    },
    createdAt: '2025-06-01T10:20:30.456Z',
  };
}
