import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OcrError } from '../../../../engines/errors.js';
import { DEFAULT_GPU_REC_BATCH_ROWS, DEFAULT_REC_WIDTH_BUCKETS_PX, GPU_REC_WIDTH_BUCKETS_PX } from '../../../../engines/rec/rec-preprocess.js';
import { TextRecognizer } from '../../../../engines/rec/text-recognizer.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { createCpuSession } from '../../../../engines/runtime/session.js';
import type { OcrSession, RecResult } from '../../../../engines/stages.js';
import type { RgbImage } from '../../../../engines/types.js';
import { addNoise, cer, editDistance, renderLine, rescale } from './render-line.js';

// Lines PP-OCRv4 rec must read exactly when rendered cleanly at 28 px.
const CLEAN: [text: string, font: string][] = [
  ['Hello, world! 123', 'DejaVu Sans'],
  ['The quick brown fox jumps over the lazy dog.', 'DejaVu Serif'],
  ['Invoice #2024-0117 due 31/12/2024', 'Liberation Sans'],
  ['Total: $1,234.56 (incl. VAT 20%)', 'Liberation Serif'],
  ['0123456789', 'Liberation Mono'],
  ['user@example.com', 'DejaVu Sans'],
  ['Sphinx of black quartz, judge my vow.', 'Liberation Sans'],
  ['光学字符识别技术', 'Noto Sans CJK SC'],
  ['北京市海淀区中关村大街1号', 'Noto Serif CJK SC'],
  ['人工智能正在改变我们的生活方式', 'Noto Sans CJK SC'],
];

let session: OcrSession;
let rec: TextRecognizer;
let clean: RgbImage[];
let cleanTexts: string[];
let cleanResults: RecResult[];

before(async () => {
  const paths = resolveModelPaths();
  session = await createCpuSession(paths.rec, { stage: 'rec' });
  rec = await TextRecognizer.create(session, paths.dict);
  clean = await Promise.all(CLEAN.map(([text, font]) => renderLine(text, { font, sizePx: 28 })));
  cleanResults = (await rec.run(clean)).results;
  cleanTexts = cleanResults.map((r) => r.text);
});
after(() => session.dispose());

function totalCer(refs: string[], hyps: string[]): number {
  const errors = refs.reduce((sum, ref, i) => sum + editDistance(ref, hyps[i]!), 0);
  return errors / refs.reduce((sum, ref) => sum + [...ref].length, 0);
}

