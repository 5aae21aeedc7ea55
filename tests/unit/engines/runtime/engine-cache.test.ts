import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE_ENTRY_KINDS, EngineCache, LockBusyError, cacheKeyId, type CacheKey } from '../../../../engines/runtime/engine-cache.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cacheModule = path.resolve(here, '../../../../engines/runtime/engine-cache.ts');

function key(over: Partial<CacheKey> = {}): CacheKey {
  return {
    kind: 'trt-engine',
    stage: 'det',
    modelSha256: 'a'.repeat(64),
    ortVersion: '1.29.0',
    trtVersion: '10.9.0',
    gpuName: 'NVIDIA H100 80GB HBM3',
    computeCapability: '9.0',
    driverVersion: '580.65.06',
    precision: 'fp16',
    shapeProfile: 'x:1x3x32x32/1x3x960x736/8x3x960x960',
    recipe: 'trtexec-0123456789ab',
    ...over,
  };
}

let root: string;
const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(path.join(root, 'c-'));
  dirs.push(d);
  return d;
}
before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'rt-cache-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A producer that writes `bytes` bytes of engine and a wrapper. */
const produce = (bytes: number, extra: Record<string, unknown> = {}) => async (dir: string) => {
  await writeFile(path.join(dir, 'model.engine'), Buffer.alloc(bytes, 1));
  await writeFile(path.join(dir, 'model_ctx.onnx'), 'ctx');
  return { buildMs: 1234, meta: extra };
};

describe('keys', () => {
  test('the id changes when any key part changes, and not for the stage label', () => {
    const base = cacheKeyId(key());
    const changes: Partial<CacheKey>[] = [
      { modelSha256: 'b'.repeat(64) },
      { ortVersion: '1.30.0' },
      { trtVersion: '10.10.0' },
      { gpuName: 'NVIDIA GeForce RTX 4090' },
      { computeCapability: '8.9' },
      { driverVersion: '575.51.03' },
      { precision: 'fp32' },
      { shapeProfile: 'x:1x3x32x32/1x3x640x640/1x3x960x960' },
      { recipe: 'trtexec-ffffffffffff' },
      { kind: 'fp16-model' },
      { kind: 'rec-head-model' },
      { kind: 'folded-model' },
    ];
    const ids = new Set(changes.map((c) => cacheKeyId(key(c))));
    assert.equal(ids.size, changes.length);
    assert.ok(!ids.has(base));
    assert.equal(cacheKeyId(key({ stage: 'rec' })), base);
  });
});

