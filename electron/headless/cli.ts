#!/usr/bin/env node
/**
 * `lucid-ocr`: OCR files and folders from the command line, and `lucid-ocr serve` for the browser app.
 * The engine runs in a worker process by default (see HELP for why); results are written atomically and
 * a batch with --out resumes where it stopped.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { OcrPipelineOptions, PdfMode, RecognizeOptions } from '../../engines/api.js';
import { OcrError, toOcrError } from '../../engines/errors.js';
import { toJson } from '../../engines/export/to-json.js';
import { toText } from '../../engines/export/to-text.js';
import { DEFAULT_PDF_DPI, MAX_PDF_DPI, MIN_PDF_DPI } from '../../engines/input/types.js';
import { describeThreads } from '../../engines/parallel/page-pool.js';
import type { EngineInfo, EpPreference, OcrDocument, Page, PageFailure, Precision, SerializedOcrError, StageProvider } from '../../engines/types.js';
import { LockBusyError, acquireLock } from '../../engines/runtime/fs-atomic.js';
import { describeFsError, writeFileAtomic } from '../main/atomic-write.js';
import { expandInputPaths } from '../main/handlers/expand-paths.js';
import { OcrWorkerHost } from '../main/worker/ocr-worker-host.js';
import { forkTransport } from '../main/worker/transports.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;
/** BSD sysexits EX_USAGE. */
export const EXIT_USAGE = 64;
/** BSD sysexits EX_TEMPFAIL: another run holds the --out folder; try again when it has finished. */
export const EXIT_BUSY = 75;
const EXIT_INTERRUPTED = 130;

const MANIFEST_NAME = '.lucid-ocr-manifest.json';
/** Held (O_EXCL, with the owner's pid) by the run writing into an --out folder. */
export const OUT_LOCK_NAME = '.lucid-ocr.lock';
/** A batch may run for many hours: only a dead owner (same host) or a day-old lock counts as stale. */
const OUT_LOCK_STALE_MS = 24 * 3600_000;

export const HELP = `Usage: lucid-ocr [options] <file or folder>...
       lucid-ocr serve [--port N] [--host ADDRESS]

Reads the text in images (PNG, JPEG, WebP, TIFF, BMP, GIF) and PDFs with PaddleOCR PP-OCRv4.
Folders are searched recursively for supported files; a file named explicitly is read whatever its
extension (its content decides).

Output
  -f, --format txt|json  txt (default): plain text in reading order, pages separated by a form feed.
                         json: the full result (blocks, lines, words, boxes in page pixels,
                         confidences, timings, providers); schema https://lucid-ocr.dev/schema/document/v1
  -o, --out DIR          Write one file per input into DIR, named after the input with the format's
                         extension added (scan.pdf -> scan.pdf.txt), keeping the sub-folders of folder
                         inputs. Each file is written atomically when its input is complete. Running the
                         same command again skips inputs whose output exists and whose content is unchanged
                         (DIR/${MANIFEST_NAME} records their sha256), so an interrupted batch resumes.
                         Without --out, results go to stdout: one input prints its text (or JSON) alone;
                         several inputs print, for txt, each preceded by a "==> path <==" line, and for
                         json, one JSON document per line (JSON Lines).

Recognition
      --pages LIST       Pages to read, 1-based, e.g. 1-3,5 (default: all).
      --dpi N            PDF render resolution, ${MIN_PDF_DPI}..${MAX_PDF_DPI} (default ${DEFAULT_PDF_DPI}).
      --pdf-mode MODE    auto (default): use a PDF's own text layer where it has a usable one and OCR the
                         other pages; ocr: always OCR; text-layer: never OCR.

Engine
      --ep EP            auto (default) | cpu | cuda | tensorrt | webgpu | dml | coreml
      --precision P      fp32 (default) | fp16
      --concurrency N    Pages OCRed at once, each in its own thread, 1..64 (default: 1 on the CPU EP,
                         whose threads already use every core; on a GPU, half the CPU cores up to 8).
      --in-process       Run the engine in this process instead of a worker process. By default a worker
                         runs it, so a crash in native code (a GPU driver fault, an out-of-memory kill)
                         does not end the batch: the worker restarts and the document resumes where it
                         stopped (a page that crashes it twice is reported and skipped). --in-process
                         saves the worker's start-up and suits profiling and debugging.

Other
  -v, --verbose          Per file: the execution provider that ran each stage and why faster ones were
                         not used, per-page stage timings, page warnings, skipped files.
  -h, --help             This help.
  -V, --version          The version.

A progress bar is shown on stderr when it is a terminal and a file has more than one page.

Exit status
  0   every input was read
  2   some input was bad: each problem is one line on stderr naming the file (and page); the other
      inputs are still processed and written
  1   internal failure (engine could not start, worker kept crashing, output could not be written:
      the message names the file; nothing half-written is left and a re-run resumes)
  64  usage error (unknown option, bad value, no input)
  75  another lucid-ocr run is writing into the same --out folder (DIR/${OUT_LOCK_NAME} names
      its pid), or, for serve, the port is already in use; try again when it has finished
  130 interrupted (Ctrl-C): outputs already finished are kept, nothing half-written is left
`;

