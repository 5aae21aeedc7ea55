// One AbortSignal across a whole batch (as the CLI passes its Ctrl-C signal to every file): finished jobs
// must not leave their abort listeners on it, or a 1000-file batch holds 1000 listeners and Node warns
// "MaxListenersExceededWarning" on the user's terminal. Real worker process, real pipeline on ORT CPU.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { OcrWorkerHost } from '../../../../electron/main/worker/ocr-worker-host.js';
import { forkTransport } from '../../../../electron/main/worker/transports.js';
import { tempDir, textImagePng } from '../fixtures.js';

const tmp = tempDir('batch-signal');
const image = path.join(tmp.dir, 'tiny.png');
before(async () => writeFileSync(image, await textImagePng('Batch', { width: 240, height: 80, fontSize: 40 })));
after(() => tmp.cleanup());

test('12 jobs on one signal leave no abort listener behind and no MaxListeners warning', { timeout: 120_000 }, async () => {
  const host = new OcrWorkerHost({ transport: forkTransport, pipelineOptions: { ep: 'cpu' } });
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    const abort = new AbortController();
    for (let i = 0; i < 12; i++) {
      const doc = await host.recognize({ input: image }, { signal: abort.signal });
      assert.match(doc.pages[0]!.text, /Batch/i);
    }
    assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.deepEqual(warnings.filter((w) => /MaxListeners/.test(w)), []);
  } finally {
    process.off('warning', onWarning);
    await host.dispose();
  }
});
