/**
 * Whole-pipeline benchmark (issue 3 item 7): every available EP × precision, each in a fresh child process.
 *
 *   npm run bench -- [--quick] [--eps cpu,cuda,webgpu] [--precisions fp32,fp16] [--pages N]
 *                    [--pdf-pages N] [--batch-sizes 1,6,12,24,48] [--sweep-lines N] [--sweep-repeats N]
 *                    [--concurrency N] [--throughput-pages N] [--pool-only] [--no-fold] [--rec-rows N] [--rec-pack on|off] [--thread-starts N]
 *                    [--warm-threads on|off] [--warm-pages N] [--cuda-wait block|spin] [--rec-pages N]
 *                    [--uv-threads N] [--out FILE] [--md FILE]
 *
 * --rec-rows N: OcrPipelineOptions.recBatchRows (rows per recognition run on GPU EPs) for every pipeline.
 * --rec-pack on|off: OcrPipelineOptions.recPack (several lines per recognition row; default on GPU EPs) for every pipeline.
 * --thread-starts N: page threads after the first that start at once (page-pool threadStartsForTest; default 1, one
 * after another). An experiment: 8 and 14 at once aborted the process on the H100 in onnxruntime-node 1.29.0.
 * --warm-threads on|off: OcrPipelineOptions.warmThreads (idle page threads OCR a built-in PDF after loading; default on
 * GPU EPs). The pool run waits for it before its timed pages, as a pool created before documents arrive (the app) does.
 * --warm-pages N: OcrPipelineOptions.warmPages (pages of that PDF each thread OCRs; default 4).
 * --rec-pages N: OcrPipelineOptions.recBatchPages (the lines of N consecutive pages share one recognition pass).
 * --cuda-wait block|spin: OcrPipelineOptions.cudaWait (how threads wait for the GPU; engines/runtime/cuda-wait.ts).
 * --uv-threads N: UV_THREADPOOL_SIZE for the children (libuv's pool runs sharp's decodes and zlib for
 * every page thread of the process; node's default is 4).
 *
 * --pool-only: for each configuration only the "pool pages/s" run (page-parallel threads over a PDF of
 * --throughput-pages pages): no single-pipeline pages, sweep or FP16 comparison. For precisions whose
 * pipelines start slowly (FP16 on CUDA: cuDNN's search over FP16 shapes), where the full run does not fit.
 *
 * --no-fold: every pipeline loads the ONNX files as shipped instead of their folded versions
 * (engines/runtime/graph-fold.ts), to measure what the folds are worth.
 *
 * --concurrency N: page-parallel threads (OcrPipelineOptions.concurrency) for the many-page PDF run and the
 * "pool pages/s" column (recognizeFile over a PDF of --throughput-pages pages, default the timed page count;
 * 0 skips it). Unset: the pipeline's default (1 on the CPU EP, min(12, cores × 3/4, memory / 4 GiB) on a GPU).
 *
 * --quick: 1 timed page, a 3-page PDF, sweep on 12 lines with 1 timed repeat (a smoke run on a small CPU).
 *
 * Writes JSON to tests/.artifacts/bench-<host>-<timestamp>.json (or --out) and prints a markdown report
 * naming the machine. An EP that is unavailable, fails or falls back is reported with its reason.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectProviderAvailability, planProviders } from '../../engines/runtime/execution-providers.js';
import { queryNvidiaGpus } from '../../engines/runtime/gpu-info.js';
import type { ExecutionProviderName, Precision } from '../../engines/types.js';
import type { ChildConfig } from './bench-child.js';
import { writeScanPdf } from './bench-pdf.js';
import { STAGE_KEYS, round } from './bench-stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');

const gpuQuery = await queryNvidiaGpus().catch(() => ({ gpus: [], reason: 'nvidia-smi failed' }));
const hasGpu = gpuQuery.gpus.length > 0;
const eps = (flag('eps') ?? (hasGpu ? 'cuda,webgpu,cpu' : 'cpu')).split(',') as ExecutionProviderName[];
const precisions = (flag('precisions') ?? 'fp32,fp16').split(',') as Precision[];
const pages = Number(flag('pages') ?? (quick ? 1 : hasGpu ? 40 : 4));
const pdfPages = Number(flag('pdf-pages') ?? (hasGpu ? 500 : quick ? 3 : 20));
const batchSizes = (flag('batch-sizes') ?? '1,6,12,24,48').split(',').map(Number);
const sweepLines = Number(flag('sweep-lines') ?? (quick ? 12 : 0));
const sweepRepeats = Number(flag('sweep-repeats') ?? (quick ? 1 : 3));
// The CPU EP takes seconds per page: on a GPU machine it gets fewer pages so the whole matrix fits one run.
const cpuPages = Number(flag('cpu-pages') ?? (hasGpu ? Math.min(pages, 5) : pages));
const dpi = 300;
const concurrency = flag('concurrency') === undefined ? undefined : Number(flag('concurrency'));
if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) throw new Error(`--concurrency must be a positive integer (got ${flag('concurrency')})`);
const throughputPagesFlag = flag('throughput-pages') === undefined ? undefined : Number(flag('throughput-pages'));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outFile = flag('out') ?? path.join(root, 'tests/.artifacts', `bench-${os.hostname()}-${stamp}.json`);
const mdFile = flag('md');
// --no-fold: load the models as shipped instead of folded (engines/runtime/graph-fold.ts), for an A/B.
const foldGraphs = !args.includes('--no-fold');
const poolOnly = args.includes('--pool-only');
const recRowsFlag = flag('rec-rows');
/** A flag that takes one of two words, or is absent. */
function choiceFlag<T extends string>(name: string, words: readonly [T, T]): T | undefined {
  const v = flag(name);
  if (v !== undefined && !(words as readonly string[]).includes(v)) throw new Error(`--${name} takes ${words.join(' or ')}`);
  return v as T | undefined;
}
const recPackFlag = choiceFlag('rec-pack', ['on', 'off']);
const threadStartsFlag = flag('thread-starts');
const warmThreadsFlag = choiceFlag('warm-threads', ['on', 'off']);
const warmPagesFlag = flag('warm-pages');
const cudaWaitFlag = choiceFlag('cuda-wait', ['block', 'spin']);
const recPagesFlag = flag('rec-pages');
const childOptions = {
  ...(threadStartsFlag === undefined ? {} : { threadStarts: Number(threadStartsFlag) }),
  ...(warmThreadsFlag === undefined ? {} : { warmThreads: warmThreadsFlag === 'on' }),
  ...(warmPagesFlag === undefined ? {} : { warmPages: Number(warmPagesFlag) }),
  ...(cudaWaitFlag === undefined ? {} : { cudaWait: cudaWaitFlag }),
  ...(recPagesFlag === undefined ? {} : { recBatchPages: Number(recPagesFlag) }),
  ...(recRowsFlag === undefined ? {} : { recBatchRows: Number(recRowsFlag) }),
  ...(recPackFlag === undefined ? {} : { recPack: recPackFlag === 'on' }),
};
const uvThreads = flag('uv-threads');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lucid-bench-'));