describe('put / lookup / invalidation', () => {
  test('a put entry is found with its files; a lookup with any other key part misses', async () => {
    const cache = new EngineCache({ rootDir: freshDir() });
    const e = await cache.put(key(), produce(1000));
    assert.deepEqual(e.files, [
      { name: 'model.engine', bytes: 1000, sha256: sha256(Buffer.alloc(1000, 1)) },
      { name: 'model_ctx.onnx', bytes: 3, sha256: sha256('ctx') },
    ]);
    assert.equal(e.totalBytes, 1003);
    assert.equal(e.buildMs, 1234);
    const hit = await cache.lookup(key());
    assert.ok(hit);
    assert.equal((await stat(path.join(hit.dir, 'model.engine'))).size, 1000);
    for (const change of [{ driverVersion: '575.0' }, { gpuName: 'other' }, { trtVersion: '10.8.0' }, { modelSha256: 'c'.repeat(64) }, { precision: 'fp32' as const }]) {
      assert.equal(await cache.lookup(key(change)), null, JSON.stringify(change));
    }
  });

  test('purgeStale removes entries of another environment or model, keeps FP16 models across GPUs', async () => {
    const cache = new EngineCache({ rootDir: freshDir() });
    const old = await cache.put(key({ driverVersion: '550.54.15' }), produce(10));
    const cur = await cache.put(key(), produce(10));
    const fp16 = await cache.put(key({ kind: 'fp16-model', trtVersion: null, gpuName: null, computeCapability: null, driverVersion: null, ortVersion: null, recipe: 'fp16-converter-1' }), produce(10));
    const removed = await cache.purgeStale({ driverVersion: '580.65.06', gpuName: 'NVIDIA H100 80GB HBM3', trtVersion: '10.9.0', ortVersion: '1.29.0' });
    assert.deepEqual(removed, [old.id]);
    assert.ok(!existsSync(old.dir));
    assert.deepEqual((await cache.list()).map((e) => e.id).sort(), [cur.id, fp16.id].sort());
    assert.deepEqual(await cache.purgeStale({ modelSha256s: ['z'.repeat(64)] }), [cur.id, fp16.id]);
  });

  test('invalidate one and invalidate all (the rebuild actions)', async () => {
    const cache = new EngineCache({ rootDir: freshDir() });
    const a = await cache.put(key(), produce(5));
    await cache.put(key({ stage: 'rec', shapeProfile: 'rec' }), produce(5));
    assert.equal(await cache.invalidate(a.id), true);
    assert.equal(await cache.lookup(key()), null);
    assert.equal(await cache.invalidate(a.id), false);
    assert.equal(await cache.invalidateAll(), 1);
    assert.deepEqual(await cache.list(), []);
  });

  test('validation verdicts and build-time estimates are kept', async () => {
    const cache = new EngineCache({ rootDir: freshDir() });
    const e = await cache.put(key(), produce(5));
    await cache.setValidation(e.id, { ok: false, reason: 'det map mean |Δ| 3e-2 exceeds 0.01', metrics: { meanAbsDiff: 0.03 }, validatedAt: 'now' });
    const hit = await cache.lookup(key());
    assert.equal(hit?.validation?.ok, false);
    assert.equal(await cache.estimateBuildMs(key()), 1234);
    // Same model/precision/profile on another driver: the history still gives an estimate after a purge.
    await cache.invalidateAll();
    assert.equal(await cache.estimateBuildMs(key({ driverVersion: 'new' })), 1234);
    assert.equal(await cache.estimateBuildMs(key({ stage: 'cls', modelSha256: 'd'.repeat(64) })), null);
  });
});

