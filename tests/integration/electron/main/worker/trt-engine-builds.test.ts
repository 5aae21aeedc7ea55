// TensorRT engine builds through the REAL worker process (OcrWorkerHost + child_process.fork) with a
// SIMULATED trtexec (tests/integration/engines/runtime/trt/fixtures/fake-trtexec.mjs, found on PATH):
// TensorRT cannot run here (no libnvinfer, no GPU). The TensorRT availability the worker sees is faked
// through LUCID_TEST_TRT_AVAILABILITY (honoured only with NODE_ENV=test); OCR runs for real on ORT CPU.
// What is covered: background builds while OCR serves, progress events at the host, cancellation, the
// switch-over after the builds, the one-time fallback notice, and the rebuild's cache invalidation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProviderAvailability } from '../../../../../engines/runtime/execution-providers.js';
import { OcrWorkerHost, type HostEvents } from '../../../../../electron/main/worker/ocr-worker-host.js';
import { forkTransport } from '../../../../../electron/main/worker/transports.js';
import { PAGE_WORDS, multiPagePdf, tempDir } from '../../fixtures.js';

type Status = HostEvents['engine-status'];
type Building = Extract<Status, { phase: 'building-engine' }>;

const here = path.dirname(fileURLToPath(import.meta.url));
const fakeTrtexec = path.join(here, '../../../engines/runtime/trt/fixtures/fake-trtexec.mjs');
const tmp = tempDir('trt-worker');
const savedEnv = { ...process.env };
let pdfPath = '';

/** What a machine with TensorRT 10 and an H100 would report; trtexec itself is found on PATH. */
function fakeAvailability(over: Partial<ProviderAvailability> = {}): Partial<ProviderAvailability> {
  return {
    platform: 'linux',
    arch: 'x64',
    // No CUDA EP: the pipeline serves on the CPU while engines build, as on a machine without cuDNN.
    epLibraries: { dir: '/opt/fake-ort', cuda: false, tensorrt: true, shared: true },
    gpu: { gpus: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', computeCapability: '9.0', driverVersion: '580.65.06', memoryUsedMiB: 0, memoryTotalMiB: 81559, uuid: null }], reason: null },
    nvinfer: { path: '/opt/fake-trt/libnvinfer.so.10', version: '10.9.0' },
    // No Vulkan loader: 'auto' would otherwise try WebGPU for det first, slowly, on this CPU-only box.
    vulkan: null,
    ...over,
  };
}

function useAvailability(name: string, availability: Partial<ProviderAvailability>, acceptEngines: boolean): void {
  const file = path.join(tmp.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ availability, acceptEngines }));
  // The host forks with process.env merged in, so the worker inherits these.
  process.env.LUCID_TEST_TRT_AVAILABILITY = file;
}


function waitFor(statuses: Status[], pred: (s: Status) => boolean, what: string, timeoutMs = 30_000): Promise<Status> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const hit = statuses.find(pred);
      if (hit) return resolve(hit);
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(statuses.map((s) => s.phase))}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

const building = (s: Status): s is Building => s.phase === 'building-engine';
const runs = (countFile: string) => (existsSync(countFile) ? readFileSync(countFile, 'utf8').trim().split('\n').filter(Boolean).length : 0);

before(async () => {
  const bin = path.join(tmp.dir, 'bin');
  mkdirSync(bin);
  copyFileSync(fakeTrtexec, path.join(bin, 'trtexec'));
  chmodSync(path.join(bin, 'trtexec'), 0o755);
  process.env.PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
  process.env.NODE_ENV = 'test';
  // About 1.5 s per engine (4 profiles: det, cls, 2× rec): long enough to OCR a page meanwhile.
  process.env.FAKE_TRTEXEC_LAYER_MS = '150';
  process.env.FAKE_TRTEXEC_LAYERS = '10';
  pdfPath = path.join(tmp.dir, 'one-page.pdf');
  writeFileSync(pdfPath, await multiPagePdf([`${PAGE_WORDS[0]} page 1`]));
});
after(() => {
  process.env = savedEnv;
  tmp.cleanup();
});

