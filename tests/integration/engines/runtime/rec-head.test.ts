import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { TextRecognizer } from '../../../../engines/rec/text-recognizer.js';
import { EngineCache } from '../../../../engines/runtime/engine-cache.js';
import type { PlannedProvider } from '../../../../engines/runtime/execution-providers.js';
import { convertModelToFp16 } from '../../../../engines/runtime/fp16.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { decodeModel, sha256File } from '../../../../engines/runtime/onnx-model.js';
import { REC_HEAD_CHANNELS, deriveRecHeadModel, getRecHeadModel, recHeadCacheKey } from '../../../../engines/runtime/rec-head.js';
import { OrtSession, createSession } from '../../../../engines/runtime/session.js';
import type { OcrSession } from '../../../../engines/stages.js';
import type { RgbImage } from '../../../../engines/types.js';
import { addNoise, renderLine, rescale } from '../rec/render-line.js';

const models = resolveModelPaths();
let tmp: string;
let crops: RgbImage[];
const open: OcrSession[] = [];

async function cpuSession(src: string | Uint8Array): Promise<OcrSession> {
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', enableCpuMemArena: false };
  const s = typeof src === 'string' ? await ort.InferenceSession.create(src, opts) : await ort.InferenceSession.create(src, opts);
  const session = new OrtSession(s, 'rec', { stage: 'rec', provider: 'cpu', precision: 'fp32', fallbacks: [] });
  open.push(session);
  return session;
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'rt-rec-head-'));
  const lines: [string, string, number][] = [
    ['Invoice #2024-0117 due 31/12/2024', 'Liberation Sans', 28],
    ['The quick brown fox jumps over the lazy dog.', 'DejaVu Serif', 24],
    ['北京市海淀区中关村大街1号', 'Noto Sans CJK SC', 28],
    ['a  b   spaced   out', 'Liberation Mono', 20],
    ['0.5 mm', 'DejaVu Sans', 14],
  ];
  const clean = await Promise.all(lines.map(([t, font, sizePx]) => renderLine(t, { font, sizePx })));
  // Degraded copies give low-confidence steps, near-ties and repeats: where a decode bug would show.
  crops = [...clean, addNoise(clean[0]!, 90, 3), addNoise(clean[2]!, 120, 5), await rescale(clean[1]!, 0.3)];
});
after(async () => {
  await Promise.all(open.map((s) => s.dispose()));
  rmSync(tmp, { recursive: true, force: true });
});