describe('damage and corruption', () => {
  for (const [label, text] of [
    ['garbage bytes', '\u0000\u0001not json at all'],
    ['truncated JSON', '{"schema":"lucid-ocr/engine-cache","version":1,"entries":[{"id":'],
    ['a foreign schema', '{"schema":"something-else","version":1,"entries":[]}'],
    ['a malformed entry', '{"schema":"lucid-ocr/engine-cache","version":1,"entries":[{"id":"nothex"}],"buildHistory":[]}'],
  ] as const) {
    test(`a manifest with ${label} is rebuilt from the entry folders, not a crash`, async () => {
      const logs: string[] = [];
      const dir = freshDir();
      const cache = new EngineCache({ rootDir: dir, log: (m) => logs.push(m) });
      const e = await cache.put(key(), produce(50));
      await writeFile(path.join(dir, 'manifest.json'), text);
      const hit = await cache.lookup(key());
      assert.equal(hit?.id, e.id, 'the entry survives through its entry.json');
      assert.match(logs.join('\n'), /manifest\.json is (not valid JSON|unusable)/);
      const rewritten = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
      assert.equal(rewritten.schema, 'lucid-ocr/engine-cache');
      assert.equal(rewritten.entries.length, 1);
    });
  }

  test('an entry whose file was truncated is dropped on lookup (and can be rebuilt)', async () => {
    const logs: string[] = [];
    const cache = new EngineCache({ rootDir: freshDir(), log: (m) => logs.push(m) });
    const e = await cache.put(key(), produce(2000));
    await writeFile(path.join(e.dir, 'model.engine'), Buffer.alloc(10));
    assert.equal(await cache.lookup(key()), null);
    assert.match(logs.join('\n'), /damaged \(model\.engine is 10 bytes, expected 2000\)/);
    assert.ok(!existsSync(e.dir));
    assert.ok(await cache.put(key(), produce(2000)));
  });

  test('a file changed in place (same size, other bytes) is caught by its sha256: dropped, and the rebuild says why', async () => {
    const logs: string[] = [];
    const dir = freshDir();
    const cache = new EngineCache({ rootDir: dir, log: (m) => logs.push(m) });
    const e = await cache.put(key(), produce(2000));
    const file = path.join(e.dir, 'model.engine');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([0x02, 0x03]), 0, 2, 1000); // two bytes in the middle: no size check can see it
    closeSync(fd);
    assert.equal(statSync(file).size, 2000);

    assert.equal(await cache.lookup(key()), null);
    const log = logs.join('\n');
    assert.match(log, /trt-engine entry [0-9a-f]{24} \(det\) is damaged \(model\.engine has the right size but other content: sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\); it will be rebuilt/);
    assert.ok(!existsSync(e.dir));
    const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.dropped.length, 1);
    assert.equal(manifest.dropped[0].id, e.id);
    assert.match(manifest.dropped[0].reason, /right size but other content/);

    const rebuilt = await cache.put(key(), produce(2000));
    assert.match(rebuilt.rebuiltBecause ?? '', /model\.engine has the right size but other content/);
    const after = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8'));
    assert.deepEqual(after.dropped, [], 'the note is consumed by the rebuild');
    assert.match(after.buildHistory.at(-1).rebuiltBecause, /other content/);
    assert.equal((await cache.lookup(key()))?.id, e.id, 'the rebuilt entry passes the check');
  });

  test('an entry from before hashes were kept is accepted on its sizes, gets its hashes recorded, and is checked from then on', async () => {
    const logs: string[] = [];
    const dir = freshDir();
    const cache = new EngineCache({ rootDir: dir, log: (m) => logs.push(m) });
    const e = await cache.put(key(), produce(300));
    // What the previous version wrote: files with name and size only, in the manifest and in entry.json.
    const strip = async (p: string, list: (x: any) => any[]) => {
      const j = JSON.parse(await readFile(p, 'utf8'));
      for (const en of list(j)) for (const f of en.files) delete f.sha256;
      await writeFile(p, JSON.stringify(j));
    };
    await strip(path.join(dir, 'manifest.json'), (m) => m.entries);
    await strip(path.join(e.dir, 'entry.json'), (en) => [en]);

    const hit = await cache.lookup(key());
    assert.equal(hit?.id, e.id);
    assert.match(logs.join('\n'), /predates content hashes; accepted on its sizes and its sha256 recorded/);
    const want = sha256(Buffer.alloc(300, 1));
    assert.equal(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')).entries[0].files[0].sha256, want);
    assert.equal(JSON.parse(await readFile(path.join(e.dir, 'entry.json'), 'utf8')).files[0].sha256, want, 'entry.json too (index rebuilds keep it)');

    await writeFile(path.join(e.dir, 'model.engine'), Buffer.alloc(300, 7));
    assert.equal(await cache.lookup(key()), null, 'from now on same-size damage is caught');
    assert.match(logs.join('\n'), /model\.engine has the right size but other content/);
  });

  test('an old manifest whose rec argmax-head model is filed as an fp16-model loads; that entry is a miss and purgeStale removes it', async () => {
    const dir = freshDir();
    const oldKey = key({ kind: 'fp16-model', stage: 'rec', ortVersion: null, trtVersion: null, gpuName: null, computeCapability: null, driverVersion: null, shapeProfile: 'dynamic', recipe: 'rec-argmax-head-1' });
    const id = cacheKeyId(oldKey);
    // Written by hand as the previous version laid it out: no sha256, no `dropped`.
    const entry = { id, key: oldKey, files: [{ name: 'model.rec-head.onnx', bytes: 4 }], totalBytes: 4, createdAt: '2026-01-01T00:00:00.000Z', lastUsedAt: '2026-01-01T00:00:00.000Z', buildMs: 5, validation: null };
    await mkdir(path.join(dir, 'entries', id), { recursive: true });
    await writeFile(path.join(dir, 'entries', id, 'model.rec-head.onnx'), 'onnx');
    await writeFile(path.join(dir, 'entries', id, 'entry.json'), JSON.stringify(entry));
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify({ schema: 'lucid-ocr/engine-cache', version: 1, entries: [entry], buildHistory: [] }));

    const logs: string[] = [];
    const cache = new EngineCache({ rootDir: dir, log: (m) => logs.push(m) });
    assert.deepEqual((await cache.list()).map((e) => e.id), [id], 'the old manifest is used as it is');
    assert.equal(await cache.lookup({ ...oldKey, kind: 'rec-head-model' }), null);
    assert.deepEqual(await cache.purgeStale({}), [id]);
    assert.deepEqual(await cache.list(), []);
    assert.ok(!existsSync(path.join(dir, 'entries', id)));
    assert.deepEqual(logs.filter((l) => /manifest|dropping/.test(l)), [], 'no recovery was needed');
    assert.deepEqual([...CACHE_ENTRY_KINDS].sort(), ['folded-model', 'fp16-model', 'rec-head-model', 'trt-engine']);
  });
});

