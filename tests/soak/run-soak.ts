/**
 * Soak run (issue 5): a long PDF and a big folder through the real CLI and through the inference worker,
 * watching memory and throughput. A script, not a test: it prints measurements and asserts nothing.
 *
 *   npm run soak -- [--pages 500] [--files 1000] [--dpi 120] [--ep cpu] [--concurrency N]
 *                   [--only pdf|folder] [--via cli|worker|both] [--minutes M] [--json FILE] [--keep]
 *
 * --minutes M: stop each run after M minutes (Ctrl-C to the CLI, cancel to the worker) and report what was
 * done by then; a run stopped so is marked "stopped at M min". On a shared machine this keeps a soak bounded.
 *
 * The PDF is built with pdf-lib from the real scans (tests/fixtures/pdf/*-scan.pdf): each scan page is
 * embedded once as a form XObject and every page shows a 60 pt band of one, so 500 pages stay ~1.3 MB. The
 * folder holds small PNG/JPEG tiles cut from those scans (real print, small so CPU time stays sane).
 * Memory is sampled every second from /proc/<pid>/status (VmRSS, VmHWM) of the CLI and its worker, or of
 * the worker the host in this process forked. Runs the compiled CLI (dist/): `npm run build` first.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { OcrWorkerHost } from '../../electron/main/worker/ocr-worker-host.js';
import { forkTransport } from '../../electron/main/worker/transports.js';
import type { EpPreference } from '../../engines/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cliJs = path.join(root, 'dist/electron/headless/cli.js');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const pageCount = Number(flag('pages') ?? 500);
const fileCount = Number(flag('files') ?? 1000);
const dpi = Number(flag('dpi') ?? 120);
const ep = (flag('ep') ?? 'cpu') as EpPreference;
const concurrency = flag('concurrency');
const only = flag('only') as 'pdf' | 'folder' | undefined;
const via = (flag('via') ?? 'both') as 'cli' | 'worker' | 'both';
const keep = args.includes('--keep');
const minutes = flag('minutes') === undefined ? undefined : Number(flag('minutes'));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-soak-'));
const jsonPath = path.resolve(flag('json') ?? path.join(workDir, `soak-${stamp}.json`));

const SAMPLE_INTERVAL_MS = 1000;
const BANDS_PER_SCAN_PAGE = 4;
const BAND_HEIGHT_PT = 60;

interface Sample {
  tMs: number;
  pagesDone: number | null;
  /** Sum over the sampled processes (CLI + worker, or the worker alone). */
  rssKb: number;
  hwmKb: number;
  perPid: Record<number, { rssKb: number; hwmKb: number }>;
}

interface RunResult {
  name: string;
  via: 'cli' | 'worker';
  input: string;
  pages: number;
  dpi: number | null;
  elapsedS: number;
  pagesPerS: number;
  exitCode: number | null;
  errors: number;
  samples: Sample[];
  loadAvgStart: number[];
  loadAvgEnd: number[];
  note?: string;
}

function readStatusKb(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(s);
    const hwm = /VmHWM:\s+(\d+)/.exec(s);
    if (!rss || !hwm) return undefined;
    return { rssKb: Number(rss[1]), hwmKb: Number(hwm[1]) };
  } catch {
    return undefined;
  }
}

