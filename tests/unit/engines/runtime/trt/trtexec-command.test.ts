import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { detShapeBuckets } from '../../../../../engines/det/text-detector.js';
import {
  DEFAULT_TRT_PROFILES,
  buildRecipe,
  profileCovers,
  profileKey,
  trtexecArgs,
  type ShapeProfile,
} from '../../../../../engines/runtime/trt/trtexec-command.js';

const det = DEFAULT_TRT_PROFILES.det[0]!;
const [recNarrow, recWide] = DEFAULT_TRT_PROFILES.rec as [ShapeProfile, ShapeProfile];
const cls = DEFAULT_TRT_PROFILES.cls[0]!;

describe('trtexecArgs per stage and precision', () => {
  test('det FP16: NCHW profile, timing cache, level, workspace, skipInference, verbose', () => {
    assert.deepEqual(
      trtexecArgs({
        onnxPath: '/m/ch_PP-OCRv4_det_infer.onnx',
        enginePath: '/c/tmp/x/model.engine',
        precision: 'fp16',
        profiles: [det],
        timingCachePath: '/c/timing/H100-sm90-trt10.9.0.timing',
        builderOptimizationLevel: 3,
        workspaceMiB: 2048,
        verbose: true,
      }),
      [
        '--onnx=/m/ch_PP-OCRv4_det_infer.onnx',
        '--saveEngine=/c/tmp/x/model.engine',
        '--fp16',
        '--minShapes=x:1x3x32x32',
        '--optShapes=x:1x3x1376x960',
        '--maxShapes=x:8x3x1376x960',
        '--timingCacheFile=/c/timing/H100-sm90-trt10.9.0.timing',
        '--builderOptimizationLevel=3',
        '--memPoolSize=workspace:2048M',
        '--skipInference',
        '--verbose',
      ],
    );
  });

  test('rec FP32: no --fp16, TF32 off so the engine matches ORT FP32 numerics; batch × 48 × width', () => {
    assert.deepEqual(trtexecArgs({ onnxPath: 'rec.onnx', enginePath: 'rec.engine', precision: 'fp32', profiles: [recNarrow] }), [
      '--onnx=rec.onnx',
      '--saveEngine=rec.engine',
      '--noTF32',
      '--minShapes=x:1x3x48x320',
      '--optShapes=x:16x3x48x320',
      '--maxShapes=x:32x3x48x960',
      '--skipInference',
    ]);
  });

  test('cls FP16 on device 1, TF32 left on for FP16', () => {
    const a = trtexecArgs({ onnxPath: 'cls.onnx', enginePath: 'cls.engine', precision: 'fp16', profiles: [cls], deviceId: 1 });
    assert.ok(a.includes('--fp16') && !a.includes('--noTF32'));
    assert.ok(a.includes('--minShapes=x:1x3x48x192') && a.includes('--optShapes=x:32x3x48x192') && a.includes('--maxShapes=x:32x3x48x192'));
    assert.ok(a.includes('--device=1'));
  });

  test('several profiles in one engine use --profile=N blocks, in order', () => {
    const a = trtexecArgs({ onnxPath: 'rec.onnx', enginePath: 'rec.engine', precision: 'fp16', profiles: [recNarrow, recWide] });
    const i0 = a.indexOf('--profile=0');
    const i1 = a.indexOf('--profile=1');
    assert.ok(i0 > 0 && i1 > i0);
    assert.deepEqual(a.slice(i0, i0 + 4), ['--profile=0', '--minShapes=x:1x3x48x320', '--optShapes=x:16x3x48x320', '--maxShapes=x:32x3x48x960']);
    assert.deepEqual(a.slice(i1, i1 + 4), ['--profile=1', '--minShapes=x:1x3x48x992', '--optShapes=x:4x3x48x1280', '--maxShapes=x:16x3x48x2560']);
  });

  test('bad profiles and options are refused before trtexec is started', () => {
    const bad: ShapeProfile = { name: 'bad', input: 'x', min: [1, 3, 48, 640], opt: [1, 3, 48, 320], max: [1, 3, 48, 960] };
    assert.throws(() => trtexecArgs({ onnxPath: 'a', enginePath: 'b', precision: 'fp16', profiles: [bad] }), /min <= opt <= max/);
    assert.throws(() => trtexecArgs({ onnxPath: 'a', enginePath: 'b', precision: 'fp16', profiles: [] }), /at least one/);
    assert.throws(() => trtexecArgs({ onnxPath: 'a', enginePath: 'b', precision: 'fp16', profiles: [det], builderOptimizationLevel: 7 }), /0\.\.5/);
    const rank: ShapeProfile = { name: 'r', input: 'x', min: [1, 3], opt: [1, 3, 4], max: [1, 3, 4] };
    assert.throws(() => trtexecArgs({ onnxPath: 'a', enginePath: 'b', precision: 'fp16', profiles: [rank] }), /ranks differ/);
  });

  test('input names with separators are quoted', () => {
    const p: ShapeProfile = { name: 'q', input: 'input:0', min: [1], opt: [1], max: [1] };
    assert.ok(trtexecArgs({ onnxPath: 'a', enginePath: 'b', precision: 'fp32', profiles: [p] }).includes("--minShapes='input:0':1"));
  });
});

describe('cache-key helpers', () => {
  test('profileKey is canonical text; buildRecipe changes with engine-relevant flags only', () => {
    assert.equal(profileKey([det]), 'x:1x3x32x32/1x3x1376x960/8x3x1376x960');
    assert.notEqual(buildRecipe({ precision: 'fp16' }), buildRecipe({ precision: 'fp32' }));
    assert.notEqual(buildRecipe({ precision: 'fp16' }), buildRecipe({ precision: 'fp16', builderOptimizationLevel: 5 }));
    assert.equal(buildRecipe({ precision: 'fp16', workspaceMiB: 512 }), buildRecipe({ precision: 'fp16', workspaceMiB: 512 }));
  });

  test('profileCovers', () => {
    assert.ok(profileCovers(recNarrow, [6, 3, 48, 640]));
    assert.ok(!profileCovers(recNarrow, [6, 3, 48, 1280]));
    assert.ok(profileCovers(recWide, [6, 3, 48, 1280]));
    assert.ok(!profileCovers(det, [1, 3, 1024, 1024]));
    // Every detector shape bucket the GPU pipeline uses is inside the det engine's profile.
    for (const [h, w] of detShapeBuckets()) assert.ok(profileCovers(det, [1, 3, h, w]), `${h}x${w}`);
    assert.ok(!profileCovers(det, [1, 3, 960]));
  });
});
