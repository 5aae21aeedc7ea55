import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inLanes } from '../../../../engines/runtime/lanes.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('inLanes', () => {
  test('every index once, started in order, never more than `lanes` in flight, each lane one call at a time', async () => {
    const started: number[] = [];
    const busyLanes = new Set<number>();
    let inFlight = 0;
    let peak = 0;
    await inLanes(10, 3, async (i, lane) => {
      assert.ok(!busyLanes.has(lane), `lane ${lane} reused while busy`);
      busyLanes.add(lane);
      started.push(i);
      peak = Math.max(peak, ++inFlight);
      await tick(5 + ((i * 7) % 5));
      inFlight--;
      busyLanes.delete(lane);
    });
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(peak, 3);
  });

  test('fewer items than lanes, zero items, one lane', async () => {
    let peak = 0;
    let inFlight = 0;
    const used = await inLanes(2, 8, async () => {
      peak = Math.max(peak, ++inFlight);
      await tick(5);
      inFlight--;
    });
    assert.equal(peak, 2);
    assert.equal(used, 2, 'reports the lanes that ran');
    await inLanes(0, 4, async () => assert.fail('no items'));
    const order: number[] = [];
    await inLanes(3, 1, async (i) => {
      order.push(i);
      await tick(1);
    });
    assert.deepEqual(order, [0, 1, 2]);
  });

  test('after a failure nothing new starts; the error comes out after the calls in flight settle', async () => {
    const started: number[] = [];
    let settled = 0;
    await assert.rejects(
      inLanes(20, 2, async (i) => {
        started.push(i);
        if (i === 3) throw new Error('boom at 3');
        await tick(10);
        settled++;
      }),
      /boom at 3/,
    );
    assert.ok(started.length <= 5, `started after the failure: ${started.join(',')}`);
    assert.equal(settled, started.length - 1, 'the other lane finished its call before the error came out');
  });
});