interface CliOptions {
  format: 'txt' | 'json';
  outDir?: string;
  pages?: number[];
  dpi?: number;
  pdfMode?: PdfMode;
  ep: EpPreference;
  precision: Precision;
  /** Page-parallel threads (OcrPipelineOptions.concurrency); unset: the engine's default. */
  concurrency?: number;
  inProcess: boolean;
  verbose: boolean;
  inputs: string[];
}

class UsageError extends Error {}

export function parsePageList(spec: string): number[] {
  const pages = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`--pages: "${part}" is not a page or a range (use e.g. 1-3,5).`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < 1) throw new UsageError('--pages: pages are numbered from 1.');
    if (to < from) throw new UsageError(`--pages: the range ${from}-${to} runs backwards.`);
    if (to - from > 100_000) throw new UsageError(`--pages: the range ${from}-${to} is too long.`);
    for (let p = from; p <= to; p++) pages.add(p - 1);
  }
  return [...pages].sort((a, b) => a - b);
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got "${value}").`);
  return value as T;
}

function parseCli(argv: string[]): CliOptions | 'help' | 'version' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        format: { type: 'string', short: 'f' },
        out: { type: 'string', short: 'o' },
        pages: { type: 'string' },
        dpi: { type: 'string' },
        'pdf-mode': { type: 'string' },
        ep: { type: 'string' },
        precision: { type: 'string' },
        concurrency: { type: 'string' },
        'in-process': { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (v.version) return 'version';
  let dpi: number | undefined;
  if (v.dpi !== undefined) {
    dpi = Number(v.dpi);
    if (!Number.isInteger(dpi) || dpi < 36 || dpi > 1200) throw new UsageError(`--dpi must be an integer from 36 to 1200 (got "${v.dpi}").`);
  }
  let concurrency: number | undefined;
  if (v.concurrency !== undefined) {
    concurrency = Number(v.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency must be an integer from 1 to 64 (got "${v.concurrency}").`);
  }
  if (parsed.positionals.length === 0) throw new UsageError('no input: give one or more files or folders.');
  if (v.out !== undefined && v.out.trim() === '') throw new UsageError('--out needs a folder.');
  return {
    format: oneOf('--format', v.format, ['txt', 'json'] as const, 'txt'),
    ...(v.out !== undefined ? { outDir: path.resolve(v.out) } : {}),
    ...(v.pages !== undefined ? { pages: parsePageList(v.pages) } : {}),
    ...(dpi !== undefined ? { dpi } : {}),
    ...(v['pdf-mode'] !== undefined ? { pdfMode: oneOf('--pdf-mode', v['pdf-mode'], ['auto', 'ocr', 'text-layer'] as const, 'auto') } : {}),
    ep: oneOf('--ep', v.ep, ['auto', 'cpu', 'cuda', 'tensorrt', 'webgpu', 'dml', 'coreml'] as const, 'auto'),
    precision: oneOf('--precision', v.precision, ['fp32', 'fp16'] as const, 'fp32'),
    ...(concurrency !== undefined ? { concurrency } : {}),
    inProcess: v['in-process'] ?? false,
    verbose: v.verbose ?? false,
    inputs: parsed.positionals,
  };
}