describe('rec argmax head (real PP-OCRv4 rec on ORT CPU)', () => {
  test('the derived graph outputs [N, T, 3]: argmax, max probability, class count', async () => {
    const head = deriveRecHeadModel(readFileSync(models.rec));
    const g = decodeModel(head).graph!;
    assert.equal(g.output!.length, 1);
    const s = await cpuSession(head);
    const full = await cpuSession(models.rec);
    const x = { data: new Float32Array(2 * 3 * 48 * 320).map((_, i) => Math.sin(i * 0.37)), dims: [2, 3, 48, 320] };
    const h = await s.run(x);
    const p = await full.run(x);
    assert.deepEqual(h.dims, [2, 40, REC_HEAD_CHANNELS]);
    const [n, t, c] = p.dims as number[];
    for (let k = 0; k < n! * t!; k++) {
      let best = 0;
      for (let j = 1; j < c!; j++) if (p.data[k * c! + j]! > p.data[k * c! + best]!) best = j;
      assert.equal(h.data[k * 3], best, `argmax at step ${k}`);
      assert.equal(h.data[k * 3 + 1], p.data[k * c! + best], `max prob at step ${k}`);
      assert.equal(h.data[k * 3 + 2], c);
    }
  });

  test('TextRecognizer reads exactly the same text, confidence and char extents from the head (FP32)', async () => {
    const full = await TextRecognizer.create(await cpuSession(models.rec), models.dict);
    const headed = await TextRecognizer.create(await cpuSession(deriveRecHeadModel(readFileSync(models.rec))), models.dict);
    assert.equal(full.outputKind, 'probs');
    assert.equal(headed.outputKind, 'argmax');
    assert.equal(headed.character.length, 6625, 'the dictionary is still checked against the model');
    const a = await full.run(crops);
    const b = await headed.run(crops);
    assert.deepEqual(b.results, a.results);
    assert.ok(a.results.filter((r) => r.text.length > 0).length >= 7);
  });

  test('on top of the FP16 conversion: same decode as the FP16 model\'s full probabilities', async () => {
    const fp16 = convertModelToFp16(readFileSync(models.rec)).model;
    const full = await TextRecognizer.create(await cpuSession(fp16), models.dict);
    const headed = await TextRecognizer.create(await cpuSession(deriveRecHeadModel(fp16)), models.dict);
    assert.equal(headed.outputKind, 'argmax');
    const some = crops.slice(0, 4);
    assert.deepEqual((await headed.run(some)).results, (await full.run(some)).results);
  });

  test('cached by source hash: derived once, then found', async () => {
    const cache = new EngineCache({ rootDir: path.join(tmp, 'cache') });
    const first = await getRecHeadModel(models.rec, { cache });
    const second = await getRecHeadModel(models.rec, { cache });
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    assert.equal(second.path, first.path);
    assert.ok(existsSync(first.path));
    assert.match(first.path, /entries\/[0-9a-f]{24}\/model\.rec-head\.onnx$/);
    const [entry] = await cache.list();
    assert.equal(entry!.key.kind, 'rec-head-model', 'filed under its own kind');
    assert.equal(entry!.files[0]!.sha256, createHash('sha256').update(readFileSync(first.path)).digest('hex'));
  });

  test('a damaged cached head model (same size) is derived again, with the reason; an entry of the old kind is a miss that purgeStale removes', async () => {
    const logs: string[] = [];
    const cache = new EngineCache({ rootDir: path.join(tmp, 'cache-damage'), log: (m) => logs.push(m) });
    const first = await getRecHeadModel(models.rec, { cache });
    const good = readFileSync(first.path);
    const fd = openSync(first.path, 'r+');
    writeSync(fd, Buffer.alloc(16, 0x5a), 0, 16, Math.floor(good.length / 2));
    closeSync(fd);
    const again = await getRecHeadModel(models.rec, { cache });
    assert.equal(again.cached, false);
    assert.match(again.rebuiltBecause ?? '', /model\.rec-head\.onnx has the right size but other content/);
    assert.match(logs.join('\n'), /rec-head-model entry [0-9a-f]{24} \(rec\) is damaged/);
    assert.ok(readFileSync(again.path).equals(good));

    // What an earlier version left: the same model filed as an 'fp16-model' with the head's recipe.
    const oldKey = { ...recHeadCacheKey(await sha256File(models.rec), 'fp32'), kind: 'fp16-model' as const };
    const old = await cache.put(oldKey, async (dir) => writeFileSync(path.join(dir, 'model.rec-head.onnx'), good));
    assert.equal((await getRecHeadModel(models.rec, { cache })).path, again.path, 'the old-kind entry is never used');
    assert.deepEqual(await cache.purgeStale({}), [old.id]);
    assert.equal((await cache.list()).length, 1);
  });

  test('createSession({ recHead }) loads the headed model from the cache', async () => {
    const cpu: PlannedProvider = { provider: 'cpu', precision: 'fp32', model: 'original', notes: [] };
    const s = (await createSession(models.rec, { stage: 'rec', plan: [cpu], cache: path.join(tmp, 'cache'), recHead: true })) as OrtSession;
    open.push(s);
    assert.match(s.loadedModelPath!, /model\.rec-head\.onnx$/);
    const rec = await TextRecognizer.create(s, models.dict);
    assert.equal(rec.outputKind, 'argmax');
    assert.equal((await rec.run(crops.slice(0, 1))).results[0]!.text, 'Invoice #2024-0117 due 31/12/2024');
  });
});
