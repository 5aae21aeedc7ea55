// Reliability of the CLI as users run it (separate processes, the real worker and pipeline on ORT CPU):
// a disk that fills up mid-batch, two runs on one --out folder, two `serve` on one port, odd file names.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_BUSY, EXIT_INTERNAL, OUT_LOCK_NAME } from '../../../../electron/headless/cli.js';
import { tempDir, textImagePng } from '../fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..', '..', '..');
const cliPath = path.join(repoRoot, 'electron', 'headless', 'cli.ts');
const faultModule = path.join(here, 'fault-enospc.ts');
// Absolute, so a run whose cwd is elsewhere (the odd-names test) still finds the loader.
const TSX_LOADER = import.meta.resolve('tsx');
const tmp = tempDir('cli-rel');
const MANIFEST = '.lucid-ocr-manifest.json';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; preload?: string[] } = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, ...(opts.preload ?? []).flatMap((p) => ['--import', p]), cliPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, LUCID_OCR_CACHE_DIR: path.join(tmp.dir, 'cache'), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}
const runCli = (args: string[], opts: Parameters<typeof startCli>[1] = {}) => startCli(args, opts).done;

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file under `dir`, relative, sorted (dot-files included: temp files must not survive). */
function listTree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const batch = path.join(tmp.dir, 'batch');
const WORDS = ['Alpha Report', 'Bravo Summary', 'Charlie Notes'];
before(async () => {
  mkdirSync(batch);
  for (const [i, w] of WORDS.entries()) writeFileSync(path.join(batch, `${i + 1}-${w.split(' ')[0]!.toLowerCase()}.png`), await textImagePng(w, { width: 600, height: 120 }));
});
after(() => tmp.cleanup());

describe('disk full while writing --out', { timeout: 120_000 }, () => {
  test('names the file, exits 1, leaves no partial output, keeps the manifest; a re-run resumes and finishes', async () => {
    const out = path.join(tmp.dir, 'out-full');
    // The second input's output hits a full disk (half its bytes written, then ENOSPC).
    const r1 = await runCli(['--format', 'json', '--out', out, batch], { preload: [faultModule], env: { LUCID_TEST_ENOSPC_MATCH: '2-bravo.png.json' } });
    assert.equal(r1.code, EXIT_INTERNAL, r1.stderr);
    const target = path.join(out, '2-bravo.png.json');
    assert.ok(r1.stderr.includes(`Could not write ${target}: no space left on device (ENOSPC)`), r1.stderr);
    assert.match(r1.stderr, /stopped: no room left to write into .*run the same command again to resume/);
    // The first output and a manifest naming only it; no temp file, no half output, no third output, no lock.
    assert.deepEqual(listTree(out), [MANIFEST, '1-alpha.png.json']);
    const manifest = JSON.parse(readFileSync(path.join(out, MANIFEST), 'utf8')) as { entries: Record<string, unknown> };
    assert.deepEqual(Object.keys(manifest.entries), ['1-alpha.png.json']);
    const first = readFileSync(path.join(out, '1-alpha.png.json'), 'utf8');
    assert.match(JSON.parse(first).pages[0].text, /Alpha/i);

    // Space is back: the same command skips the finished input and writes the rest.
    const r2 = await runCli(['--format', 'json', '--verbose', '--out', out, batch]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /1-alpha\.png: unchanged since/);
    assert.deepEqual(listTree(out), [MANIFEST, '1-alpha.png.json', '2-bravo.png.json', '3-charlie.png.json']);
    assert.equal(readFileSync(path.join(out, '1-alpha.png.json'), 'utf8'), first, 'the finished output is not rewritten');
    assert.match(JSON.parse(readFileSync(target, 'utf8')).pages[0].text, /Bravo/i);
    assert.equal(Object.keys((JSON.parse(readFileSync(path.join(out, MANIFEST), 'utf8')) as { entries: object }).entries).length, 3);
  });
});

