import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_GPU_REC_BATCH_ROWS, DEFAULT_GPU_REC_CHUNK_WIDTH_PX, GPU_REC_WIDTH_BUCKETS_PX } from '../../../../engines/rec/rec-preprocess.js';
import { TextRecognizer } from '../../../../engines/rec/text-recognizer.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { createCpuSession } from '../../../../engines/runtime/session.js';
import type { OcrSession, RecResult } from '../../../../engines/stages.js';
import type { RgbImage } from '../../../../engines/types.js';
import { renderLine } from './render-line.js';

const ENGLISH =
  'The committee approved the proposal on Tuesday after a long debate about the budget, and the chair ' +
  'thanked 17 members for their work in 2024. Minutes of the meeting follow below; questions to the secretary.';
// No spaces: every cut falls between two glyphs.
const CHINESE = '光学字符识别技术正在改变我们的生活方式北京市海淀区中关村大街1号请于2024年12月31日前付款本产品仅供研究使用不得用于商业用途';

let session: OcrSession;
let plain: TextRecognizer;
let chunked: TextRecognizer;
let english: RgbImage;
let chinese: RgbImage;
let plainResults: RecResult[];

before(async () => {
  const paths = resolveModelPaths();
  session = await createCpuSession(paths.rec, { stage: 'rec' });
  plain = await TextRecognizer.create(session, paths.dict);
  chunked = await TextRecognizer.create(session, paths.dict, { chunkWidthPx: 960 });
  english = await renderLine(ENGLISH, { font: 'DejaVu Serif', sizePx: 28 });
  chinese = await renderLine(CHINESE, { font: 'Noto Sans CJK SC', sizePx: 28 });
  plainResults = (await plain.run([english, chinese])).results;
});
after(() => session.dispose());

describe('TextRecognizer with chunking (real PP-OCRv4 rec, ORT CPU)', () => {
  test('the CPU EP does not chunk by default', () => {
    assert.equal(plain.chunkWidthPx, null);
    assert.equal(chunked.chunkWidthPx, 960);
  });

  test('long lines read in 960 px pieces give the same text as read whole; only each line\'s last piece runs narrower', async () => {
    assert.ok(english.width / english.height > 70 && chinese.width / chinese.height > 40);
    // The unchunked reading is right (so "the same" means right).
    assert.equal(plainResults[0]!.text, ENGLISH);
    assert.equal(plainResults[1]!.text, CHINESE);
    const out = await chunked.run([english, chinese]);
    assert.deepEqual(out.results.map((r) => r.text), [ENGLISH, CHINESE]);
    // Both lines are past 960 px at 48 px height: pieces only. On the CPU each piece runs alone (batch 1): all but
    // each line's last at exactly the chunk width, the last at the narrowest bucket that holds the rest of its line.
    assert.ok(out.batchShapes.length >= 6, `${out.batchShapes.length} runs`);
    const widths = out.batchShapes.map((d) => d[3]!);
    assert.equal(widths.filter((w) => w === 960).length, widths.length - 2, `run widths ${widths.join(',')}`);
    assert.equal(widths.filter((w) => w < 960).length, 2, `run widths ${widths.join(',')}`);
    for (const w of widths) assert.ok(w <= 960);
  });

  test('merged chars look like one decode\'s: monotone fractions of the whole crop, near the unchunked ones', async () => {
    const out = await chunked.run([english, chinese]);
    for (const [k, img] of [english, chinese].entries()) {
      const merged = out.results[k]!.chars;
      const whole = plainResults[k]!.chars;
      assert.equal(merged.map((c) => c.text).join(''), out.results[k]!.text);
      assert.equal(merged.length, whole.length);
      let last = 0;
      merged.forEach((c, i) => {
        assert.ok(c.startFrac >= last && c.endFrac >= c.startFrac && c.endFrac <= 1, `char ${i} monotone`);
        last = c.endFrac;
        // Within half a crop height of where the whole-line decode put it.
        const centre = ((c.startFrac + c.endFrac) / 2) * img.width;
        const wholeCentre = ((whole[i]!.startFrac + whole[i]!.endFrac) / 2) * img.width;
        assert.ok(Math.abs(centre - wholeCentre) < 0.5 * img.height, `char ${i} '${c.text}' at ${centre} vs ${wholeCentre}`);
      });
      const mean = merged.reduce((s, c) => s + c.confidence, 0) / merged.length;
      assert.ok(Math.abs(out.results[k]!.confidence - mean) < 1e-9);
      assert.ok(out.results[k]!.confidence > 0.9);
    }
  });

  test('on a GPU provider, one line per row: chunked by default, only the buckets up to the chunk width planned and run', async () => {
    // The real CPU session, reporting a GPU provider: TextRecognizer picks its defaults from the provider.
    const asGpu: OcrSession = { stage: 'rec', provider: { ...session.provider, provider: 'cuda' }, run: (x) => session.run(x), dispose: async () => {} };
    const gpu = await TextRecognizer.create(asGpu, resolveModelPaths().dict, { pack: false });
    assert.equal(gpu.chunkWidthPx, DEFAULT_GPU_REC_CHUNK_WIDTH_PX);
    assert.ok(GPU_REC_WIDTH_BUCKETS_PX.every((w) => w <= DEFAULT_GPU_REC_CHUNK_WIDTH_PX));
    assert.equal(GPU_REC_WIDTH_BUCKETS_PX.at(-1), DEFAULT_GPU_REC_CHUNK_WIDTH_PX);
    const planned = gpu.planShapes();
    assert.deepEqual(planned, GPU_REC_WIDTH_BUCKETS_PX.map((w) => [DEFAULT_GPU_REC_BATCH_ROWS, 3, 48, w]));
    // A short line, and a line past the old widest GPU bucket (4096 px at 48 px height: w/h > 85).
    const short = await renderLine('Hello, world! 123', { sizePx: 28 });
    const veryLong = await renderLine(`${ENGLISH} ${ENGLISH}`, { font: 'DejaVu Sans', sizePx: 20 });
    assert.ok((veryLong.width / veryLong.height) * 48 > 4096 * 1.2);
    const out = await gpu.run([short, english, veryLong]);
    const allowed = new Set(planned.map((d) => d.join('x')));
    for (const d of out.batchShapes) assert.ok(allowed.has(d.join('x')), `${d.join('x')} is planned`);
    assert.deepEqual(out.results.map((r) => r.text), ['Hello, world! 123', ENGLISH, `${ENGLISH} ${ENGLISH}`]);
  });
});
