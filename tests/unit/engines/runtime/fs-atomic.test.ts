import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { acquireLock, isProcessAlive, LockBusyError, withLock, writeFileAtomic } from '../../../../engines/runtime/fs-atomic.js';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rt-atomic-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  test('replaces the file; a failure before the rename leaves the old content and no temp file', async () => {
    const f = path.join(dir, 'manifest.json');
    await writeFileAtomic(f, 'version 1');
    assert.equal(readFileSync(f, 'utf8'), 'version 1');
    await assert.rejects(
      writeFileAtomic(f, 'version 2 (never visible)', {
        beforeRename: (tmp) => {
          assert.equal(readFileSync(tmp, 'utf8'), 'version 2 (never visible)', 'the temp file is complete before the rename');
          throw new Error('crash');
        },
      }),
      /crash/,
    );
    assert.equal(readFileSync(f, 'utf8'), 'version 1');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('manifest.json')), ['manifest.json']);
    await writeFileAtomic(f, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(f)], [1, 2, 3]);
  });
});

describe('lock files', () => {
  test('exclusive within the timeout; released on completion', async () => {
    const lock = path.join(dir, 'a.lock');
    const order: string[] = [];
    await Promise.all([
      withLock(lock, async () => {
        order.push('first in');
        await new Promise((r) => setTimeout(r, 80));
        order.push('first out');
      }),
      (async () => {
        await new Promise((r) => setTimeout(r, 10));
        await withLock(lock, async () => {
          order.push('second in');
        });
      })(),
    ]);
    assert.deepEqual(order, ['first in', 'first out', 'second in']);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('a.lock')), []);
  });

  test('timeout 0 fails at once with the holder; an old lock is stale even if its pid lives', async () => {
    const lock = path.join(dir, 'b.lock');
    const release = await acquireLock(lock, { purpose: 'building det fp16' });
    await assert.rejects(acquireLock(lock, { timeoutMs: 0 }), (e: unknown) => e instanceof LockBusyError && e.holder?.pid === process.pid && /building det fp16/.test((e as Error).message));
    await release();
    writeFileSync(lock, JSON.stringify({ pid: process.pid, hostname: 'other-host', createdAt: '2020-01-01T00:00:00Z' }));
    const logs: string[] = [];
    const r2 = await acquireLock(lock, { timeoutMs: 0, staleMs: -1, log: (m) => logs.push(m) });
    assert.match(logs[0]!, /Broke stale cache lock .* s old/);
    await r2();
  });

  test('a lock never exists without its holder: another thread reading it in a tight loop never sees it empty', async () => {
    // Created empty and written afterwards, a lock could be read empty for a moment, and a peer that timed out
    // then said "held by another process" instead of naming the holder (a CI run failed so).
    const lock = path.join(dir, 'watched.lock');
    const reader = new Worker(
      `const fs = require('node:fs'); const { parentPort, workerData } = require('node:worker_threads');
       let reads = 0, empty = 0, stop = false;
       parentPort.on('message', () => { stop = true; });
       (function spin() {
         for (let i = 0; i < 2000; i++) { try { reads++; if (fs.readFileSync(workerData, 'utf8') === '') empty++; } catch {} }
         if (stop) parentPort.postMessage({ reads, empty }); else setImmediate(spin);
       })();`,
      { eval: true, workerData: lock },
    );
    for (let k = 0; k < 300; k++) await (await acquireLock(lock, { purpose: 'watched' }))();
    const done = new Promise<{ reads: number; empty: number }>((resolve) => reader.once('message', resolve));
    reader.postMessage('stop');
    const { reads, empty } = await done;
    await reader.terminate();
    assert.ok(reads > 1000, `${reads} reads`);
    assert.equal(empty, 0, `${empty} of ${reads} reads found the lock empty`);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('watched.lock')), [], 'no lock or temporary file left behind');
  });

  test('an unreadable lock file is only stale after a grace period', async () => {
    const lock = path.join(dir, 'c.lock');
    writeFileSync(lock, '');
    await assert.rejects(acquireLock(lock, { timeoutMs: 0 }), LockBusyError);
  });

  test('isProcessAlive', () => {
    assert.equal(isProcessAlive(process.pid), true);
    assert.equal(isProcessAlive(999999), false);
    assert.equal(isProcessAlive(-1), false);
  });
});
