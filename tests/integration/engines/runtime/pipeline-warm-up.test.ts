import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_GPU_CLS_BATCH_ROWS, TextClassifier } from '../../../../engines/cls/text-classifier.js';
import { TextDetector } from '../../../../engines/det/text-detector.js';
import { DEFAULT_GPU_REC_BATCH_ROWS, DEFAULT_GPU_REC_CHUNK_WIDTH_PX, GPU_REC_WIDTH_BUCKETS_PX } from '../../../../engines/rec/rec-preprocess.js';
import { TextRecognizer } from '../../../../engines/rec/text-recognizer.js';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { pipelineShapePlan, warmUpPipeline } from '../../../../engines/runtime/pipeline-warm-up.js';
import { MAX_POOLED_SESSIONS, createCpuSession } from '../../../../engines/runtime/session.js';
import type { OcrSession, TensorData } from '../../../../engines/stages.js';

const models = resolveModelPaths();
let cpu: { det: OcrSession; cls: OcrSession; rec: OcrSession };

/** The real CPU session, reporting `provider` and recording every input shape it runs. */
function reporting(s: OcrSession, provider: 'cpu' | 'cuda', seen: string[]): OcrSession {
  return {
    stage: s.stage,
    provider: { ...s.provider, provider },
    run: (x: TensorData) => {
      seen.push(`${s.stage}:${x.dims.join('x')}`);
      return s.run(x);
    },
    dispose: async () => {},
  };
}

async function stagesFor(sessions: { det: OcrSession; cls: OcrSession; rec: OcrSession }) {
  return {
    detector: await TextDetector.create(sessions.det),
    classifier: await TextClassifier.create(sessions.cls),
    recognizer: await TextRecognizer.create(sessions.rec, models.dict),
  };
}

before(async () => {
  cpu = {
    det: await createCpuSession(models.det, { stage: 'det' }),
    cls: await createCpuSession(models.cls, { stage: 'cls' }),
    rec: await createCpuSession(models.rec, { stage: 'rec' }),
  };
});
after(() => Promise.all(Object.values(cpu).map((s) => s.dispose())));

describe('pipeline warm-up', () => {
  test('on the CPU EP nothing is planned and nothing runs', async () => {
    const seen: string[] = [];
    const sessions = { det: reporting(cpu.det, 'cpu', seen), cls: reporting(cpu.cls, 'cpu', seen), rec: reporting(cpu.rec, 'cpu', seen) };
    const stages = await stagesFor(sessions);
    assert.equal(stages.detector.options.padToShapeBuckets, false, 'det pads to its bucket on GPUs only');
    seen.length = 0; // create()'s probes
    assert.deepEqual(pipelineShapePlan(sessions, stages), { det: [], cls: [], rec: [] });
    assert.equal(await warmUpPipeline(sessions, stages), undefined);
    assert.deepEqual(seen, []);
  });

  test('on a GPU provider: det 960² and the portrait page, cls one padded shape, rec one packed shape (one per GPU width bucket unpacked); the pool holds them all', async () => {
    const seen: string[] = [];
    const sessions = { det: reporting(cpu.det, 'cuda', seen), cls: reporting(cpu.cls, 'cuda', seen), rec: reporting(cpu.rec, 'cuda', seen) };
    const stages = await stagesFor(sessions);
    assert.equal(stages.detector.options.padToShapeBuckets, true);
    const plan = pipelineShapePlan(sessions, stages);
    assert.deepEqual(plan.det, [[1, 3, 960, 960], [1, 3, 1376, 960]]);
    assert.deepEqual(plan.cls, [[DEFAULT_GPU_CLS_BATCH_ROWS, 3, 48, 192]]);
    // Packed rows (the GPU default): every rec run is rows × the chunk width.
    assert.deepEqual(plan.rec, [[DEFAULT_GPU_REC_BATCH_ROWS, 3, 48, DEFAULT_GPU_REC_CHUNK_WIDTH_PX]]);
    const unpacked = pipelineShapePlan(sessions, { ...stages, recognizer: await TextRecognizer.create(sessions.rec, models.dict, { pack: false }) });
    assert.deepEqual(unpacked.rec, GPU_REC_WIDTH_BUCKETS_PX.map((w) => [DEFAULT_GPU_REC_BATCH_ROWS, 3, 48, w]));
    assert.deepEqual(GPU_REC_WIDTH_BUCKETS_PX, [320, 384, 448, 544, 672, 800, 960], 'longer lines are chunked at 960 px');
    assert.ok(MAX_POOLED_SESSIONS > unpacked.rec.length, `pool ${MAX_POOLED_SESSIONS} holds the ${unpacked.rec.length} rec shapes with room to spare`);
    // The whole default plan would take minutes on this 2-core CPU (16 rows × 3840 px): warm a recognizer
    // with a small plan through warmUpPipeline and check it runs exactly the plan, once each.
    const small = { ...stages, recognizer: await TextRecognizer.create(sessions.rec, models.dict, { batchSize: 2, widthBucketsPx: [320, 480], pack: false }) };
    seen.length = 0;
    const warm = await warmUpPipeline(sessions, small);
    assert.ok(warm && warm.warmUpMs > 0);
    assert.deepEqual(warm.warmedShapes.rec, [[2, 3, 48, 320], [2, 3, 48, 480]]);
    assert.deepEqual(seen, ['det:1x3x960x960', 'det:1x3x1376x960', `cls:${DEFAULT_GPU_CLS_BATCH_ROWS}x3x48x192`, 'rec:2x3x48x320', 'rec:2x3x48x480']);
  });
});