/** The pid and every descendant (the CLI's worker), from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue;
    }
    for (const t of tasks) {
      try {
        for (const c of fs.readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
      } catch {
        // the task ended between the listing and the read
      }
    }
  }
  return out;
}

class Sampler {
  readonly samples: Sample[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #t0 = performance.now();
  constructor(
    private readonly pids: () => number[],
    private readonly pagesDone: () => number | null,
  ) {}
  start(): void {
    this.sample();
    this.#timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }
  sample(): void {
    const perPid: Sample['perPid'] = {};
    let rssKb = 0;
    let hwmKb = 0;
    for (const pid of this.pids()) {
      const s = readStatusKb(pid);
      if (!s) continue;
      perPid[pid] = s;
      rssKb += s.rssKb;
      hwmKb += s.hwmKb;
    }
    if (Object.keys(perPid).length === 0) return;
    this.samples.push({ tMs: Math.round(performance.now() - this.#t0), pagesDone: this.pagesDone(), rssKb, hwmKb, perPid });
  }
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}

// ---------- inputs ----------

async function scanFixtures(): Promise<string[]> {
  const dir = path.join(root, 'tests/fixtures/pdf');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('-scan.pdf'))
    .sort()
    .map((f) => path.join(dir, f));
}

async function buildPdf(pages: number): Promise<string> {
  const out = await PDFDocument.create();
  // Each scan page is embedded ONCE; every PDF page draws it shifted so that one band of it falls inside
  // the (short) page. A full scan page holds 60-80 lines (~15 s each on this shared 2-core box), so pages
  // are bands of real print instead; the shared XObject keeps the file at the size of the scans.
  const bands: { page: Awaited<ReturnType<PDFDocument['embedPage']>>; bottomPt: number }[] = [];
  for (const file of await scanFixtures()) {
    const src = await PDFDocument.load(fs.readFileSync(file));
    for (let i = 0; i < src.getPageCount(); i++) {
      const embedded = await out.embedPage(src.getPage(i));
      for (let b = 0; b < BANDS_PER_SCAN_PAGE; b++) bands.push({ page: embedded, bottomPt: embedded.height * (0.85 - b * 0.2) - BAND_HEIGHT_PT });
    }
  }
  for (let i = 0; i < pages; i++) {
    const band = bands[i % bands.length]!;
    const page = out.addPage([band.page.width, BAND_HEIGHT_PT]);
    page.drawPage(band.page, { x: 0, y: -band.bottomPt });
  }
  const file = path.join(workDir, `soak-${pages}-pages.pdf`);
  fs.writeFileSync(file, await out.save());
  return file;
}

/** Small tiles of real print: each scan page rendered once at 150 dpi (pdftoppm), cut into 640×120 strips. */
async function buildFolder(files: number): Promise<string> {
  const dir = path.join(workDir, `soak-${files}-files`);
  fs.mkdirSync(dir, { recursive: true });
  const tiles: Buffer[] = [];
  for (const pdf of await scanFixtures()) {
    const prefix = path.join(workDir, path.basename(pdf, '.pdf'));
    const r = spawnSync('pdftoppm', ['-r', '150', '-gray', '-png', pdf, prefix]);
    if (r.status !== 0) throw new Error(`pdftoppm failed on ${pdf}: ${r.stderr}`);
  }
  for (const png of fs.readdirSync(workDir).filter((f) => f.endsWith('.png')).sort()) {
    const img = sharp(path.join(workDir, png));
    const { width = 0, height = 0 } = await img.metadata();
    for (let top = Math.round(height * 0.1); top + 120 < height * 0.9; top += 120) {
      for (let left = Math.round(width * 0.08); left + 640 < width; left += 640) {
        tiles.push(await sharp(path.join(workDir, png)).extract({ left, top, width: 640, height: 120 }).png().toBuffer());
      }
    }
  }
  for (let i = 0; i < files; i++) {
    const tile = tiles[i % tiles.length]!;
    // Alternate formats so both decoders soak; sub-folders of 100 so the walk is exercised too.
    const sub = path.join(dir, `part-${String(Math.floor(i / 100)).padStart(2, '0')}`);
    if (i % 100 === 0) fs.mkdirSync(sub, { recursive: true });
    const name = path.join(sub, `tile-${String(i).padStart(4, '0')}`);
    if (i % 2 === 0) fs.writeFileSync(`${name}.png`, tile);
    else fs.writeFileSync(`${name}.jpg`, await sharp(tile).jpeg({ quality: 85 }).toBuffer());
  }
  return dir;
}

// ---------- runs ----------

function cliHasFlag(name: string): boolean {
  const r = spawnSync(process.execPath, [cliJs, '--help'], { encoding: 'utf8' });
  return r.stdout.includes(`--${name}`);
}

function countOutputs(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.json') && !e.name.startsWith('.')) n++;
    }
  };
  walk(dir);
  return n;
}

/**
 * --minutes for one run: calls `stop` once M minutes have passed (never without --minutes). `note` is then
 * "stopped at M min" for the report; clear() when the run ends by itself.
 */
function runDeadline(stop: () => void): { readonly note: string | undefined; clear(): void } {
  let note: string | undefined;
  const timer =
    minutes === undefined
      ? undefined
      : setTimeout(() => {
          note = `stopped at ${minutes} min`;
          stop();
        }, minutes * 60_000);
  return {
    get note() {
      return note;
    },
    clear: () => clearTimeout(timer),
  };
}

