import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LineSplitter,
  TrtexecProgressParser,
  primaryError,
  versionFromBanner,
  type TrtexecProgressEvent,
} from '../../../../../engines/runtime/trt/trtexec-progress.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const lines = (name: string) => readFileSync(path.join(fixtures, name), 'utf8').split('\n');

function feed(name: string): { parser: TrtexecProgressParser; events: TrtexecProgressEvent[] } {
  const parser = new TrtexecProgressParser();
  const events: TrtexecProgressEvent[] = [];
  for (const l of lines(name)) {
    const e = parser.push(l);
    if (e) events.push(e);
  }
  return { parser, events };
}

describe('TrtexecProgressParser', () => {
  test('an info-level FP16 det build goes through every phase in order and finishes at 1', () => {
    const { parser, events } = feed('trtexec-det-fp16-info.txt');
    const phases = [...new Set(events.map((e) => e.phase))];
    assert.deepEqual(phases, ['starting', 'parsing', 'optimizing', 'tuning', 'finalizing', 'saving', 'done']);
    const fractions = events.map((e) => e.fraction ?? 0);
    for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i]! >= fractions[i - 1]!, `fraction went back at event ${i}`);
    assert.equal(fractions.at(-1), 1);
    assert.deepEqual(
      { v: parser.facts.trtVersion, dev: parser.facts.deviceName, cc: parser.facts.computeCapability, sec: parser.facts.engineBuildSec, mib: parser.facts.engineSizeMiB, passed: parser.facts.passed, warnings: parser.facts.warnings },
      { v: '10.9.0', dev: 'NVIDIA H100 80GB HBM3', cc: '9.0', sec: 39.1436, mib: 4.93726, passed: true, warnings: 1 },
    );
    assert.match(events.find((e) => e.phase === 'tuning')!.message, /fastest kernels/);
  });

  test('a verbose rec build reports per-layer fractions against the optimised layer count', () => {
    const { parser, events } = feed('trtexec-rec-verbose-excerpt.txt');
    assert.equal(parser.facts.layerCount, 6);
    assert.equal(parser.facts.layersCosted, 6);
    const tuning = events.filter((e) => e.phase === 'tuning' && /Tuning layer/.test(e.message));
    assert.equal(tuning.length, 6);
    assert.match(tuning[0]!.message, /^Tuning layer 1\/6: p2o\.Conv\.0 \+ p2o\.HardSigmoid\.0 \+ p2o\.Mul\.0$/);
    // Layer 3 of 6 is half-way through the tuning band (0.08 … 0.92).
    assert.ok(Math.abs(tuning[2]!.fraction! - (0.08 + 0.5 * 0.84)) < 1e-9);
    assert.equal(events.at(-1)!.phase, 'done');
  });

  test('a failed build ends in "failed" with the line that names the cause', () => {
    const { parser, events } = feed('trtexec-failed.txt');
    assert.equal(parser.facts.failed, true);
    assert.equal(events.at(-1)!.phase, 'failed');
    assert.match(events.at(-1)!.message, /Error Code 2: OutOfMemory/);
    assert.equal(parser.facts.errors.length, 6);
    assert.match(primaryError(parser.facts.errors)!, /OutOfMemory/);
  });

  test("TensorRT's Python logger order ([TRT] [I]) and bare polygraphy lines parse too", () => {
    const p = new TrtexecProgressParser();
    assert.equal(p.push('[11/14/2023-10:32:58] [TRT] [I] Global timing cache in use. Profiling results in this builder pass will be stored.')?.phase, 'tuning');
    assert.equal(p.push('[V] Detected 1 inputs and 1 output network tensors.')?.phase, 'finalizing');
    assert.equal(p.push('unrelated output'), null);
  });

  test('banner versions of TensorRT 8 and 10', () => {
    assert.equal(versionFromBanner('&&&& RUNNING TensorRT.trtexec [TensorRT v101602] [b10] # x'), '10.16.2');
    assert.equal(versionFromBanner('&&&& RUNNING TensorRT.trtexec [TensorRT v8601] # x'), '8.6.1');
  });
});

describe('LineSplitter', () => {
  test('joins chunks split mid-line and flushes the rest', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('[I] Start par'), []);
    assert.deepEqual(s.push('sing network model.\n[I] Fin'), ['[I] Start parsing network model.']);
    assert.deepEqual(s.push('ished\n'), ['[I] Finished']);
    assert.deepEqual(s.push('tail'), []);
    assert.deepEqual(s.flush(), ['tail']);
  });
});
