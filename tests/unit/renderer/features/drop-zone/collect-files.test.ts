import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, extensionOf, fromFileList, rejectionReason } from '../../../../../renderer/features/drop-zone/collect-files.js';

test('extensionOf', () => {
  assert.equal(extensionOf('scans/Page.01.TIFF'), 'tiff');
  assert.equal(extensionOf('.hidden'), '');
  assert.equal(extensionOf('README'), '');
});

test('rejectionReason: supported and extension-less files pass; others say why', () => {
  assert.equal(rejectionReason('a.pdf', 10), null);
  assert.equal(rejectionReason('scan', 10), null, 'no extension: the engine sniffs the bytes');
  assert.match(rejectionReason('report.docx', 10)!, /\.docx files are not supported; Lucid OCR reads PNG, JPEG/);
  assert.equal(rejectionReason('empty.png', 0), 'The file is empty.');
  assert.match(rejectionReason('huge.pdf', 600 * 1024 * 1024)!, /larger than 512 MiB/);
});

test('classify keeps order and lists every refused file', () => {
  const f = (name: string, size = 3) => ({ name, file: new File([new Uint8Array(size)], name.split('/').pop()!) });
  const r = classify([f('dir/a.png'), f('dir/notes.txt'), f('dir/b.pdf'), f('dir/.DS_Store')]);
  assert.deepEqual(r.accepted.map((x) => x.name), ['dir/a.png', 'dir/b.pdf', 'dir/.DS_Store']);
  assert.deepEqual(r.rejected.map((x) => x.name), ['dir/notes.txt']);
});

test('fromFileList uses the relative path of folder picks', () => {
  const file = new File([new Uint8Array(1)], 'a.png');
  Object.defineProperty(file, 'webkitRelativePath', { value: 'scans/a.png' });
  assert.deepEqual(fromFileList([file]).map((p) => p.name), ['scans/a.png']);
});