async function runCli(name: string, input: string, pages: number, isPdf: boolean): Promise<RunResult> {
  const outDir = path.join(workDir, `out-${name}`);
  const cliArgs = [cliJs, '--format', 'json', '--out', outDir, '--ep', ep, input];
  if (isPdf) cliArgs.push('--dpi', String(dpi), '--pdf-mode', 'ocr');
  if (concurrency !== undefined) {
    if (cliHasFlag('concurrency')) cliArgs.push('--concurrency', concurrency);
    else console.error('soak: this CLI has no --concurrency flag; running without it.');
  }
  const loadAvgStart = os.loadavg();
  const t0 = performance.now();
  const child = spawn(process.execPath, cliArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // The CLI writes a PDF's result when the whole document is done: mid-run page counts exist only for folders.
  const sampler = new Sampler(
    () => (child.pid ? processTree(child.pid) : []),
    () => (isPdf ? null : countOutputs(outDir)),
  );
  sampler.start();
  // SIGINT: the CLI finishes the current file's page and keeps finished outputs.
  const deadline = runDeadline(() => child.kill('SIGINT'));
  const exitCode: number | null = await new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  deadline.clear();
  sampler.stop();
  const elapsedS = (performance.now() - t0) / 1000;
  let done = isPdf ? 0 : countOutputs(outDir);
  if (isPdf) {
    try {
      const doc = JSON.parse(fs.readFileSync(path.join(outDir, `${path.basename(input)}.json`), 'utf8')) as { pages: unknown[] };
      done = doc.pages.length;
    } catch {
      done = 0;
    }
  }
  // The CLI's own Ctrl-C notice (sent by --minutes) is not an error.
  const errors = stderr.split('\n').filter((l) => l.startsWith('lucid-ocr:') && !l.startsWith('lucid-ocr: interrupted')).length;
  if (errors) console.error(stderr.split('\n').slice(0, 10).join('\n'));
  return { name, via: 'cli', input, pages: done, dpi: isPdf ? dpi : null, elapsedS, pagesPerS: done / elapsedS, exitCode, errors, samples: sampler.samples, loadAvgStart, loadAvgEnd: os.loadavg(), ...(deadline.note ? { note: deadline.note } : {}) };
}

async function runWorker(name: string, inputs: string[], isPdf: boolean): Promise<RunResult> {
  // The compiled worker, like the CLI's, so both runs measure the same code (and not tsx's transpiling).
  const distWorker = path.join(root, 'dist/electron/worker/index.js');
  const host = new OcrWorkerHost({ transport: forkTransport, pipelineOptions: { ep }, ...(fs.existsSync(distWorker) ? { entry: distWorker } : {}) });
  let done = 0;
  let errors = 0;
  host.on('page-done', () => done++);
  host.on('page-failed', () => errors++);
  const loadAvgStart = os.loadavg();
  const t0 = performance.now();
  await host.start();
  // The host is this process; the worker is the process that holds the models and the pages.
  const sampler = new Sampler(
    () => (host.pid ? [host.pid] : []),
    () => done,
  );
  sampler.start();
  const abort = new AbortController();
  const deadline = runDeadline(() => abort.abort());
  for (const input of inputs) {
    if (abort.signal.aborted) break;
    try {
      await host.recognize({ input, ...(isPdf ? { dpi, pdfMode: 'ocr' as const } : {}) }, { signal: abort.signal });
    } catch (e) {
      if (abort.signal.aborted) break;
      errors++;
      console.error(`soak: ${input}: ${(e as Error).message}`);
    }
  }
  deadline.clear();
  sampler.sample();
  sampler.stop();
  const elapsedS = (performance.now() - t0) / 1000;
  await host.dispose();
  return { name, via: 'worker', input: inputs.length === 1 ? inputs[0]! : `${inputs.length} files`, pages: done, dpi: isPdf ? dpi : null, elapsedS, pagesPerS: done / elapsedS, exitCode: null, errors, samples: sampler.samples, loadAvgStart, loadAvgEnd: os.loadavg(), note: `worker RSS only${deadline.note ? `; ${deadline.note}` : ''}` };
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

// ---------- report ----------

const mb = (kb: number) => (kb / 1024).toFixed(0);
const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');

function sampleAt(r: RunResult, frac: number): Sample | undefined {
  if (r.samples.length === 0) return undefined;
  return r.samples[Math.min(r.samples.length - 1, Math.round((r.samples.length - 1) * frac))];
}

/** Pages/s over the window that ends at this sample (the previous ~10 % of the run), where pages are known. */
function rateAround(r: RunResult, frac: number): string {
  const i = Math.min(r.samples.length - 1, Math.round((r.samples.length - 1) * frac));
  const j = Math.max(0, i - Math.max(1, Math.round(r.samples.length * 0.1)));
  const a = r.samples[j];
  const b = r.samples[i];
  if (!a || !b || a.pagesDone === null || b.pagesDone === null || b.tMs === a.tMs) return 'n/a';
  return ((b.pagesDone - a.pagesDone) / ((b.tMs - a.tMs) / 1000)).toFixed(2);
}

function table(results: RunResult[]): string {
  const lines = [
    '| run | via | pages | dpi | time (s) | pages/s | RSS start (MB) | RSS middle (MB) | RSS end (MB) | peak VmHWM (MB) | pages/s start / mid / end | load avg start → end | exit | errors | note |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|',
  ];
  for (const r of results) {
    const s = sampleAt(r, 0.02);
    const m = sampleAt(r, 0.5);
    const e = sampleAt(r, 1);
    const peak = Math.max(0, ...r.samples.map((x) => x.hwmKb));
    lines.push(
      `| ${r.name} | ${r.via} | ${r.pages} | ${r.dpi ?? '-'} | ${r.elapsedS.toFixed(0)} | ${r.pagesPerS.toFixed(2)} | ${s ? mb(s.rssKb) : '-'} | ${m ? mb(m.rssKb) : '-'} | ${e ? mb(e.rssKb) : '-'} | ${mb(peak)} | ${rateAround(r, 0.15)} / ${rateAround(r, 0.5)} / ${rateAround(r, 1)} | ${la(r.loadAvgStart)} → ${la(r.loadAvgEnd)} | ${r.exitCode ?? '-'} | ${r.errors} | ${r.note ?? ''} |`,
    );
  }
  return lines.join('\n');
}

// ---------- main ----------

if (!fs.existsSync(cliJs) && via !== 'worker') {
  console.error(`soak: ${cliJs} is missing: run \`npm run build\` first.`);
  process.exit(1);
}
console.log(`soak on ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, ${mb(os.totalmem() / 1024)} MB RAM, node ${process.version}; load average at start ${la(os.loadavg())}`);
console.log(`work dir ${workDir}`);
const results: RunResult[] = [];
const vias = via === 'both' ? (['cli', 'worker'] as const) : ([via] as const);
if (only !== 'folder') {
  const t = performance.now();
  const pdf = await buildPdf(pageCount);
  console.log(`built ${pageCount}-page PDF (${(fs.statSync(pdf).size / 1024).toFixed(0)} KB) in ${((performance.now() - t) / 1000).toFixed(1)} s; OCR at ${dpi} dpi`);
  for (const v of vias) {
    const r = v === 'cli' ? await runCli(`pdf-${pageCount}p`, pdf, pageCount, true) : await runWorker(`pdf-${pageCount}p`, [pdf], true);
    results.push(r);
    console.log(table([r]).split('\n')[2]);
  }
}
if (only !== 'pdf') {
  const t = performance.now();
  const dir = await buildFolder(fileCount);
  const files = listFiles(dir);
  console.log(`built a folder of ${files.length} PNG/JPEG tiles (640×120 px) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  for (const v of vias) {
    const r = v === 'cli' ? await runCli(`folder-${fileCount}f`, dir, fileCount, false) : await runWorker(`folder-${fileCount}f`, files, false);
    results.push(r);
    console.log(table([r]).split('\n')[2]);
  }
}
console.log('');
console.log(`Soak, ${os.cpus().length}-core ${os.cpus()[0]?.model ?? ''}, ep ${ep}${concurrency ? `, concurrency ${concurrency}` : ''}; load average at end ${la(os.loadavg())}`);
console.log('');
console.log(table(results));
console.log('');
console.log('RSS = VmRSS summed over the CLI and its worker (via cli; the last sample may come after the worker has exited) or of the worker (via worker); peak = the largest summed VmHWM seen. pages/s start/mid/end: over the ~10 % of samples ending at 15 % / 50 % / 100 % of the run; n/a where the CLI reports pages only at the end (a single PDF).');
fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
fs.writeFileSync(jsonPath, JSON.stringify({ machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, totalMemMb: Math.round(os.totalmem() / 1048576), node: process.version }, options: { pageCount, fileCount, dpi, ep, concurrency: concurrency ?? null, only: only ?? null, via }, results }, null, 2));
console.log(`JSON: ${jsonPath}`);
if (!keep) {
  for (const e of fs.readdirSync(workDir)) if (path.join(workDir, e) !== jsonPath) fs.rmSync(path.join(workDir, e), { recursive: true, force: true });
}
