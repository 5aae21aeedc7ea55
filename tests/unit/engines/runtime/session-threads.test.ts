import { test } from 'node:test';
import assert from 'node:assert/strict';
import { threadOptions } from '../../../../engines/runtime/session.js';

test('GPU EP sessions get one ORT thread that does not spin', () => {
  for (const ep of ['cuda', 'tensorrt', 'webgpu', 'dml', 'coreml'] as const) {
    const o = threadOptions(ep, undefined);
    assert.equal(o.intraOpNumThreads, 1, ep);
    assert.equal(o.interOpNumThreads, 1, ep);
    assert.deepEqual(o.extra, { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } }, ep);
  }
});

test('a caller-chosen thread count wins on GPU EPs too', () => {
  assert.equal(threadOptions('cuda', 3).intraOpNumThreads, 3);
});

test('the CPU EP keeps ORT’s default, or the caller’s count', () => {
  assert.deepEqual(threadOptions('cpu', undefined), {});
  assert.deepEqual(threadOptions('cpu', 2), { intraOpNumThreads: 2 });
});
