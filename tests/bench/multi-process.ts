/**
 * Experiment: page threads split over several processes (each with its own CUDA context, driver state and
 * libuv pool) against the same number of threads in one process. If the per-process state were what makes
 * a page's runs slower with many threads, two processes of 6 threads would beat one of 12.
 *
 *   node --import tsx tests/bench/multi-process.ts [--ep cuda] [--procs 2] [--threads 6] [--pages 240]
 *
 * Every process builds its pool, then all start together on their share of one --pages-page PDF of the scanned
 * bench pages (pdfMode 'ocr'); prints each process's pages/s and the aggregate over the common window. Not a
 * test: figures only (README, GPU section).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EpPreference } from '../../engines/types.js';
import { writeScanPdf } from './bench-pdf.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const here = fileURLToPath(import.meta.url);

/** steady: pages/s after each thread's first page; null when there are no more pages than threads. */
interface Result { pid: number; threads: number; pages: number; t0: number; end: number; steady: number | null }

if (args[0] === '--child') {
  const [, pdf, ep, threadsArg, first, count] = args;
  const { createOcrPipeline } = await import('../../engines/pipeline.js');
  const threads = Number(threadsArg);
  const pool = await createOcrPipeline({ ep: ep as EpPreference, concurrency: threads, cacheDir: path.join(os.tmpdir(), 'lucid-mp-cache') });
  if ('whenAllStarted' in pool) await (pool as { whenAllStarted(): Promise<void> }).whenAllStarted();
  process.send!('ready');
  await new Promise((r) => process.once('message', r));
  const t0 = Date.now();
  const done: number[] = [];
  const pages = Array.from({ length: Number(count) }, (_, i) => Number(first) + i);
  await pool.recognizeFile(pdf!, { dpi: 300, pdfMode: 'ocr', keepPages: false, pages, onPage: () => done.push(Date.now()) });
  const c = Math.min(threads, done.length - 1);
  const steady = c > 0 ? (done.length - c) / ((done.at(-1)! - done[c - 1]!) / 1000) : null;
  const result: Result = { pid: process.pid, threads, pages: done.length, t0, end: Date.now(), steady };
  process.send!(result);
  await pool.dispose();
  process.exit(0);
}

const procs = Number(flag('procs', '2'));
const threads = Number(flag('threads', '6'));
const pages = Number(flag('pages', '240'));
const ep = flag('ep', 'cuda');
const fixtures = path.resolve(path.dirname(here), '../fixtures/pdf');
const scans = fs.readdirSync(fixtures).filter((f) => f.endsWith('-scan.pdf')).sort().map((f) => path.join(fixtures, f));
const pdf = await writeScanPdf(scans, pages, path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-mp-')), `bench-${pages}p.pdf`));

const share = Math.floor(pages / procs);
const tCreate = Date.now();
const children = Array.from({ length: procs }, (_, k) => fork(here, ['--child', pdf, ep, String(threads), String(k * share), String(share)], { execArgv: process.execArgv }));
await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
console.log(`${procs} process(es) × ${threads} threads ready after ${((Date.now() - tCreate) / 1000).toFixed(0)} s`);
const results = await Promise.all(
  children.map((c) => {
    const r = new Promise<Result>((res) => c.once('message', (m) => res(m as Result)));
    c.send('go');
    return r;
  }),
);
for (const r of results) console.log(`  pid ${r.pid}: ${r.pages} pages in ${((r.end - r.t0) / 1000).toFixed(1)} s, steady ${r.steady?.toFixed(2) ?? '–'} pages/s`);
const n = results.reduce((s, r) => s + r.pages, 0);
const wallS = (Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.t0))) / 1000;
console.log(`aggregate: ${n} pages, ${(n / wallS).toFixed(2)} pages/s overall, ${results.every((r) => r.steady !== null) ? results.reduce((s, r) => s + r.steady!, 0).toFixed(2) : '–'} steady (sum)`);
