import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rotate180 } from '../../../../engines/cls/text-classifier.js';

describe('rotate180', () => {
  test('pixel (x, y) moves to (w−1−x, h−1−y), channels intact', () => {
    // 3×2 image, pixel value = index·10 + channel.
    const data = new Uint8Array(18).map((_, i) => Math.floor(i / 3) * 10 + (i % 3));
    const r = rotate180({ width: 3, height: 2, data });
    assert.equal(r.width, 3);
    assert.equal(r.height, 2);
    assert.deepEqual([...r.data.subarray(0, 3)], [50, 51, 52]);
    assert.deepEqual([...r.data.subarray(15, 18)], [0, 1, 2]);
    assert.deepEqual([...r.data.subarray(6, 9)], [30, 31, 32]);
  });

  test('twice is the identity, and the input is left alone', () => {
    const data = new Uint8Array(5 * 4 * 3).map((_, i) => (i * 37) & 255);
    const copy = data.slice();
    const twice = rotate180(rotate180({ width: 5, height: 4, data }));
    assert.deepEqual(twice.data, copy);
    assert.deepEqual(data, copy);
  });
});