describe('TextRecognizer on the real PP-OCRv4 model (ORT CPU)', () => {
  test('the dictionary is checked against the model: 6625 classes, space last', () => {
    assert.equal(rec.character.length, 6625);
    assert.equal(rec.character[6624], ' ');
  });

  test('clean English, digits and Chinese lines come back exactly, in input order', () => {
    assert.deepEqual(cleanTexts, CLEAN.map(([text]) => text));
  });

  test('results keep the input order whatever the batching (shuffled input, batch size 3)', async () => {
    const rec3 = await TextRecognizer.create(session, resolveModelPaths().dict, { batchSize: 3 });
    const order = [7, 2, 9, 0, 5, 1, 8, 3, 6, 4];
    const out = await rec3.run(order.map((i) => clean[i]!));
    assert.deepEqual(out.results.map((r) => r.text), order.map((i) => cleanTexts[i]));
    assert.ok(out.batchShapes.length >= 4);
    for (const [n, c, h, w] of out.batchShapes) {
      assert.ok(n! <= 3 && c === 3 && h === 48);
      assert.ok(DEFAULT_REC_WIDTH_BUCKETS_PX.includes(w!), `width ${w} is a bucket`);
    }
  });

  test('bucketed widths (crops squeezed ≤ 1/1.2) read the same text as PaddleOCR\'s exact widths', async () => {
    const paddle = await TextRecognizer.create(session, resolveModelPaths().dict, { widthBucketsPx: null, batchSize: 1 });
    const out = await paddle.run(clean);
    assert.deepEqual(out.results.map((r) => r.text), cleanTexts);
    // And Paddle's widths really differ from the buckets for most of these lines.
    assert.ok(out.batchShapes.filter(([, , , w]) => !DEFAULT_REC_WIDTH_BUCKETS_PX.includes(w!)).length >= 5);
  });

  test('GPU-style batching: warmUp() runs exactly the shapes later runs use, one per width', async () => {
    const gpuStyle = await TextRecognizer.create(session, resolveModelPaths().dict, { batchSize: 4, batchSizeBuckets: [4] });
    const warmed = new Set((await gpuStyle.warmUp(gpuStyle.planShapes().filter(([, , , w]) => w! <= 1152))).map((d) => d.join('x')));
    const out = await gpuStyle.run(clean);
    assert.deepEqual(out.results.map((r) => r.text), cleanTexts);
    for (const d of out.batchShapes) assert.ok(warmed.has(d.join('x')), `${d.join('x')} was warmed`);
    assert.ok(out.batchShapes.every(([n]) => n === 4));
  });

  test('on a GPU provider, one line per row: GPU width buckets, fixed batch rows, every run one of planShapes()', async () => {
    // The real CPU session, reporting a GPU provider: TextRecognizer picks its defaults from the provider.
    // (Packed rows, the GPU default, are tested in rec-packing.test.ts.)
    const asGpu: OcrSession = { stage: 'rec', provider: { ...session.provider, provider: 'cuda' }, run: (x) => session.run(x), dispose: async () => {} };
    const gpu = await TextRecognizer.create(asGpu, resolveModelPaths().dict, { pack: false });
    assert.deepEqual(gpu.batching.widthBucketsPx, GPU_REC_WIDTH_BUCKETS_PX);
    assert.equal(gpu.batching.batchSize, DEFAULT_GPU_REC_BATCH_ROWS);
    const planned = gpu.planShapes();
    assert.deepEqual(planned, GPU_REC_WIDTH_BUCKETS_PX.map((w) => [DEFAULT_GPU_REC_BATCH_ROWS, 3, 48, w]));
    const out = await gpu.run([clean[0]!, clean[4]!, clean[7]!]);
    const allowed = new Set(planned.map((d) => d.join('x')));
    for (const d of out.batchShapes) assert.ok(allowed.has(d.join('x')), `${d.join('x')} is planned`);
    assert.deepEqual(out.results.map((r) => r.text), [cleanTexts[0], cleanTexts[4], cleanTexts[7]]);
  });

  test('confidence is PaddleOCR\'s mean max-probability and high on clean text', async () => {
    for (const r of cleanResults) {
      assert.ok(r.confidence > 0.9 && r.confidence <= 1, String(r.confidence));
      const mean = r.chars.reduce((s, c) => s + c.confidence, 0) / r.chars.length;
      // Equal unless the model emitted (trimmed) edge spaces.
      assert.ok(Math.abs(mean - r.confidence) < 0.05);
    }
  });

  test('low-resolution lines: 10 px tall exact, 8 px tall under 12 % CER', async () => {
    const h10 = await Promise.all(clean.map((im) => rescale(im, 0.25)));
    const h8 = await Promise.all(clean.map((im) => rescale(im, 0.2)));
    const refs = CLEAN.map(([t]) => t);
    const c10 = totalCer(refs, (await rec.run(h10)).results.map((r) => r.text));
    const c8 = totalCer(refs, (await rec.run(h8)).results.map((r) => r.text));
    // Measured on this machine: 0 % and 6.2 %.
    assert.ok(c10 <= 0.02, `CER at 10 px ${c10}`);
    assert.ok(c8 <= 0.12, `CER at 8 px ${c8}`);
  });

  test('heavy noise (σ = 100 of 255) stays under 6 % CER', async () => {
    const noisy = clean.map((im, i) => addNoise(im, 100, i + 7));
    const c = totalCer(CLEAN.map(([t]) => t), (await rec.run(noisy)).results.map((r) => r.text));
    assert.ok(c <= 0.06, `CER ${c}`); // measured 2.7 %
  });

  test('a long line (w/h ≈ 100, past 2560 px) is read at its own scale', async () => {
    const text =
      'The committee approved the proposal on Tuesday after a long debate about the budget, and the chair ' +
      'thanked 17 members for their work in 2024. Minutes of the meeting follow below; questions to the secretary.';
    const img = await renderLine(text, { font: 'DejaVu Sans', sizePx: 28 });
    assert.ok(img.width / img.height > 70);
    const out = await rec.run([img]);
    const c = cer(text, out.results[0]!.text);
    assert.ok(c <= 0.02, `CER ${c}: ${out.results[0]!.text}`); // measured 0
    assert.ok(out.batchShapes[0]![3]! > 2560, `width ${out.batchShapes[0]![3]}`);
  });

  // CTC peaks sit near, not on, glyph centres: over 318 words of 62 rendered lines the word edges from
  // the extents landed within ±0.13 line heights of the ink (10th–90th percentile), 0.3 at worst.
  test('character extents put the line ends and the word gap where the ink is', async () => {
    const img = await renderLine('Lorem ipsum', { font: 'DejaVu Sans', sizePx: 40 });
    const r = (await rec.run([img])).results[0]!;
    assert.equal(r.text, 'Lorem ipsum');
    // Ink columns from the image: dark pixels per column.
    const ink: boolean[] = [];
    for (let x = 0; x < img.width; x++) {
      let dark = false;
      for (let y = 0; y < img.height && !dark; y++) dark = img.data[(y * img.width + x) * 3]! < 128;
      ink.push(dark);
    }
    const first = ink.indexOf(true) / img.width;
    const last = (ink.lastIndexOf(true) + 1) / img.width;
    // The widest run of blank columns between the ink is the word gap.
    let gapStart = 0, gapEnd = 0;
    for (let x = ink.indexOf(true); x < ink.lastIndexOf(true); ) {
      if (ink[x]) { x++; continue; }
      let e = x;
      while (!ink[e]) e++;
      if (e - x > gapEnd - gapStart) [gapStart, gapEnd] = [x, e];
      x = e;
    }
    const space = r.chars[5]!;
    assert.equal(space.text, ' ');
    const tol = (0.35 * img.height) / img.width;
    assert.ok(Math.abs(r.chars[0]!.startFrac - first) < tol, `line start ${r.chars[0]!.startFrac} vs ink ${first}`);
    assert.ok(Math.abs(r.chars[10]!.endFrac - last) < tol, `line end ${r.chars[10]!.endFrac} vs ink ${last}`);
    assert.ok(Math.abs(space.startFrac - gapStart / img.width) < tol, `word 1 end ${space.startFrac} vs ${gapStart / img.width}`);
    assert.ok(Math.abs(space.endFrac - gapEnd / img.width) < tol, `word 2 start ${space.endFrac} vs ${gapEnd / img.width}`);
  });

  test('empty input, and zero-size crops, give empty results without a model run', async () => {
    const none = await rec.run([]);
    assert.deepEqual(none.results, []);
    assert.deepEqual(none.batchShapes, []);
    const out = await rec.run([{ width: 0, height: 0, data: new Uint8Array(0) }, clean[0]!]);
    assert.equal(out.results[0]!.text, '');
    assert.equal(out.results[0]!.confidence, 0);
    assert.equal(out.results[1]!.text, cleanTexts[0]);
  });

  test('cancellation: an aborted signal stops before the next batch with CANCELLED', async () => {
    const ac = new AbortController();
    let runs = 0;
    // The real session, counting its runs and aborting after the first one.
    const counting: OcrSession = {
      stage: session.stage,
      provider: session.provider,
      run: async (input) => {
        const out = await session.run(input);
        if (++runs === 2) ac.abort(); // run 1 is create()'s probe
        return out;
      },
      dispose: async () => {},
    };
    const rec1 = await TextRecognizer.create(counting, resolveModelPaths().dict, { batchSize: 1 });
    await assert.rejects(rec1.run(clean.slice(0, 4), { signal: ac.signal }), (e: unknown) => e instanceof OcrError && e.code === 'CANCELLED');
    assert.equal(runs, 2);
  });

  test('a model whose classes do not match the dictionary is refused at create', async () => {
    const cls = await createCpuSession(resolveModelPaths().cls, { stage: 'cls' });
    try {
      await assert.rejects(TextRecognizer.create(cls, resolveModelPaths().dict), (e: unknown) => e instanceof OcrError && e.code === 'MODEL_LOAD_FAILED');
    } finally {
      await cls.dispose();
    }
  });
});
