// The CLI as users run it: a separate process (tsx on the TypeScript source), the real worker and the
// real pipeline on ONNX Runtime CPU.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESULT_SCHEMA_ID } from '../../../../engines/types.js';
import { EXIT_USAGE } from '../../../../electron/headless/cli.js';
import { runMain } from './run-main.js';
import { tempDir, textImagePng } from '../fixtures.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const cliPath = path.join(repoRoot, 'electron', 'headless', 'cli.ts');
const tmp = tempDir('cli');
const good = path.join(tmp.dir, 'hello.png');
const good2 = path.join(tmp.dir, 'second.png');
const emptyPng = path.join(tmp.dir, 'empty.png');
const notes = path.join(tmp.dir, 'notes.xyz');
const missing = path.join(tmp.dir, 'missing.png');
const emptyFolder = path.join(tmp.dir, 'empty-folder');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cliPath, ...args], {
      cwd: repoRoot,
      env: { ...process.env, LUCID_OCR_CACHE_DIR: path.join(tmp.dir, 'cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (s: string) => s.split('\n').filter((l) => l.trim().length > 0);

before(async () => {
  writeFileSync(good, await textImagePng('Hello Lucid World'));
  writeFileSync(good2, await textImagePng('Second Image Here'));
  writeFileSync(emptyPng, '');
  writeFileSync(notes, 'These are my notes, not an image.\n');
  mkdirSync(emptyFolder);
});
after(() => tmp.cleanup());


describe('lucid-ocr CLI', { timeout: 120_000 }, () => {
  test('OCRs synthetic images to stdout as text, one header line per input', async () => {
    const r = await runCli([good, good2]);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out[0], `==> ${good} <==`);
    assert.match(out[1]!, /Hello Lucid World/i);
    assert.equal(out[2], `==> ${good2} <==`);
    assert.match(out[3]!, /Second Image Here/i);
    assert.equal(r.stderr, '', 'quiet without --verbose');
  });

  test('--format json has the result schema shape', async () => {
    const r = await runCli(['--format', 'json', good]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.$schema, RESULT_SCHEMA_ID);
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.source.name, 'hello.png');
    assert.match(doc.source.sha256, /^[0-9a-f]{64}$/);
    assert.equal(doc.pages.length, 1);
    assert.deepEqual(doc.failures, []);
    const page = doc.pages[0];
    assert.equal(page.width, 900);
    assert.equal(page.height, 200);
    const allLines = page.blocks.flatMap((b: { lines: unknown[] }) => b.lines);
    assert.ok(allLines.length >= 1);
    for (const line of allLines) {
      assert.equal(typeof line.text, 'string');
      assert.ok(line.confidence > 0 && line.confidence <= 1);
      assert.equal(line.quad.length, 4);
      for (const w of line.words) assert.equal(w.quad.length, 4);
    }
    assert.match(page.text, /Hello Lucid World/i);
    assert.ok(doc.engine.providers.length === 3, 'providers per stage');
  });

  test('bad inputs: one line each naming the file, exit 2, good files still written; re-run skips them', async () => {
    const out = path.join(tmp.dir, 'out');
    const args = ['--out', out, good, emptyPng, notes, missing, good2];
    const r = await runCli(args);
    assert.equal(r.code, 2, r.stderr);
    const errs = lines(r.stderr);
    assert.equal(errs.length, 3, r.stderr);
    for (const bad of [emptyPng, notes, missing]) {
      const mine = errs.filter((l) => l.startsWith(`lucid-ocr: ${bad}: `));
      assert.equal(mine.length, 1, `exactly one line for ${bad}:\n${r.stderr}`);
    }
    assert.match(errs.find((l) => l.includes('notes.xyz'))!, /text|not an image|unsupported|recogni[sz]ed/i);
    assert.match(readFileSync(path.join(out, 'hello.png.txt'), 'utf8'), /Hello Lucid World/i);
    assert.match(readFileSync(path.join(out, 'second.png.txt'), 'utf8'), /Second/i);
    // Atomic writes leave no temp files behind; bad inputs leave no output.
    assert.deepEqual(readdirSync(out).sort(), ['.lucid-ocr-manifest.json', 'hello.png.txt', 'second.png.txt']);

    const before = statSync(path.join(out, 'hello.png.txt')).mtimeMs;
    const again = await runCli(['--verbose', ...args]);
    assert.equal(again.code, 2, 'the bad inputs are still bad');
    assert.match(again.stderr, /hello\.png: unchanged since .*skipped/);
    assert.equal(statSync(path.join(out, 'hello.png.txt')).mtimeMs, before, 'a finished output is not rewritten');
  });

  test('an empty folder is one line naming it, exit 2', async () => {
    const r = await runCli([emptyFolder]);
    assert.equal(r.code, 2);
    const errs = lines(r.stderr);
    assert.equal(errs.length, 1, r.stderr);
    assert.match(errs[0]!, /empty-folder/);
    assert.equal(r.stdout, '');
  });

  test('usage errors exit 64; --help and --version exit 0', async () => {
    // The process exit status itself, once.
    const spawned = await runCli([]);
    assert.equal(spawned.code, 64);
    for (const args of [[], ['--format', 'pdf', good], ['--pages', '3-1', good], ['--pages', '0', good], ['--dpi', '5', good], ['--no-such-flag', good], ['--ep', 'gpu', good], ['--out', '', good]]) {
      const r = await runMain(args);
      assert.equal(r.code, EXIT_USAGE, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^lucid-ocr: .+\nTry 'lucid-ocr --help'\.\n$/);
      assert.equal(r.stdout, '');
    }
    const help = await runMain(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: lucid-ocr/);
    assert.match(help.stdout, /Exit status/);
    const version = await runMain(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^lucid-ocr \d+\.\d+\.\d+\n$/);
  });
});
