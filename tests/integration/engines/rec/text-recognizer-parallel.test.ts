// TextRecognizer with several batches in flight (session.parallelism > 1: ConcurrentSession on the CPU EP).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OcrError } from '../../../../engines/errors.js';
import { TextRecognizer } from '../../../../engines/rec/text-recognizer.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { ConcurrentSession, createSession } from '../../../../engines/runtime/session.js';
import type { OcrSession, TensorData } from '../../../../engines/stages.js';
import type { RgbImage } from '../../../../engines/types.js';
import { renderLine } from './render-line.js';

const LINES = [
  'Invoice 2024-117: 3 × 12.50 EUR',
  'Zusammenfassung der Ergebnisse',
  'The quick brown fox jumps over the lazy dog.',
  'PP-OCRv4 识别模型',
  'Total due by 30 June',
  'x = (a + b) / 2;',
  'Reference: ISBN 978-3-16-148410-0',
];
const paths = resolveModelPaths();
let parallel: ConcurrentSession;
let single: OcrSession;
let crops: RgbImage[];
before(async () => {
  const plan = [{ provider: 'cpu' as const, precision: 'fp32' as const, model: 'original' as const, notes: [] }];
  parallel = (await createSession(paths.rec, { stage: 'rec', plan, cpuSessions: 3, verify: 'none' })) as ConcurrentSession;
  single = await createSession(paths.rec, { stage: 'rec', plan, verify: 'none' });
  crops = await Promise.all(LINES.map((t, i) => renderLine(t, { font: i % 2 ? 'DejaVu Serif' : 'DejaVu Sans', sizePx: 26 + (i % 3) * 4 })));
});
after(async () => {
  await parallel.dispose();
  await single.dispose();
});

/** Counts how many runs are in flight at once. */
class Watch implements OcrSession {
  inFlight = 0;
  peak = 0;
  constructor(readonly inner: OcrSession) {}
  get stage() { return this.inner.stage; }
  get provider() { return this.inner.provider; }
  get parallelism() { return this.inner.parallelism; }
  async run(input: TensorData): Promise<TensorData> {
    this.peak = Math.max(this.peak, ++this.inFlight);
    try {
      return await this.inner.run(input);
    } finally {
      this.inFlight--;
    }
  }
  dispose() { return this.inner.dispose(); }
}

describe('TextRecognizer with batches side by side', () => {
  test('cpuSessions: 3 gives one OcrSession over three single-threaded sessions', () => {
    assert.ok(parallel instanceof ConcurrentSession);
    assert.equal(parallel.parallelism, 3);
    assert.equal(parallel.sessions.length, 3);
    assert.equal(parallel.provider.provider, 'cpu');
  });

  test('the same results, in input order, as one session; runs really overlap', async () => {
    const watch = new Watch(parallel);
    const a = await (await TextRecognizer.create(single, paths.dict)).run(crops);
    const b = await (await TextRecognizer.create(watch, paths.dict)).run(crops);
    assert.deepEqual(b.results, a.results);
    assert.deepEqual(b.batchShapes, a.batchShapes, 'shapes listed in plan order');
    assert.equal(watch.peak, 3, 'three batches in flight at once');
    assert.ok(b.timings.runMs > 0 && b.timings.preMs > 0);
    assert.equal(b.results[2]!.text, LINES[2]);
  });

  test('a failing run fails the call and stops the other lanes from starting new batches', async () => {
    let calls = 0;
    const failing: OcrSession = {
      stage: 'rec',
      provider: parallel.provider,
      parallelism: 2,
      run: async (input) => {
        calls++;
        if (calls === 3) throw new Error('device lost');
        return parallel.run(input);
      },
      dispose: async () => {},
    };
    const rec = await TextRecognizer.create(failing, paths.dict);
    calls = 0;
    await assert.rejects(rec.run(crops), /device lost/);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(calls <= 4, `runs started after the failure: ${calls}`);
  });

  test('cancellation between batches', async () => {
    const rec = await TextRecognizer.create(parallel, paths.dict);
    const ac = new AbortController();
    ac.abort(new Error('user'));
    await assert.rejects(rec.run(crops, { signal: ac.signal }), (e: unknown) => e instanceof OcrError && e.code === 'CANCELLED');
  });
});
