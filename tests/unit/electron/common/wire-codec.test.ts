import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { base64ToBytes, bytesToBase64, fromWireJson, toWireJson } from '../../../../electron/common/wire-codec.js';

describe('wire-codec', () => {
  test('base64 matches Node for every length mod 3 and across chunk boundaries', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 49151, 49152, 49153, 100_000]) {
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = (i * 131 + 7) & 255;
      const b64 = bytesToBase64(bytes);
      assert.equal(b64, Buffer.from(bytes).toString('base64'), `length ${n}`);
      assert.deepEqual(base64ToBytes(b64), bytes);
    }
  });

  test('Uint8Array and Buffer survive a JSON round trip; other values are plain JSON', () => {
    const value = { a: new Uint8Array([0, 255, 128]), nested: [{ b: Buffer.from('hi') }], n: 1, s: 'x', $bytesLike: { $bytes: 1 } };
    const back = fromWireJson(toWireJson(value)) as typeof value;
    assert.ok(back.a instanceof Uint8Array);
    assert.deepEqual([...back.a], [0, 255, 128]);
    assert.deepEqual([...(back.nested[0]!.b as Uint8Array)], [104, 105]);
    assert.equal(back.n, 1);
    assert.deepEqual(back.$bytesLike, { $bytes: 1 });
  });

  test('invalid base64 is an error, not garbage', () => {
    assert.throws(() => base64ToBytes('ab$d'), /Invalid base64/);
  });
});