describe('atomicity', () => {
  test('a producer that fails midway leaves no entry, no partial file and no temp folder', async () => {
    const dir = freshDir();
    const cache = new EngineCache({ rootDir: dir });
    await cache.put(key({ stage: 'cls', shapeProfile: 'cls' }), produce(10));
    const before = await readFile(path.join(dir, 'manifest.json'), 'utf8');
    await assert.rejects(
      cache.put(key(), async (d) => {
        await writeFile(path.join(d, 'model.engine'), Buffer.alloc(4096, 9)); // half an engine …
        throw new Error('trtexec died');
      }),
      /trtexec died/,
    );
    assert.equal(await cache.lookup(key()), null);
    assert.equal(await readFile(path.join(dir, 'manifest.json'), 'utf8'), before);
    assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
    assert.equal(readdirSync(path.join(dir, 'entries')).length, 1);
    assert.deepEqual(readdirSync(path.join(dir, 'locks')), [], 'the build lock is released');
  });

  test('a crash while writing the manifest keeps the old manifest and leaves no temp file', async () => {
    const dir = freshDir();
    let crash = false;
    const cache = new EngineCache({
      rootDir: dir,
      beforeManifestRename: () => {
        if (crash) throw new Error('simulated power cut');
      },
    });
    const a = await cache.put(key(), produce(10));
    const before = await readFile(path.join(dir, 'manifest.json'), 'utf8');
    crash = true;
    await assert.rejects(cache.invalidate(a.id), /simulated power cut/);
    assert.equal(await readFile(path.join(dir, 'manifest.json'), 'utf8'), before);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
  });

  test('leftover temp folders of dead processes are cleaned on the next put', async () => {
    const dir = freshDir();
    const cache = new EngineCache({ rootDir: dir });
    await mkdir(path.join(dir, 'tmp', `${'f'.repeat(24)}-p999999-abcd`), { recursive: true });
    await writeFile(path.join(dir, 'tmp', `${'f'.repeat(24)}-p999999-abcd`, 'model.engine'), 'partial');
    await cache.put(key(), produce(10));
    assert.deepEqual(readdirSync(path.join(dir, 'tmp')), []);
  });
});

describe('size limit', () => {
  test('least recently used entries are evicted past maxBytes; the new entry stays', async () => {
    const dir = freshDir();
    const logs: string[] = [];
    const cache = new EngineCache({ rootDir: dir, maxBytes: 2500, log: (m) => logs.push(m) });
    const k = (s: string) => key({ shapeProfile: s });
    const a = await cache.put(k('a'), produce(997));
    await new Promise((r) => setTimeout(r, 5));
    const b = await cache.put(k('b'), produce(997));
    await new Promise((r) => setTimeout(r, 5));
    await cache.lookup(k('a')); // a is now more recent than b
    await new Promise((r) => setTimeout(r, 5));
    const c = await cache.put(k('c'), produce(997));
    const ids = (await cache.list()).map((e) => e.id).sort();
    assert.deepEqual(ids, [a.id, c.id].sort());
    assert.ok(!existsSync(b.dir));
    assert.match(logs.join('\n'), new RegExp(`evicted ${b.id}`));
  });
});