export function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lucid-ocr' && pkg.version) return pkg.version;
    } catch {
      // keep walking up
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

/** Where TensorRT engines and converted FP16 models are cached between runs. */
export function defaultCacheDir(): string {
  if (process.env.LUCID_OCR_CACHE_DIR) return process.env.LUCID_OCR_CACHE_DIR;
  if (process.platform === 'win32') return path.join(process.env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'lucid-ocr', 'cache');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'lucid-ocr');
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'lucid-ocr');
}

/** What the CLI needs from an engine; the worker host and an in-process pipeline both provide it. */
interface CliEngine {
  start(): Promise<EngineInfo>;
  recognize(file: string, opts: Omit<RecognizeOptions, 'signal'>, signal: AbortSignal): Promise<OcrDocument>;
  dispose(): Promise<void>;
  /** Worker restarts so far (0 in process). */
  readonly restarts: number;
}

function workerEngine(options: OcrPipelineOptions, log: (line: string) => void, verbose: boolean, entry: string | undefined): CliEngine {
  const host = new OcrWorkerHost({ transport: forkTransport, pipelineOptions: options, ...(entry ? { entry } : {}) });
  host.on('log', (e) => {
    if (verbose || e.level === 'error') log(`[worker ${e.pid ?? '-'}] ${e.message}`);
  });
  host.on('worker-exit', (e) => {
    if (!e.expected) log(`lucid-ocr: the OCR worker stopped unexpectedly (${e.signal ? `signal ${e.signal}` : `exit code ${e.code}`}); restarting it.`);
  });
  return {
    start: () => host.start(),
    recognize: (file, opts, signal) =>
      host.recognize(
        { input: file, ...(opts.pages ? { pages: opts.pages } : {}), ...(opts.dpi ? { dpi: opts.dpi } : {}), ...(opts.pdfMode ? { pdfMode: opts.pdfMode } : {}) },
        {
          signal,
          ...(opts.onPage ? { onPage: opts.onPage } : {}),
          ...(opts.onPageFailure ? { onPageFailure: opts.onPageFailure } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        },
      ),
    dispose: () => host.dispose(),
    get restarts() {
      return host.restartCount;
    },
  };
}

function inProcessEngine(options: OcrPipelineOptions): CliEngine {
  let pipeline: Awaited<ReturnType<typeof import('../../engines/pipeline.js').createOcrPipeline>> | undefined;
  return {
    async start() {
      const { createOcrPipeline } = await import('../../engines/pipeline.js');
      pipeline = await createOcrPipeline(options);
      return pipeline.info();
    },
    recognize: (file, opts, signal) => pipeline!.recognizeFile(file, { ...opts, signal }),
    dispose: async () => pipeline?.dispose(),
    restarts: 0,
  };
}

interface ManifestEntry {
  sha256: string;
  optionsKey: string;
  output: string;
  completedAt: string;
  /** Bad pages of this input (input errors), repeated when a later run skips it. */
  problems?: { page?: number; message: string }[];
}
interface Manifest {
  version: 1;
  entries: Record<string, ManifestEntry>;
}

async function readManifest(outDir: string): Promise<Manifest> {
  try {
    const m = JSON.parse(await readFile(path.join(outDir, MANIFEST_NAME), 'utf8')) as Manifest;
    if (m && m.version === 1 && typeof m.entries === 'object' && m.entries) return m;
  } catch {
    // none yet, or unreadable: start afresh (outputs are simply redone)
  }
  return { version: 1, entries: {} };
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function describeProviders(providers: readonly StageProvider[]): string {
  return providers
    .map((p) => {
      const fb = p.fallbacks.length ? ` (not ${p.fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; not ')})` : '';
      return `${p.stage}=${p.provider}/${p.precision}${fb}`;
    })
    .join(', ');
}

function describePageTimings(page: Page): string {
  const t = page.timings;
  const parts = [
    `decode ${fmtMs(t.decodeMs)}`,
    `det ${fmtMs(t.detPreMs + t.detRunMs + t.detPostMs)} (pre ${fmtMs(t.detPreMs)}, run ${fmtMs(t.detRunMs)}, post ${fmtMs(t.detPostMs)})`,
    `crop ${fmtMs(t.cropMs)}`,
    `cls ${fmtMs(t.clsMs)}`,
    `rec ${fmtMs(t.recPreMs + t.recRunMs + t.recPostMs)} (pre ${fmtMs(t.recPreMs)}, run ${fmtMs(t.recRunMs)}, post ${fmtMs(t.recPostMs)})`,
    `layout ${fmtMs(t.layoutMs)}`,
  ];
  const lines = page.blocks.reduce((n, b) => n + b.lines.length, 0);
  return `page ${page.index + 1} [${page.source}${page.dpi ? `, ${page.dpi} dpi` : ''}, ${page.width}x${page.height}, ${lines} lines${page.rotation ? `, rotated ${page.rotation}°` : ''}]: ${parts.join(', ')}; total ${fmtMs(t.totalMs)}`;
}

/** "file, page N: message" with the path as the user gave it (not the engine's display name). */
function errorLine(file: string, e: SerializedOcrError | OcrError, page = e.page): string {
  let message = e.message;
  // Engine messages often start with the file's name ("scan.png does not exist."); say it once.
  for (const prefix of [file, path.basename(file)]) {
    if (message.startsWith(`${prefix} `)) {
      message = message.slice(prefix.length + 1);
      break;
    }
  }
  return `${file}${page === undefined ? '' : `, page ${page + 1}`}: ${message}`;
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Runs the CLI; returns the exit code (the bin wrapper exits with it). `workerEntry` overrides the worker file. */
export async function main(argv: string[], io: CliIo = process, internals: { workerEntry?: string } = {}): Promise<number> {
  if (argv[0] === 'serve') {
    const { runServeCommand, PortInUseError } = await import('./server.js');
    try {
      return await runServeCommand(argv.slice(1), io);
    } catch (e) {
      const err = toOcrError(e);
      io.stderr.write(`lucid-ocr serve: ${err.message}\n`);
      if (e instanceof PortInUseError) return EXIT_BUSY;
      return err.code === 'INVALID_ARGUMENT' ? EXIT_USAGE : EXIT_INTERNAL;
    }
  }

  let opts: CliOptions;
  try {
    const parsed = parseCli(argv);
    if (parsed === 'help') {
      io.stdout.write(HELP);
      return EXIT_OK;
    }
    if (parsed === 'version') {
      io.stdout.write(`lucid-ocr ${packageVersion()}\n`);
      return EXIT_OK;
    }
    opts = parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`lucid-ocr: ${e.message}\nTry 'lucid-ocr --help'.\n`);
    return EXIT_USAGE;
  }

  const log = (line: string) => io.stderr.write(`${line}\n`);
  let badInput = false;
  let internal = false;
  const report = (line: string, isInput: boolean) => {
    if (isInput) badInput = true;
    else internal = true;
    logLine(`lucid-ocr: ${line}`);
  };

  // A progress bar owns the terminal's last line while it runs; other lines then go through it.
  const showBars = Boolean(io.stderr.isTTY);
  let bars: cliProgress.MultiBar | undefined;
  const newBars = () =>
    new cliProgress.MultiBar(
      {
        stream: io.stderr,
        format: ' {file} |{bar}| {value}/{total} pages | {duration_formatted} elapsed, eta {eta_formatted}',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 8,
      },
      cliProgress.Presets.shades_classic,
    );
  function logLine(line: string): void {
    if (bars) bars.log(`${line}\n`);
    else log(line);
  }

  // 1. Inputs: files, folders expanded. Bad ones are reported and skipped.
  const expanded = await expandInputPaths(opts.inputs);
  for (const r of expanded.rejected) report(errorLine(r.path, r.error, undefined), r.error.isInputError);
  if (opts.verbose) for (const s of expanded.skipped) logLine(`lucid-ocr: skipped ${s.path}: ${s.reason}`);
  if (expanded.files.length === 0) return badInput ? EXIT_BAD_INPUT : EXIT_INTERNAL;

  // 2. One run per --out folder: two would race on the manifest and on same-named outputs.
  let releaseOutLock: (() => Promise<void>) | undefined;
  if (opts.outDir) {
    try {
      await mkdir(opts.outDir, { recursive: true });
      releaseOutLock = await acquireLock(path.join(opts.outDir, OUT_LOCK_NAME), { timeoutMs: 0, staleMs: OUT_LOCK_STALE_MS, purpose: 'lucid-ocr --out' });
    } catch (e) {
      if (e instanceof LockBusyError) {
        const who = e.holder ? `pid ${e.holder.pid}${e.holder.hostname !== os.hostname() ? ` on ${e.holder.hostname}` : ''}, started ${e.holder.createdAt}` : 'another process';
        logLine(
          `lucid-ocr: another lucid-ocr run (${who}) is writing into ${opts.outDir}; try again when it has finished, or delete ${path.join(opts.outDir, OUT_LOCK_NAME)} if no run is active.`,
        );
        return EXIT_BUSY;
      }
      report(`could not use the output folder ${opts.outDir}: ${describeFsError(e)}`, false);
      return EXIT_INTERNAL;
    }
  }

  // 3. Engine.
  const pipelineOptions: OcrPipelineOptions = { ep: opts.ep, precision: opts.precision, cacheDir: defaultCacheDir(), ...(opts.concurrency ? { concurrency: opts.concurrency } : {}) };
  const engine = opts.inProcess ? inProcessEngine(pipelineOptions) : workerEngine(pipelineOptions, logLine, opts.verbose, internals.workerEntry);
  const abort = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      // second Ctrl-C: leave now (the lock is ours; a left-over one would be broken as stale anyway)
      if (releaseOutLock && opts.outDir) rmSync(path.join(opts.outDir, OUT_LOCK_NAME), { force: true });
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    logLine('lucid-ocr: interrupted; stopping after the current page (Ctrl-C again to quit at once).');
    abort.abort();
  };
  process.on('SIGINT', onSigint);

  try {
    let info: EngineInfo;
    try {
      info = await engine.start();
    } catch (e) {
      report(`the OCR engine could not start: ${toOcrError(e).message}`, false);
      return EXIT_INTERNAL;
    }
    if (opts.verbose) {
      const wait = info.cudaWait ? `; GPU wait: ${info.cudaWait.applied ? info.cudaWait.mode : `CUDA's default (${info.cudaWait.mode} not applied: ${info.cudaWait.reason})`}` : '';
      logLine(`lucid-ocr ${info.version}, onnxruntime ${info.onnxruntimeVersion}; ${describeProviders(info.providers)}${wait}`);
    }

    if (opts.outDir) {
      try {
        await mkdir(opts.outDir, { recursive: true });
      } catch (e) {
        report(`could not create the output folder ${opts.outDir}: ${describeFsError(e)}`, false);
        return EXIT_INTERNAL;
      }
    }
    const optionsKey = JSON.stringify({ format: opts.format, pages: opts.pages ?? null, dpi: opts.dpi ?? null, pdfMode: opts.pdfMode ?? 'auto', precision: opts.precision });
    const manifest = opts.outDir ? await readManifest(opts.outDir) : undefined;
    const takenOutputs = new Set<string>();
    // A full disk fails every later write too: stop instead of OCR-ing inputs that cannot be saved.
    let stoppedForSpace = false;
    const multi = expanded.files.length > 1;

    for (const file of expanded.files) {
      if (abort.signal.aborted) break;
      const shown = displayPath(file, opts.inputs);

      // 3. Resume: an output for this exact content and these options is already there.
      let outRel: string | undefined;
      let inputSha: string | undefined;
      if (opts.outDir && manifest) {
        outRel = outputRelPath(file, opts.inputs, opts.format, takenOutputs);
        try {
          inputSha = await sha256File(file);
        } catch (e) {
          report(errorLine(shown, new OcrError('NOT_FOUND', `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`)), true);
          continue;
        }
        const prior = manifest.entries[outRel];
        if (prior && prior.sha256 === inputSha && prior.optionsKey === optionsKey && (await exists(path.join(opts.outDir, outRel)))) {
          if (opts.verbose) logLine(`lucid-ocr: ${shown}: unchanged since ${prior.completedAt}, skipped (${path.join(opts.outDir, outRel)}).`);
          // Its bad pages are still bad: say so again, and the exit status says so too.
          for (const p of prior.problems ?? []) report(`${shown}${p.page === undefined ? '' : `, page ${p.page + 1}`}: ${p.message}`, true);
          continue;
        }
      }

      // 4. OCR, with a progress bar for multi-page work on a terminal.
      let bar: cliProgress.SingleBar | undefined;
      let finished = 0;
      const t0 = performance.now();
      const pageLines: string[] = [];
      let doc: OcrDocument;
      try {
        doc = await engine.recognize(
          file,
          {
            ...(opts.pages ? { pages: opts.pages } : {}),
            ...(opts.dpi ? { dpi: opts.dpi } : {}),
            ...(opts.pdfMode ? { pdfMode: opts.pdfMode } : {}),
            onPage: (page) => {
              bar?.update(++finished);
              if (opts.verbose) pageLines.push(`  ${describePageTimings(page)}${page.warnings.length ? `\n    warnings: ${page.warnings.join(' | ')}` : ''}`);
            },
            onPageFailure: (f: PageFailure) => {
              bar?.update(++finished);
              report(errorLine(shown, f.error, f.index), f.error.isInputError);
            },
            onProgress: (p) => {
              const total = opts.pages ? opts.pages.length : p.pageCount;
              if (!bar && showBars && total > 1) {
                bars = newBars();
                bar = bars.create(total, finished, { file: path.basename(file) });
              }
            },
          },
          abort.signal,
        );
      } catch (e) {
        const err = toOcrError(e);
        if (err.code === 'CANCELLED' && abort.signal.aborted) break;
        report(errorLine(shown, err), err.isInputError);
        continue;
      } finally {
        if (bars) {
          bars.update(); // flushes lines logged since the last redraw, before clearing the bar
          bars.stop();
          bars = undefined;
        }
      }

      if (opts.verbose) {
        logLine(`lucid-ocr: ${shown}: ${doc.pages.length} page(s) in ${fmtMs(performance.now() - t0)}${doc.failures.length ? `, ${doc.failures.length} failed` : ''}; ${describeProviders(doc.engine.providers)}`);
        const threads = describeThreads(doc.engine.threads);
        if (threads) logLine(`  ${threads}`);
        for (const l of pageLines) logLine(l);
      }

      // Every page failed (each already reported): there is nothing to write.
      if (doc.pages.length === 0 && doc.failures.length > 0) continue;

      // 5. Output: atomically into --out, or stdout.
      // JSON Lines on stdout for several inputs: one compact document per line.
      const body = opts.format === 'json' ? (opts.outDir || !multi ? toJson(doc) : JSON.stringify(doc) + '\n') : toText(doc);
      if (opts.outDir && manifest && outRel && inputSha) {
        const target = path.join(opts.outDir, outRel);
        try {
          await mkdir(path.dirname(target), { recursive: true });
        } catch (e) {
          report(`could not create the folder ${path.dirname(target)}: ${describeFsError(e)}`, false);
          continue;
        }
        try {
          await writeFileAtomic(target, body);
        } catch (e) {
          report(toOcrError(e).message, false);
          if (isOutOfSpace(e)) {
            stoppedForSpace = true;
            break;
          }
          continue;
        }
        // Only a complete result is remembered: pages that failed for our reasons are retried next run.
        if (doc.failures.every((f) => f.error.isInputError)) {
          manifest.entries[outRel] = {
            sha256: inputSha,
            optionsKey,
            output: outRel,
            completedAt: new Date().toISOString(),
            ...(doc.failures.length ? { problems: doc.failures.map((f) => ({ page: f.index, message: f.error.message })) } : {}),
          };
          try {
            await writeFileAtomic(path.join(opts.outDir, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n');
          } catch (e) {
            report(toOcrError(e).message, false);
            if (isOutOfSpace(e)) {
              stoppedForSpace = true;
              break;
            }
          }
        }
        if (opts.verbose) logLine(`lucid-ocr: wrote ${target}`);
      } else if (multi && opts.format === 'txt') {
        await writeOut(io.stdout, `==> ${shown} <==\n${body}\n`);
      } else {
        await writeOut(io.stdout, body);
      }
    }
    if (stoppedForSpace) {
      logLine(`lucid-ocr: stopped: no room left to write into ${opts.outDir}. Finished outputs are kept and nothing half-written is left; free some space and run the same command again to resume.`);
    }
    if (opts.verbose && engine.restarts > 0) logLine(`lucid-ocr: the OCR worker was restarted ${engine.restarts} time(s).`);
  } finally {
    process.off('SIGINT', onSigint);
    bars?.stop();
    await engine.dispose().catch(() => undefined);
    await releaseOutLock?.().catch(() => undefined);
  }
  if (interrupted) return EXIT_INTERRUPTED;
  return internal ? EXIT_INTERNAL : badInput ? EXIT_BAD_INPUT : EXIT_OK;
}

/** The path as the user wrote it: the argument itself, or the argument joined with the part found under it. */
function displayPath(file: string, inputs: readonly string[]): string {
  for (const given of inputs) {
    const abs = path.resolve(given);
    if (file === abs) return given;
    if (file.startsWith(abs + path.sep)) return path.join(given, path.relative(abs, file));
  }
  return file;
}

/** Output path inside --out: relative to the folder it was found in (or its own name), plus the format. */
function outputRelPath(file: string, inputs: readonly string[], format: 'txt' | 'json', taken: Set<string>): string {
  let rel = path.basename(file);
  for (const given of inputs) {
    const abs = path.resolve(given);
    if (file.startsWith(abs + path.sep)) {
      rel = path.relative(abs, file);
      break;
    }
  }
  let candidate = `${rel}.${format}`;
  // Two inputs with the same name from different places must not overwrite each other.
  for (let n = 2; taken.has(candidate); n++) candidate = `${rel} (${n}).${format}`;
  taken.add(candidate);
  return candidate;
}

/** ENOSPC / EDQUOT / EROFS anywhere in the cause chain (writeFileAtomic wraps the fs error). */
function isOutOfSpace(e: unknown): boolean {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS') return true;
  }
  return false;
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

// Run when executed directly (the bin, `node dist/electron/headless/cli.js`, or tsx on the source).
const invokedPath = process.argv[1] ? path.resolve(process.argv[1]) : '';
const selfPath = fileURLToPath(import.meta.url);
if (invokedPath === selfPath || invokedPath === selfPath.replace(/\.ts$/, '.js') || (await realpathSafe(invokedPath)) === selfPath) {
  // EPIPE (output piped into `head`): the reader is gone, stop quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`lucid-ocr: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = EXIT_INTERNAL;
    },
  );
}

async function realpathSafe(p: string): Promise<string> {
  if (!p) return p;
  try {
    const { realpath } = await import('node:fs/promises');
    return await realpath(p);
  } catch {
    return p;
  }
}
