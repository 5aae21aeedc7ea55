// Disk full while saving an export (export:save and the CLI write through electron/main/atomic-write.ts;
// the engine cache through engines/runtime/fs-atomic.ts): the error names the file and says why, the
// previous file is untouched, and no temp file is left. Only the fault is injected (ENOSPC after half
// the bytes, see fault-enospc.ts) under the real writers on the real file system.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OcrError } from '../../../../engines/errors.js';
import { writeFileAtomic as writeCacheFileAtomic } from '../../../../engines/runtime/fs-atomic.js';
import { writeFileAtomic } from '../../../../electron/main/atomic-write.js';
import { injectEnospc } from '../headless/fault-enospc.js';
import { tempDir } from '../fixtures.js';

const tmp = tempDir('export-full');
after(() => tmp.cleanup());

test('export writer: WRITE_FAILED naming the file, old file kept, no temp left; works again once space is back', async () => {
  const target = path.join(tmp.dir, 'scan é.pdf.txt');
  writeFileSync(target, 'the previous export\n');
  const bytes = new TextEncoder().encode('new export '.repeat(10_000));
  const undo = injectEnospc('scan é.pdf.txt');
  try {
    await assert.rejects(writeFileAtomic(target, bytes), (e: unknown) => {
      assert.ok(e instanceof OcrError);
      assert.equal(e.code, 'WRITE_FAILED');
      assert.equal(e.message, `Could not write ${target}: no space left on device (ENOSPC)`);
      assert.equal(e.file, target);
      return true;
    });
  } finally {
    undo();
  }
  assert.equal(readFileSync(target, 'utf8'), 'the previous export\n');
  assert.deepEqual(readdirSync(tmp.dir), ['scan é.pdf.txt']);
  await writeFileAtomic(target, bytes);
  assert.equal(readFileSync(target).length, bytes.length);
});

test('cache writer: the error keeps ENOSPC and names the target; no temp left', async () => {
  const dir = path.join(tmp.dir, 'cache');
  mkdirSync(dir);
  const target = path.join(dir, 'manifest.json');
  writeFileSync(target, '{"old":true}');
  const undo = injectEnospc('manifest.json');
  try {
    await assert.rejects(writeCacheFileAtomic(target, JSON.stringify({ big: 'x'.repeat(100_000) })), (e: unknown) => {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      assert.ok((e as Error).message.startsWith(`Could not write ${target}: `), (e as Error).message);
      return true;
    });
  } finally {
    undo();
  }
  assert.equal(readFileSync(target, 'utf8'), '{"old":true}');
  assert.deepEqual(readdirSync(dir), ['manifest.json']);
});
