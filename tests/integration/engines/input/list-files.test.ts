import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OcrError } from '../../../../engines/errors.js';
import { listInputFiles, naturalCompare } from '../../../../engines/input/list-files.js';

describe('naturalCompare', () => {
  test('numbers by value, case-insensitive', () => {
    const names = ['page10.png', 'Page2.png', 'page1.png', 'page1a.png', 'a.pdf', 'B.pdf'];
    assert.deepEqual([...names].sort(naturalCompare), ['a.pdf', 'B.pdf', 'page1.png', 'page1a.png', 'Page2.png', 'page10.png']);
  });
});

describe('listInputFiles', () => {
  let root: string;
  const rel = (files: string[]) => files.map((f) => path.relative(root, f).split(path.sep).join('/'));

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'lucid-list-'));
    const touch = (p: string) => {
      mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      writeFileSync(path.join(root, p), 'x');
    };
    for (const f of ['scans/page10.png', 'scans/page2.png', 'scans/page1.JPG', 'scans/notes.txt', 'scans/.DS_Store', 'scans/sub/a.tif', 'scans/sub/b.docx', 'scans/README', 'single.pdf', 'odd.xyz']) touch(f);
    mkdirSync(path.join(root, 'scans/empty'), { recursive: true });
    mkdirSync(path.join(root, 'scans/.git/objects'), { recursive: true });
    touch('scans/.git/objects/x.png');
    mkdirSync(path.join(root, 'nothing/inner'), { recursive: true });
    touch('only-text/readme.md');
    // A symlink loop must not hang the walk.
    symlinkSync(path.join(root, 'scans'), path.join(root, 'scans/sub/loop'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('folders recurse in natural order; supported extensions only; the rest is reported', async () => {
    const { files, skipped } = await listInputFiles([path.join(root, 'scans')]);
    assert.deepEqual(rel(files), ['scans/page1.JPG', 'scans/page2.png', 'scans/page10.png', 'scans/sub/a.tif']);
    const reasons = Object.fromEntries(skipped.map((s) => [path.relative(root, s.path).split(path.sep).join('/'), s.reason]));
    assert.match(reasons['scans/notes.txt']!, /unsupported file type \.txt/);
    assert.match(reasons['scans/sub/b.docx']!, /unsupported file type \.docx/);
    assert.match(reasons['scans/README']!, /no file extension/);
    assert.equal(reasons['scans/.DS_Store'], 'hidden file');
    assert.match(reasons['scans/.git']!, /hidden folder/);
    assert.equal(reasons['scans/empty'], 'empty folder');
    assert.ok(!Object.keys(reasons).some((k) => k.startsWith('scans/.git/')), 'hidden folders are not searched');
  });

  test('files named explicitly are kept whatever their extension (their content decides later)', async () => {
    const { files } = await listInputFiles([path.join(root, 'odd.xyz'), path.join(root, 'single.pdf')]);
    assert.deepEqual(rel(files), ['odd.xyz', 'single.pdf']);
  });

  test('the same file twice is listed once, in first-seen order', async () => {
    const { files } = await listInputFiles([path.join(root, 'single.pdf'), path.join(root, 'scans'), path.join(root, 'single.pdf')]);
    assert.equal(files[0], path.join(root, 'single.pdf'));
    assert.equal(files.filter((f) => f.endsWith('single.pdf')).length, 1);
  });

  test('folders with nothing usable → NO_INPUT_FILES listing what was skipped', async () => {
    await assert.rejects(listInputFiles([path.join(root, 'nothing'), path.join(root, 'only-text')]), (e: unknown) => {
      assert.ok(e instanceof OcrError);
      assert.equal(e.code, 'NO_INPUT_FILES');
      assert.match(e.message, /No images or PDFs found/);
      assert.match(e.message, /empty folder/);
      assert.match(e.message, /readme\.md \(unsupported file type \.md/);
      return true;
    });
  });

  test('a missing path → NOT_FOUND', async () => {
    await assert.rejects(listInputFiles([path.join(root, 'nope')]), (e: unknown) => e instanceof OcrError && e.code === 'NOT_FOUND' && /nope does not exist/.test(e.message));
  });

  test('nothing given → NO_INPUT_FILES', async () => {
    await assert.rejects(listInputFiles([]), { code: 'NO_INPUT_FILES' });
  });
});