describe('TensorRT engine builds in the real worker, with a simulated trtexec (TensorRT cannot run here)', { timeout: 120_000 }, () => {
  // One host for the suite; each test restarts its worker (the engine:rebuild path) with new fakes.
  let host: OcrWorkerHost;
  let statuses: Status[] = [];
  before(() => {
    host = new OcrWorkerHost({ transport: forkTransport, pipelineOptions: { ep: 'auto', precision: 'fp32', cacheDir: path.join(tmp.dir, 'cache') }, restartBaseDelayMs: 100 });
    host.on('engine-status', (e) => statuses.push(e));
  });
  after(() => host.dispose());

  test('builds det/cls/rec in the background with progress at the host while OCR keeps serving on the CPU, then switches over', async () => {
    const countFile = path.join(tmp.dir, 'count-build');
    process.env.FAKE_TRTEXEC_COUNT_FILE = countFile;
    useAvailability('build', fakeAvailability(), true);
    {
      const first = await host.start();
      assert.ok(first.providers.every((p) => p.provider === 'cpu'), 'serves on the CPU before any engine exists');
      const tensorrtSkip = first.providers[0]!.fallbacks.find((f) => f.provider === 'tensorrt');
      assert.match(tensorrtSkip?.reason ?? '', /no TensorRT engine built yet/);

      await waitFor(statuses, building, 'the first building-engine event');
      // OCR during the build: the page comes back before the builds finish.
      const doc = await host.recognize({ jobId: 'during-build', input: pdfPath, pdfMode: 'ocr', dpi: 100 });
      assert.match(doc.pages[0]!.text, new RegExp(PAGE_WORDS[0], 'i'));
      const finalIndex = () => statuses.findIndex((s, i) => i > 0 && s.phase === 'ready' && statuses.slice(0, i).some(building));
      assert.equal(finalIndex(), -1, 'the page was served while engines were still building');

      const final = await waitFor(statuses, (s) => s.phase === 'ready' && statuses.slice(0, statuses.indexOf(s)).some(building), 'the switch-over');
      if (process.env.TRT_TEST_DEBUG) console.log(JSON.stringify(final, null, 1), statuses.map((s) => s.phase).join(','));
      const progress = statuses.filter(building);
      assert.deepEqual([...new Set(progress.map((p) => p.model))], ['det', 'cls', 'rec']);
      assert.ok(progress.every((p) => p.precision === 'fp32' && Array.isArray(p.logTail)));
      // Per engine (model + profile), elapsedMs only grows and the fraction reaches the end.
      for (const step of ['profile 1/1', 'profile 1/2', 'profile 2/2']) {
        for (const model of ['det', 'cls', 'rec'] as const) {
          const seq = progress.filter((p) => p.model === model && p.step.endsWith(`(${step})`));
          if (!seq.length) continue;
          assert.ok(seq.length >= 2, `${model} ${step}: more than one progress event`);
          for (let i = 1; i < seq.length; i++) assert.ok(seq[i]!.elapsedMs >= seq[i - 1]!.elapsedMs, `${model} ${step}: elapsedMs grows`);
          assert.ok(seq.at(-1)!.elapsedMs > seq[0]!.elapsedMs);
        }
      }
      assert.ok(progress.some((p) => p.fraction !== undefined && p.fraction > 0.5), 'the verbose log gives a progress fraction');
      assert.equal(runs(countFile), 4, `one trtexec run per profile (det, cls, rec ×2); ran:\n${readFileSync(countFile, 'utf8')}`);

      // The new pipeline planned TensorRT first; ORT's TensorRT EP cannot load here, so it says why and
      // the CPU serves: the switch-over path ran for real up to the EP load.
      assert.equal(final.phase, 'ready');
      if (final.phase !== 'ready') return;
      for (const p of final.info.providers) {
        assert.equal(p.provider, 'cpu');
        const trt = p.fallbacks.find((f) => f.provider === 'tensorrt');
        assert.ok(trt, `${p.stage}: the tensorrt attempt is reported`);
        assert.doesNotMatch(trt.reason, /no TensorRT engine built yet/, `${p.stage}: the engine was offered to ORT`);
      }
      const after = await host.recognize({ jobId: 'after-build', input: pdfPath, pdfMode: 'ocr', dpi: 100 });
      assert.match(after.pages[0]!.text, new RegExp(PAGE_WORDS[0], 'i'));

      // engine:rebuild's first half: the cached engines are dropped (and rebuilt by the next worker).
      // Every derived model goes: the 4 engines, the three folded models (engines/runtime/graph-fold.ts) and the
      // rec model with its argmax head (engines/runtime/rec-head.ts).
      const { removed } = await host.request('invalidateEngineCache', {});
      assert.equal(removed, 8);
    }
  });

  test('after the rebuild\'s invalidation a restarted worker builds again; cancelling stops trtexec and OCR keeps serving on the CPU', async () => {
    const countFile = path.join(tmp.dir, 'count-cancel');
    process.env.FAKE_TRTEXEC_COUNT_FILE = countFile;
    statuses = [];
    await host.restart();
    {
      await waitFor(statuses, building, 'the first building-engine event');
      assert.deepEqual(await host.request('cancelEngineBuild', {}), { cancelled: true });
      const fallback = await waitFor(statuses, (s) => s.phase === 'fallback', 'the cancelled fallback');
      assert.equal(fallback.phase, 'fallback');
      if (fallback.phase === 'fallback') assert.match(fallback.message, /^TensorRT engine build cancelled; using CPU$/);
      const doc = await host.recognize({ jobId: 'after-cancel', input: pdfPath, pdfMode: 'ocr', dpi: 100 });
      assert.match(doc.pages[0]!.text, new RegExp(PAGE_WORDS[0], 'i'));
      const info = await host.request('engineInfo', {});
      assert.ok(info.providers.every((p) => p.provider === 'cpu'));
      // Nothing builds after the cancel: one trtexec started (det), no later stage, no switch-over.
      const n = statuses.indexOf(fallback);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(runs(countFile), 1);
      assert.deepEqual(statuses.slice(n + 1).map((s) => s.phase), []);
      assert.ok(statuses.filter(building).every((p) => p.model === 'det'));
      assert.deepEqual(await host.request('cancelEngineBuild', {}), { cancelled: false }, 'nothing left to cancel');
    }
  });

  test('without TensorRT, one fallback notice says why and what serves', async () => {
    // The worker reads the file at init: rewrite it, then restart the worker.
    writeFileSync(process.env.LUCID_TEST_TRT_AVAILABILITY!, JSON.stringify({ availability: fakeAvailability({ nvinfer: null }) }));
    statuses = [];
    await host.restart();
    {
      await waitFor(statuses, (s) => s.phase === 'fallback', 'the fallback notice');
      // A settings change re-inits the same worker before the next job: the notice is not repeated.
      const pid = host.pid;
      host.setPipelineOptions({ ep: 'auto', precision: 'fp32', cacheDir: path.join(tmp.dir, 'cache'), intraOpNumThreads: 1 });
      const doc = await host.recognize({ jobId: 'no-trt', input: pdfPath, pdfMode: 'ocr', dpi: 100 });
      assert.match(doc.pages[0]!.text, new RegExp(PAGE_WORDS[0], 'i'));
      assert.equal(host.pid, pid, 'the same worker was re-initialised');
      assert.equal(statuses.filter((s) => s.phase === 'ready').length, 2);
      const fallbacks = statuses.filter((s) => s.phase === 'fallback');
      assert.deepEqual(fallbacks.map((s) => s.phase === 'fallback' && s.message), ['TensorRT not available: libnvinfer.so.10 not found (TensorRT 10 is not installed); using CPU']);
      assert.equal(statuses.filter(building).length, 0);
    }
  });
});
