import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKER_METHODS, isHostToWorker, isWorkerToHost, type WorkerMethod, type WorkerMethods } from '../../../../electron/common/worker-protocol.js';

describe('worker-protocol', () => {
  test('WORKER_METHODS lists every method of WorkerMethods', () => {
    // Compile-time: a method missing from the list fails to type-check here.
    type Missing = Exclude<keyof WorkerMethods, (typeof WORKER_METHODS)[number]>;
    const none: Missing extends never ? true : false = true;
    assert.equal(none, true);
    assert.equal(new Set<WorkerMethod>(WORKER_METHODS).size, WORKER_METHODS.length);
  });

  test('host → worker guard', () => {
    assert.equal(isHostToWorker({ kind: 'request', seq: 1, method: 'init', payload: {} }), true);
    assert.equal(isHostToWorker({ kind: 'cancel', jobId: 'j' }), true);
    for (const bad of [null, 1, 'x', {}, { kind: 'request', seq: '1', method: 'init' }, { kind: 'cancel' }, { kind: 'exec', cmd: 'rm' }]) {
      assert.equal(isHostToWorker(bad), false, JSON.stringify(bad));
    }
  });

  test('worker → host guard', () => {
    assert.equal(isWorkerToHost({ kind: 'response', seq: 4294967295, ok: true, result: 1 }), true);
    assert.equal(isWorkerToHost({ kind: 'response', seq: 2, ok: false, error: { code: 'INTERNAL' } }), true);
    assert.equal(isWorkerToHost({ kind: 'event', name: 'page-done', payload: {} }), true);
    assert.equal(isWorkerToHost({ kind: 'log', level: 'info', message: 'hi' }), true);
    for (const bad of [undefined, {}, { kind: 'response', seq: 1 }, { kind: 'event' }, { kind: 'log', message: 3 }]) {
      assert.equal(isWorkerToHost(bad), false, JSON.stringify(bad));
    }
  });
});
