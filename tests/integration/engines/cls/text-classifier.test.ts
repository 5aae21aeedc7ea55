import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OcrError } from '../../../../engines/errors.js';
import { TextClassifier, rotate180 } from '../../../../engines/cls/text-classifier.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { ConcurrentSession, createCpuSession, createSession } from '../../../../engines/runtime/session.js';
import type { OcrSession } from '../../../../engines/stages.js';
import type { RgbImage } from '../../../../engines/types.js';
import { addNoise, renderLine } from '../rec/render-line.js';

const LINES: [text: string, font: string, sizePx: number][] = [
  ['Hello, world! 123', 'DejaVu Sans', 28],
  ['Invoice #2024-0117 due 31/12/2024', 'Liberation Serif', 24],
  ['0123456789', 'Liberation Mono', 32],
  ['光学字符识别技术', 'Noto Sans CJK SC', 28],
  ['北京市海淀区中关村大街1号', 'Noto Serif CJK SC', 24],
  ['Yes', 'DejaVu Serif', 32],
  // Long lines: where PaddleOCR's squeeze into 192 px misjudges, and windows do not.
  ['The quick brown fox jumps over the lazy dog.', 'Liberation Sans', 32],
  ['It was the best of times, it was the worst of times,', 'DejaVu Serif', 24],
  ['Figure 3. Accuracy versus input width', 'Liberation Sans', 32],
  ['The committee approved the proposal on Tuesday afternoon after a long debate', 'DejaVu Sans', 32],
];

let session: OcrSession;
let cls: TextClassifier;
let upright: RgbImage[];

before(async () => {
  session = await createCpuSession(resolveModelPaths().cls, { stage: 'cls' });
  cls = await TextClassifier.create(session);
  upright = await Promise.all(LINES.map(([text, font, sizePx]) => renderLine(text, { font, sizePx })));
});
after(() => session.dispose());

describe('TextClassifier on the real ch_ppocr_mobile_v2.0_cls model (ORT CPU)', () => {
  test('two single-threaded sessions side by side (ConcurrentSession): the same angles and scores, batches overlapping', async () => {
    const plan = [{ provider: 'cpu' as const, precision: 'fp32' as const, model: 'original' as const, notes: [] }];
    const two = (await createSession(resolveModelPaths().cls, { stage: 'cls', plan, cpuSessions: 2, verify: 'none' })) as ConcurrentSession;
    try {
      assert.equal(two.parallelism, 2);
      let inFlight = 0;
      let peak = 0;
      const watched: OcrSession = {
        stage: 'cls',
        provider: two.provider,
        parallelism: two.parallelism,
        run: async (input) => {
          peak = Math.max(peak, ++inFlight);
          try {
            return await two.run(input);
          } finally {
            inFlight--;
          }
        },
        dispose: async () => {},
      };
      const crops = [...upright, ...upright.map(rotate180)];
      const a = await cls.run(crops);
      const b = await (await TextClassifier.create(watched, { batchSize: 3 })).run(crops);
      const c = await (await TextClassifier.create(session, { batchSize: 3 })).run(crops);
      assert.equal(peak, 2);
      b.results.forEach((r, i) => {
        assert.equal(r.angle, c.results[i]!.angle, `crop ${i}`);
        assert.ok(Math.abs(r.score - c.results[i]!.score) < 1e-6, `crop ${i}: ${r.score} vs ${c.results[i]!.score}`);
      });
      assert.deepEqual(b.results.map((r) => r.angle), a.results.map((r) => r.angle));
    } finally {
      await two.dispose();
    }
  });

  test('upright lines are 0°', async () => {
    const out = await cls.run(upright);
    out.results.forEach((r, i) => assert.equal(r.angle, 0, `${LINES[i]![0]}: ${JSON.stringify(r)}`));
  });

  test('upside-down lines are 180° with P(180) > 0.9', async () => {
    const out = await cls.run(upright.map(rotate180));
    out.results.forEach((r, i) => {
      assert.equal(r.angle, 180, `${LINES[i]![0]}: ${JSON.stringify(r)}`);
      assert.ok(r.score > 0.9);
    });
  });

  test('mixed input keeps its order; noisy lines too', async () => {
    const mixed = upright.map((im, i) => (i % 2 ? rotate180(addNoise(im, 40, i)) : addNoise(im, 40, i)));
    const out = await cls.run(mixed);
    assert.deepEqual(out.results.map((r) => r.angle), mixed.map((_, i) => (i % 2 ? 180 : 0)));
    assert.ok(out.timings.runMs > 0 && out.timings.preMs > 0);
  });

  test('PaddleOCR\'s single squeezed view (maxWindows 1) misses upside-down long lines that windows catch', async () => {
    const paddle = await TextClassifier.create(session, { maxWindows: 1 });
    const down = upright.map(rotate180);
    const missedPaddle = (await paddle.run(down)).results.filter((r) => r.angle !== 180).length;
    const missedWindows = (await cls.run(down)).results.filter((r) => r.angle !== 180).length;
    assert.equal(missedWindows, 0);
    assert.ok(missedPaddle >= 1, `PaddleOCR mode missed ${missedPaddle}`);
  });

  test('score is the probability of the reported angle; P(180) is recoverable from it', async () => {
    const lenient = await TextClassifier.create(session, { thresh: 0.999999 });
    const out = await lenient.run(upright.map(rotate180).slice(0, 3));
    for (const r of out.results) {
      const p180 = r.angle === 180 ? r.score : 1 - r.score;
      assert.ok(p180 > 0.5, 'the model still leans to 180');
      if (r.angle === 0) assert.ok(r.score < 0.5);
    }
  });

  test('empty and zero-size input', async () => {
    assert.deepEqual((await cls.run([])).results, []);
    const out = await cls.run([{ width: 0, height: 0, data: new Uint8Array(0) }]);
    assert.deepEqual(out.results, [{ angle: 0, score: 0.5 }]);
  });

  test('a model with another output shape is refused at create', async () => {
    const rec = await createCpuSession(resolveModelPaths().rec, { stage: 'rec' });
    try {
      await assert.rejects(TextClassifier.create(rec), (e: unknown) => e instanceof OcrError && e.code === 'MODEL_LOAD_FAILED');
    } finally {
      await rec.dispose();
    }
  });
});