describe('two runs on one --out folder', { timeout: 120_000 }, () => {
  test('the second is refused (exit 75, names the holder), the first finishes intact; a stale lock is broken', async () => {
    const out = path.join(tmp.dir, 'out-shared');
    mkdirSync(out);
    // A lock left by a run that died (pid far above pid_max): stale, so the first run takes the folder.
    writeFileSync(path.join(out, OUT_LOCK_NAME), JSON.stringify({ pid: 2 ** 30, hostname: (await import('node:os')).hostname(), createdAt: new Date().toISOString() }));
    const first = startCli(['--format', 'json', '--out', out, batch]);
    await waitFor(() => {
      try {
        return JSON.parse(readFileSync(path.join(out, OUT_LOCK_NAME), 'utf8')).pid === first.child.pid;
      } catch {
        return false;
      }
    }, 60_000, 'the first run to take the lock');
    const second = await runCli(['--format', 'json', '--out', out, batch]);
    assert.equal(second.code, EXIT_BUSY, second.stderr);
    assert.match(second.stderr, new RegExp(`another lucid-ocr run \\(pid ${first.child.pid}, started [^)]+\\) is writing into ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const r1 = await first.done;
    assert.equal(r1.code, 0, r1.stderr);
    assert.deepEqual(listTree(out), [MANIFEST, '1-alpha.png.json', '2-bravo.png.json', '3-charlie.png.json'], 'lock released, no temp files');
    for (const [i, w] of WORDS.entries()) {
      const doc = JSON.parse(readFileSync(path.join(out, listTree(out)[i + 1]!), 'utf8'));
      assert.match(doc.pages[0].text, new RegExp(w.split(' ')[0]!, 'i'));
    }
  });
});

describe('odd file names through the CLI', { timeout: 120_000 }, () => {
  test('spaces, unicode, quotes and a leading dash, in and out', async () => {
    const dir = path.join(tmp.dir, 'dossier à “quotes”');
    mkdirSync(dir);
    const dash = `-lead "q" 'x' ü.png`;
    writeFileSync(path.join(dir, dash), await textImagePng('Delta Letter', { width: 600, height: 120 }));
    mkdirSync(path.join(dir, 'sub dir ✓'));
    writeFileSync(path.join(dir, 'sub dir ✓', 'naïve $HOME `x`.png'), await textImagePng('Echo Memo', { width: 600, height: 120 }));
    const out = path.join(tmp.dir, 'out ü “x”');
    // A leading dash needs `--` (as for every Unix tool); the folder input walks the sub-folder's odd name.
    const r = await runCli(['--format', 'txt', '--out', out, '--', dash, 'sub dir ✓'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listTree(out), [MANIFEST, `${dash}.txt`, 'naïve $HOME `x`.png.txt'].sort());
    assert.match(readFileSync(path.join(out, `${dash}.txt`), 'utf8'), /Delta/i);
    assert.match(readFileSync(path.join(out, 'naïve $HOME `x`.png.txt'), 'utf8'), /Echo/i);
    // Without `--` the leading dash is an option, and the CLI says so (usage error, not a crash).
    const bad = await runCli([dash], { cwd: dir });
    assert.equal(bad.code, 64, bad.stderr);
  });
});

describe('two serve instances on one port', { timeout: 60_000 }, () => {
  test('the second says the port is in use and exits 75; the first keeps serving', async () => {
    const first = startCli(['serve', '--port', '0']);
    let url = '';
    try {
      await waitFor(() => /running at (http:\S+)/.test(readStdout(first)), 30_000, 'the first server');
      url = /running at (http:\S+)/.exec(readStdout(first))![1]!;
      const port = new URL(url).port;
      const second = await runCli(['serve', '--port', port]);
      assert.equal(second.code, EXIT_BUSY, second.stderr);
      assert.match(second.stderr, new RegExp(`lucid-ocr serve: port ${port} is already in use on 127\\.0\\.0\\.1: another lucid-ocr serve, or another program`));
      assert.doesNotMatch(second.stderr, /at .*\.(ts|js):\d+/, 'no stack trace');
      const res = await fetch(url);
      assert.equal(res.status < 500, true, `the first server still answers (${res.status})`);
    } finally {
      first.child.kill('SIGTERM');
      await first.done;
    }
  });
});

const stdoutOf = new WeakMap<ChildProcess, string>();
function readStdout(run: { child: ChildProcess }): string {
  if (!stdoutOf.has(run.child)) {
    stdoutOf.set(run.child, '');
    run.child.stdout!.on('data', (d: string) => stdoutOf.set(run.child, stdoutOf.get(run.child)! + d));
  }
  return stdoutOf.get(run.child)!;
}

