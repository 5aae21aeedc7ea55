/**
 * Runs one trtexec build as a background child process: progress events (phase, fraction, elapsed,
 * estimated remaining from the last comparable build), a rolling log tail, and cancellation that kills
 * the whole process group (trtexec may spawn helpers). The engine is written into a folder the caller
 * owns (the engine cache's private temp folder), so a cancelled or failed build leaves nothing behind
 * in the cache.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { Precision } from '../../types.js';
import { trtexecArgs, type ShapeProfile, type TrtexecBuildOptions, type TrtStage } from './trtexec-command.js';
import { LineSplitter, TrtexecProgressParser, primaryError, type BuildPhase, type TrtexecLogFacts } from './trtexec-progress.js';

export interface BuildProgress {
  stage: TrtStage;
  /** Model file name, for "Building det (FP16)…" texts. */
  model: string;
  precision: Precision;
  profile: string;
  phase: BuildPhase;
  /** 0..1; null when neither the log nor a previous build gives a basis. */
  fraction: number | null;
  elapsedMs: number;
  /** From the last comparable build's duration (cache manifest), refined by the log's fraction. */
  estimatedRemainingMs: number | null;
  message: string;
  logTail: string[];
}

export interface EngineBuildRequest extends Omit<TrtexecBuildOptions, 'profiles'> {
  trtexecPath: string;
  stage: TrtStage;
  model: string;
  profiles: ShapeProfile[];
  /** Duration of the previous comparable build (EngineCache.estimateBuildMs). */
  estimatedTotalMs?: number | null;
  onProgress?: (p: BuildProgress) => void;
  /** Lines kept for the UI and for error reports (default 40). */
  logTailLines?: number;
  /** Emit a progress event at least this often, so elapsed/remaining keep moving (default 1000 ms). */
  heartbeatMs?: number;
  /** Grace period between SIGTERM and SIGKILL on cancel (default 3000 ms). */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface EngineBuildResult {
  enginePath: string;
  engineBytes: number;
  buildMs: number;
  facts: TrtexecLogFacts;
  logTail: string[];
}

export class EngineBuildError extends Error {
  constructor(
    message: string,
    readonly details: { phase: BuildPhase; exitCode: number | null; signal: NodeJS.Signals | null; cancelled: boolean; logTail: string[] },
  ) {
    super(message);
    this.name = 'EngineBuildError';
  }
}

export interface EngineBuildHandle {
  readonly pid: number | undefined;
  readonly promise: Promise<EngineBuildResult>;
  /** Kills trtexec and its children; the promise rejects with `cancelled: true`. */
  cancel(): void;
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (process.platform === 'win32') {
      spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    } else {
      // Negative pid: the whole process group the child leads (spawned with detached: true).
      process.kill(-child.pid, signal);
    }
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function remainingMs(elapsedMs: number, fraction: number | null, estimatedTotalMs: number | null | undefined): number | null {
  if (estimatedTotalMs && estimatedTotalMs > 0) {
    const byHistory = estimatedTotalMs - elapsedMs;
    if (byHistory > 0) return byHistory;
    // Slower than last time: fall back to the log's own fraction if there is one.
  }
  if (fraction !== null && fraction >= 0.1 && fraction < 1) return (elapsedMs * (1 - fraction)) / fraction;
  return null;
}

/** Starts the build. The caller awaits `promise` and may `cancel()` at any time. */
export function startEngineBuild(req: EngineBuildRequest): EngineBuildHandle {
  const args = trtexecArgs(req);
  const tailMax = req.logTailLines ?? 40;
  const logTail: string[] = [];
  const parser = new TrtexecProgressParser();
  const t0 = performance.now();
  let cancelled = false;
  let lastMessage = 'Starting trtexec';

  const child = spawn(req.trtexecPath, args, {
    detached: process.platform !== 'win32',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: req.env ?? process.env,
    windowsHide: true,
  });

  const emit = (message?: string) => {
    if (message) lastMessage = message;
    const elapsedMs = performance.now() - t0;
    const est = req.estimatedTotalMs ?? null;
    let fraction: number | null = parser.phase === 'starting' && parser.fraction === 0 ? null : parser.fraction;
    if (est && parser.phase !== 'done') {
      // Time-based fraction from the last build, never behind what the log shows.
      const byTime = Math.min(0.99, elapsedMs / est);
      fraction = Math.max(fraction ?? 0, byTime);
    }
    req.onProgress?.({
      stage: req.stage,
      model: req.model,
      precision: req.precision,
      profile: req.profiles.map((p) => p.name).join('+'),
      phase: parser.phase,
      fraction,
      elapsedMs: Math.round(elapsedMs),
      estimatedRemainingMs: parser.phase === 'done' ? 0 : (() => {
        const r = remainingMs(elapsedMs, fraction, est);
        return r === null ? null : Math.round(r);
      })(),
      message: lastMessage,
      logTail: [...logTail],
    });
  };

  const onLine = (line: string) => {
    if (!line.trim()) return;
    logTail.push(line);
    if (logTail.length > tailMax) logTail.shift();
    const ev = parser.push(line);
    if (ev) emit(ev.message);
  };
  const outSplit = new LineSplitter();
  const errSplit = new LineSplitter();
  child.stdout!.setEncoding('utf8').on('data', (c: string) => outSplit.push(c).forEach(onLine));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => errSplit.push(c).forEach(onLine));
  const heartbeat = setInterval(() => emit(), req.heartbeatMs ?? 1000);
  heartbeat.unref?.();