describe('locking', () => {
  test('a stale manifest lock (dead owner) is broken; a live one times out with its holder named', async () => {
    const dir = freshDir();
    const logs: string[] = [];
    const cache = new EngineCache({ rootDir: dir, log: (m) => logs.push(m), lockTimeoutMs: 200 });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, '.lock'), JSON.stringify({ pid: 999999, hostname: os.hostname(), createdAt: new Date().toISOString() }));
    await cache.put(key(), produce(10));
    assert.match(logs.join('\n'), /Broke stale cache lock .*owner pid 999999 is gone/);

    // A live holder: this very process (its pid is alive), as another instance would be.
    await writeFile(path.join(dir, '.lock'), JSON.stringify({ pid: process.pid, hostname: os.hostname(), createdAt: new Date().toISOString(), purpose: 'test holder' }));
    await assert.rejects(cache.lookup(key()), (e: unknown) => e instanceof LockBusyError && /held by pid \d+ .*test holder/.test((e as Error).message));
  });

  // Real processes writing to one cache directory at the same time. Each loads the module, says READY,
  // and waits for a "go" file, so their put() calls really overlap however slow the machine is.
  function runWriters(dir: string, shapes: string[], holdMs: number): Promise<{ code: number; out: string }[]> {
    const go = path.join(dir, 'go');
    const script = (shape: string) => `
      import { EngineCache, LockBusyError } from ${JSON.stringify(cacheModule)};
      import { existsSync } from 'node:fs';
      import { writeFile } from 'node:fs/promises';
      import path from 'node:path';
      const cache = new EngineCache({ rootDir: ${JSON.stringify(dir)}, lockTimeoutMs: 20000 });
      const key = ${JSON.stringify(key())};
      key.shapeProfile = ${JSON.stringify(shape)};
      console.log('READY');
      while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 5));
      try {
        const e = await cache.put(key, async (d) => {
          await writeFile(path.join(d, 'model.engine'), Buffer.alloc(300, 3));
          await new Promise((r) => setTimeout(r, ${holdMs}));
        });
        for (let i = 0; i < 5; i++) await cache.lookup(key);
        console.log('OK ' + e.id);
      } catch (err) {
        console.log((err instanceof LockBusyError ? 'BUSY ' : 'ERR ') + err.message);
      }`;
    let ready = 0;
    return Promise.all(
      shapes.map(
        (shape) =>
          new Promise<{ code: number; out: string }>((resolve) => {
            const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(shape)], { stdio: ['ignore', 'pipe', 'inherit'] });
            let out = '';
            child.stdout.on('data', (c) => {
              out += c;
              if (/READY/.test(String(c)) && ++ready === shapes.length) void writeFile(go, '');
            });
            child.on('close', (code) => resolve({ code: code ?? -1, out: out.replace('READY', '').trim() }));
          }),
      ),
    );
  }

  test('four processes adding entries at once: all four land, manifest stays valid', async () => {
    const dir = freshDir();
    const results = await runWriters(dir, ['p1', 'p2', 'p3', 'p4'], 100);
    for (const r of results) assert.match(r.out, /^OK [0-9a-f]{24}$/, r.out);
    const cache = new EngineCache({ rootDir: dir });
    assert.equal((await cache.list()).length, 4);
    assert.equal(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')).entries.length, 4);
  });

  test('two processes building the same key: one builds, the other is told who is building', async () => {
    const dir = freshDir();
    const results = await runWriters(dir, ['same', 'same'], 500);
    const outs = results.map((r) => r.out).sort();
    assert.match(outs[0]!, /^BUSY Cache lock .*held by pid \d+/);
    assert.match(outs[1]!, /^OK /);
    assert.equal((await new EngineCache({ rootDir: dir }).list()).length, 1);
  });
});