// 300-dpi A4 text pages: the synthetic A4 PNG and the image-only scan PDFs (2480×3508 at 300 dpi).
const fixtures = path.join(root, 'tests/fixtures');
const sources = [
  path.join(fixtures, 'synthetic/a4-300dpi.png'),
  ...fs.readdirSync(path.join(fixtures, 'pdf')).filter((f) => f.endsWith('-scan.pdf')).sort().map((f) => path.join(fixtures, 'pdf', f)),
];

function machine() {
  const cpus = os.cpus();
  const g = gpuQuery.gpus;
  return {
    host: os.hostname(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    ramGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAvgStart: os.loadavg().map((v) => round(v, 2)),
    gpus: g.map((x) => `${x.name} (driver ${x.driverVersion}, ${x.memoryTotalMiB} MiB)`),
    gpuReason: gpuQuery.reason,
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
  };
}

/** Builds an N-page PDF by drawing the scan fixtures' pages (embedded once, shared) on new A4 pages. */
async function buildPdf(n: number): Promise<string> {
  return writeScanPdf(sources.filter((s) => s.endsWith('.pdf')), n, path.join(tmp, `bench-${n}p.pdf`));
}


function runChild(cfg: Omit<ChildConfig, 'out' | 'spawnedAtMs' | 'cacheDir'>, label: string): Promise<Record<string, any>> {
  const out = path.join(tmp, `${label}.json`);
  const full: ChildConfig = { ...cfg, out, spawnedAtMs: Date.now(), cacheDir: path.join(tmp, `cache-${label}`) };
  const childPath = path.join(here, `bench-child${path.extname(fileURLToPath(import.meta.url))}`);
  return new Promise((resolve) => {
    const env = uvThreads === undefined ? process.env : { ...process.env, UV_THREADPOOL_SIZE: uvThreads };
    const child = spawn(process.execPath, [...process.execArgv, childPath, JSON.stringify({ ...full, ...childOptions })], { stdio: ['ignore', 'inherit', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      // ORT's warnings are noisy; keep the tail for the report.
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      let r: Record<string, any> = {};
      try {
        r = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch {
        r = { error: `child wrote no result (exit ${code ?? signal})` };
      }
      if (code !== 0) r.exit = { code, signal, stderrTail: stderr.slice(-1500) };
      resolve(r);
    });
  });
}

const f = (v: unknown, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? String(round(v, d)) : '–');

function markdown(report: Record<string, any>): string {
  const m = report.machine;
  const L: string[] = [];
  L.push(`# Lucid OCR benchmark, ${report.startedAt}`);
  L.push('');
  L.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, ${m.platform}, Node ${m.node}; GPU: ${m.gpus.length ? m.gpus.join('; ') : `none (${m.gpuReason ?? 'no nvidia-smi'})`}`);
  L.push(`Models: ${report.foldGraphs === false ? 'as shipped (--no-fold)' : 'graph folds on (engines/runtime/graph-fold.ts; --no-fold for the files as shipped)'}.`);
  L.push(`Load average at start ${m.loadAvgStart.join(' / ')}, at end ${report.loadAvgEnd.join(' / ')} (1/5/15 min; other work shares this machine when it is > 0).`);
  L.push(`Pages: ${report.pages} timed pages (CPU EP: ${report.cpuPages ?? report.pages}) + 1 cold page per configuration, cycling ${report.sources.map((s: string) => path.basename(s)).join(', ')} (300 dpi A4, ${report.configs[0]?.run?.imageSize ?? '?'} px).`);
  L.push('');
  L.push('## Whole pipeline (decode/render + det + cls + rec + layout), per configuration in a fresh process');
  L.push('');
  L.push('| EP / precision | ran as (det, cls, rec) | create ms (cold) | create ms (warm) | spawn → 1st page ms | pages/s | p50 ms | p95 ms | decode | det pre | det run | det post | crop | cls | rec pre | rec run | rec post | layout | lines/page | peak RSS MiB | GPU MiB | pool pages/s (threads, steady) |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of report.configs) {
    const name = `${c.ep} ${c.precision}`;
    if (c.unavailable) { L.push(`| ${name} | not available: ${c.unavailable} |`); continue; }
    if ((c.error || c.pipelineError) && !c.run) { L.push(`| ${name} | FAILED: ${String(c.error ?? c.pipelineError).split('\n')[0]} |`); continue; }
    const ran = (c.providers ?? []).map((p: any) => `${p.provider}/${p.precision}`).join(', ');
    if (c.deviations?.length) {
      const planned = c.deviations.every((d: string) => d.includes(' as planned'));
      L.push(`| ${name} | ${planned ? 'RAN AS PLANNED' : 'FELL BACK'}: ${c.deviations.join(' · ')} | (numbers below are for what ran) |`);
    }
    const s = c.run?.stageMeansMs ?? {};
    L.push(`| ${name}${c.deviations?.length ? ' (ran as shown)' : ''} | ${ran} | ${f(c.coldStart?.createMs, 0)} | ${f(c.warmCreateMs, 0)} | ${f(c.coldStart?.sinceSpawnMs, 0)} | ${f(c.run?.pagesPerS, 2)} | ${f(c.run?.latencyP50Ms, 0)} | ${f(c.run?.latencyP95Ms, 0)} | ${f(s.decodeMs)} | ${f(s.detPreMs)} | ${f(s.detRunMs)} | ${f(s.detPostMs)} | ${f(s.cropMs)} | ${f(s.clsMs)} | ${f(s.recPreMs)} | ${f(s.recRunMs)} | ${f(s.recPostMs)} | ${f(s.layoutMs)} | ${f(c.run?.linesPerPage, 0)} | ${f(c.peakRssMiB, 0)} | ${c.gpuMemUsedMiB ?? '–'} | ${c.throughput?.error ? `FAILED: ${String(c.throughput.error).split('\n')[0]}` : c.throughput ? `${f(c.throughput.pagesPerS, 2)} (${c.throughput.concurrency}, ${f(c.throughput.steadyPagesPerS, 2)}; ${c.throughput.pages} pages${c.throughput.failures ? `, ${c.throughput.failures} failed` : ''})` : '–'} |`);
  }
  L.push('');
  const pooled = report.configs.filter((c: any) => c.throughput?.steadyStageMeansMs);
  if (pooled.length) {
    L.push('');
    L.push('Pool pages, steady state: mean ms per page inside a thread while the others run (what contention adds to the one-pipeline columns):');
    L.push('');
    const loadLines: string[] = [];
    L.push('| EP / precision | threads | decode | det pre | det run | det post | crop | cls | rec pre | rec run | rec post | layout | total |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of pooled) {
      const m = c.throughput.steadyStageMeansMs;
      L.push(`| ${c.ep} ${c.precision} | ${c.throughput.concurrency} | ${STAGE_KEYS.map((k) => f(m[k])).join(' | ')} |`);
      const ld = c.throughput.load;
      if (ld) loadLines.push(`${c.ep} ${c.precision}, ${c.throughput.concurrency} threads: ${ld.cpuBusyCores === null ? 'cores busy not sampled' : `${f(ld.cpuBusyCores, 1)} of ${ld.cores} cores busy`}; ${ld.gpuBusyPercent ? `GPU busy ${f(ld.gpuBusyPercent.mean, 0)}% (max ${f(ld.gpuBusyPercent.max, 0)}%, ${ld.gpuBusyPercent.samples} samples)` : 'no GPU figures (nvidia-smi absent)'}.`);
      const first = c.throughput.firstStageMeansMs;
      if (first) L.push(`| ${c.ep} ${c.precision}, first ${c.throughput.concurrency} pages (until ${f(c.throughput.firstPagesS, 1)} s) | ${c.throughput.concurrency} | ${STAGE_KEYS.map((k) => f(first[k])).join(' | ')} |`);
    }
    L.push('');
    if (loadLines.length) {
      L.push(`Machine load during the pool run (whole timed run): ${loadLines.join(' ')}`);
      L.push('');
    }
  }
  L.push('Stage columns: mean ms per page; pages/s: one page after another through recognizeImage. Pool pages/s: recognizeFile over a PDF of the pages with page-parallel threads (pool created beforehand), overall and steady (after each thread’s first page). Cold start = the child process start → pipeline created → first page done; warm = a second createOcrPipeline in the same process. GPU MiB: nvidia-smi memory.used right after the run (pipeline still loaded).');
  L.push('');
  L.push(`## Recognition batch-size sweep (crops of one page, ${report.sweepLines || 'all'} lines; ms per line, median of ${report.sweepRepeats} after a warm run; this configuration's EP/precision, no gate)`);
  L.push('');
  const bs = report.batchSizes as number[];
  L.push(`| EP / precision | lines | ${bs.map((b) => `batch ${b}`).join(' | ')} |`);
  L.push(`|---|---|${bs.map(() => '---').join('|')}|`);
  for (const c of report.configs) {
    if (!c.sweep) { if (c.sweepError) L.push(`| ${c.ep} ${c.precision} | FAILED: ${c.sweepError} |`); continue; }
    const row = bs.map((b) => { const e = c.sweep.find((x: any) => x.batchSize === b); return e?.error ? `failed: ${e.error}` : f(e?.msPerLine, 2); });
    L.push(`| ${c.ep} ${c.precision} | ${c.sweep[0]?.lines ?? '–'} | ${row.join(' | ')} |`);
  }
  L.push('');
  L.push('## FP16 vs FP32 on the same inputs (forced FP16 sessions, no validation gate)');
  L.push('');
  L.push('| EP | det input | det run ms fp32 → fp16 | det map |Δ| max / mean / median | det rel max / mean / median | rec input | rec run ms fp32 → fp16 | rec prob |Δ| max / mean / median | rec rel max / mean / median | det+rec text CER | pipeline page CER |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  const e3 = (v: unknown) => (typeof v === 'number' ? v.toExponential(2) : '–');
  for (const c of report.configs) {
    const x = c.fp16VsFp32;
    if (!x) continue;
    if (x.error && !x.detMap) { L.push(`| ${c.ep} | FAILED: ${x.error} |`); continue; }
    const pc = Array.isArray(x.pipelineCer) ? x.pipelineCer.map((r: any) => `${(r.rate * 100).toFixed(2)}%`).join(', ') : x.pipelineCer;
    L.push(`| ${c.ep} | ${x.detInput?.join('×')} | ${f(x.detRunMs?.fp32)} → ${f(x.detRunMs?.fp16)} | ${e3(x.detMap?.maxAbs)} / ${e3(x.detMap?.meanAbs)} / ${e3(x.detMap?.medianAbs)} | ${e3(x.detMap?.maxRel)} / ${e3(x.detMap?.meanRel)} / ${e3(x.detMap?.medianRel)} | ${x.recInput?.join('×')} | ${f(x.recRunMs?.fp32)} → ${f(x.recRunMs?.fp16)} | ${e3(x.recProb?.maxAbs)} / ${e3(x.recProb?.meanAbs)} / ${e3(x.recProb?.medianAbs)} | ${e3(x.recProb?.maxRel)} / ${e3(x.recProb?.meanRel)} / ${e3(x.recProb?.medianRel)} | ${x.detRecCer ? `${(x.detRecCer.rate * 100).toFixed(2)}% (${x.detRecCer.errors}/${x.detRecCer.referenceLength})` : '–'} | ${pc ?? '–'} |`);
  }
  L.push('');
  L.push('Relative error = |fp32 − fp16| / max(|fp32|, 1e-3). det+rec text CER: FP32 det+rec vs FP16 det+rec on the first page (no cls/layout). Pipeline page CER: createOcrPipeline FP32 vs FP16 page texts, only where the FP16 pipeline really ran FP16.');
  L.push('');
  const truthRows = report.configs.flatMap((c: any) => (Array.isArray(c.fp16VsFp32?.truthCer) ? c.fp16VsFp32.truthCer.map((t: any) => ({ ep: c.ep, ...t })) : []));
  if (truthRows.length) {
    L.push('Against the ground truth (the same pipeline pages; the goal is FP16 within 0.2 CER points of FP32):');
    L.push('');
    L.push('| EP | page | CER fp32 | CER fp16 | fp16 − fp32 (points) |');
    L.push('|---|---|---:|---:|---:|');
    for (const t of truthRows) L.push(`| ${t.ep} | ${t.source} | ${f(t.fp32Percent, 2)}% | ${f(t.fp16Percent, 2)}% | ${t.deltaPoints >= 0 ? '+' : ''}${f(t.deltaPoints, 2)} |`);
    L.push('');
  }
  const p = report.pdf;
  L.push(`## Many-page PDF, streamed (recognizeFile + onPage, pages not kept): ${p?.config ? `${p.config.ep} ${p.config.precision}` : ''}`);
  L.push('');
  if (!p || p.skipped) L.push(`Not run${p?.skipped ? `: ${p.skipped}` : ''}.`);
  else if (!p.pdf) L.push(`FAILED: ${String(p.error ?? 'no result').split('\n')[0]}`);
  else {
    const d = p.pdf;
    if (d.deviations?.length) L.push(`FELL BACK: ${d.deviations.join(' · ')}`);
    L.push(`N = ${d.pages} pages (requested ${report.pdfPages}; ${d.failures} failed; ${d.concurrency ?? 1} thread${d.concurrency === 1 ? '' : 's'}), ${f(d.wallS)} s, ${f(d.pagesPerS, 2)} pages/s overall; pages/s over ${d.windowPages}-page windows: first ${f(d.pagesPerSFirst, 2)}, middle ${f(d.pagesPerSMiddle, 2)}, last ${f(d.pagesPerSLast, 2)}. Peak RSS ${f(d.peakRssMiB, 0)} MiB; GPU ${p.gpuMemUsedMiB ?? '–'} MiB.`);
    L.push('');
    L.push(`RSS MiB by page: ${d.rssSamples.map((s: any) => `${s.page}: ${f(s.rssMiB, 0)}`).join(', ')}`);
    const split = d.rssSamples.filter((s: any) => s.split);
    if (split.length) {
      L.push('');
      L.push(`Of which anonymous / file-backed (shared libraries) / shmem MiB: ${split.map((s: any) => `${s.page}: ${f(s.split.anon, 0)} / ${f(s.split.file, 0)} / ${f(s.split.shmem, 0)}`).join(', ')}`);
    }
  }
  L.push('');
  return L.join('\n');
}

if (flag('render')) {
  // Re-render the markdown of a saved (possibly partial) JSON report.
  const r = JSON.parse(fs.readFileSync(flag('render')!, 'utf8'));
  r.loadAvgEnd ??= ['?'];
  console.log(markdown(r));
  process.exit(0);
}
const report: Record<string, any> = { startedAt: new Date().toISOString(), machine: machine(), pages, cpuPages, pdfPages, concurrency: concurrency ?? 'default', batchSizes, sweepLines, sweepRepeats, sources, foldGraphs, ...childOptions, uvThreads: uvThreads ?? 'default', configs: [] };
const available = await detectProviderAvailability();
report.availability = { ortBackends: available.ortBackends, epLibraries: available.epLibraries, cudnn: available.cudnn, vulkan: available.vulkan };
const save = () => {
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, JSON.stringify(report, null, 1));
};
async function runPdf(): Promise<void> {
  // The many-page run on the first configuration that ran as asked (CUDA FP32 on the GPU machine).
  const primary = report.configs.find((c: any) => c.run && !c.deviations?.length && c.precision === 'fp32') ?? report.configs.find((c: any) => c.run);
  if (primary && pdfPages > 0) {
    process.stderr.write(`bench: ${pdfPages}-page PDF on ${primary.ep} ${primary.precision} …\n`);
    const pdfPath = await buildPdf(pdfPages);
    const r = await runChild({ mode: 'pdf', ep: primary.ep, precision: primary.precision, pages: pdfPages, sources, dpi, batchSizes, compareFp16: false, foldGraphs, pdfPath, sweepLines, sweepRepeats, ...(concurrency ? { concurrency } : {}) }, 'pdf');
    report.pdf = { config: { ep: primary.ep, precision: primary.precision }, ...r };
  } else report.pdf = { skipped: pdfPages > 0 ? 'no configuration ran' : '--pdf-pages 0' };
}

for (const [epIndex, ep] of eps.entries()) {
  for (const precision of precisions) {
    const label = `${ep}-${precision}`;
    const plan = planProviders({ stage: 'det', preference: ep, precision, available });
    if (plan.candidates[0]?.provider !== ep) {
      const why = plan.skipped.find((s) => s.provider === ep)?.reason ?? `planned ${plan.candidates[0]?.provider}`;
      report.configs.push({ ep, precision, unavailable: why });
      continue;
    }
    process.stderr.write(`bench: ${label} …\n`);
    const timed = ep === 'cpu' ? cpuPages : pages;
    const throughputPages = throughputPagesFlag ?? timed;
    const throughput = throughputPages > 0 ? { throughputPdf: await buildPdf(throughputPages), throughputPages } : {};
    const r = await runChild({ mode: 'pipeline', ep, precision, pages: timed, sources, dpi, batchSizes, compareFp16: true, foldGraphs, poolOnly, sweepLines, sweepRepeats, ...throughput, ...(concurrency ? { concurrency } : {}) }, label);
    report.configs.push({ ep, precision, ...r });
    save();
  }
  // The many-page run right after the first EP (CUDA FP32 on the GPU machine), before the slow ones.
  if (epIndex === 0) {
    await runPdf();
    save();
  }
}
report.loadAvgEnd = os.loadavg().map((v) => round(v, 2));
report.finishedAt = new Date().toISOString();
save();
const md = markdown(report);
if (mdFile) fs.writeFileSync(mdFile, md);
console.log(md);
console.log(`JSON: ${outFile}`);
fs.rmSync(tmp, { recursive: true, force: true });