  const cancel = () => {
    if (cancelled) return;
    cancelled = true;
    killTree(child, 'SIGTERM');
    const t = setTimeout(() => killTree(child, 'SIGKILL'), req.killGraceMs ?? 3000);
    t.unref?.();
  };
  if (req.signal) {
    if (req.signal.aborted) cancel();
    else req.signal.addEventListener('abort', cancel, { once: true });
  }

  const promise = new Promise<EngineBuildResult>((resolve, reject) => {
    const fail = (msg: string, exitCode: number | null, signal: NodeJS.Signals | null) =>
      reject(new EngineBuildError(msg, { phase: parser.phase, exitCode, signal, cancelled, logTail: [...logTail] }));
    child.on('error', (err) => {
      clearInterval(heartbeat);
      fail(`Could not start trtexec (${req.trtexecPath}): ${err.message}`, null, null);
    });
    child.on('close', (code, signal) => {
      clearInterval(heartbeat);
      req.signal?.removeEventListener('abort', cancel);
      [...outSplit.flush(), ...errSplit.flush()].forEach(onLine);
      const buildMs = Math.round(performance.now() - t0);
      if (cancelled) return fail(`Engine build for ${req.stage} was cancelled`, code, signal);
      if (code !== 0 || parser.facts.failed) {
        const why = primaryError(parser.facts.errors) ?? (signal ? `killed by ${signal}` : `exit code ${code}`);
        parser.push('&&&& FAILED (exit)');
        emit(`Build failed: ${why}`);
        return fail(`trtexec failed for ${req.stage} (${req.precision}): ${why}`, code, signal);
      }
      stat(req.enginePath).then(
        (st) => {
          if (st.size === 0) return fail(`trtexec exited 0 but ${req.enginePath} is empty`, code, signal);
          if (parser.phase !== 'done') parser.push('&&&& PASSED (exit 0)');
          emit('Engine build finished');
          resolve({ enginePath: req.enginePath, engineBytes: st.size, buildMs, facts: parser.facts, logTail: [...logTail] });
        },
        () => fail(`trtexec exited 0 but wrote no engine at ${req.enginePath}`, code, signal),
      );
    });
  });

  return { pid: child.pid, promise, cancel };
}
