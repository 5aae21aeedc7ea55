import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveModelPaths } from '../../../../engines/runtime/models.js';
import { createCpuSession, MAX_POOLED_SESSIONS, OrtSession, ShapePooledSession } from '../../../../engines/runtime/session.js';

// The pool exists for the CUDA EP (a shape switch on one CUDA session costs 0.3–0.9 s); its bookkeeping is
// provider-independent, so it is tested here on real CPU sessions of the direction classifier.
const clsPath = resolveModelPaths().cls;
const input = (n: number, w: number) => {
  const data = new Float32Array(n * 3 * 48 * w);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37);
  return { data, dims: [n, 3, 48, w] };
};

test('ShapePooledSession gives each input shape its own session and the same outputs as one session', async () => {
  const plain = await createCpuSession(clsPath, { stage: 'cls' });
  let opened = 0;
  const first = (await createCpuSession(clsPath, { stage: 'cls' })) as OrtSession;
  const pool = new ShapePooledSession(first, [1, 3, 48, 192], async () => {
    opened++;
    return (await createCpuSession(clsPath, { stage: 'cls' })) as OrtSession;
  });
  try {
    for (const [n, w] of [[1, 192], [2, 192], [1, 192], [2, 96], [2, 192]] as const) {
      const a = await pool.run(input(n, w));
      const b = await plain.run(input(n, w));
      assert.deepEqual(a.dims, b.dims);
      for (let i = 0; i < a.data.length; i++) assert.ok(Math.abs(a.data[i]! - b.data[i]!) < 1e-5);
    }
    assert.equal(pool.size, 3);
    assert.equal(opened, 2, 'the first shape reuses the session it was given; two new shapes open two sessions');
    assert.equal(pool.provider, first.provider);
  } finally {
    await pool.dispose();
    await plain.dispose();
  }
});

test('ShapePooledSession keeps at most MAX_POOLED_SESSIONS sessions, releasing the least recently used', async () => {
  const first = (await createCpuSession(clsPath, { stage: 'cls' })) as OrtSession;
  const pool = new ShapePooledSession(first, [1, 3, 48, 8], async () => (await createCpuSession(clsPath, { stage: 'cls' })) as OrtSession);
  try {
    for (let k = 1; k <= MAX_POOLED_SESSIONS + 3; k++) await pool.run(input(1, 8 * k));
    assert.equal(pool.size, MAX_POOLED_SESSIONS);
  } finally {
    await pool.dispose();
  }
});
