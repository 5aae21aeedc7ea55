/**
 * Turns trtexec / TensorRT builder log lines into progress events. TensorRT has no progress API
 * (NVIDIA/TensorRT#3733: "enable verbose log" is the official answer), so phases come from the lines it
 * always prints at info level, and a fraction inside the long tactic-selection phase comes from counting
 * "Computing costs for <layer>" lines against the layer count printed after graph optimisation (verbose
 * only). Formats as printed by trtexec of TensorRT 8.6–10.x, e.g.:
 *   &&&& RUNNING TensorRT.trtexec [TensorRT v100900] [b34] # trtexec --onnx=…
 *   [04/07/2025-23:59:35] [I] Start parsing network model.
 *   [04/07/2025-23:59:36] [I] Finished parsing network model. Parse time: 0.141199
 *   [04/07/2025-23:59:36] [I] [TRT] Local timing cache in use. Profiling results in this builder pass will not be stored.
 *   [11/01/2024-10:32:48] [V] [TRT] After concat removal: 9 layers
 *   [11/01/2024-10:32:48] [V] [TRT] =============== Computing costs for /features/features.0/Conv + /features/features.1/Relu
 *   [04/07/2025-23:59:46] [I] [TRT] Detected 1 inputs and 1 output network tensors.
 *   [04/07/2025-23:59:46] [I] [TRT] Engine generation completed in 10.6392 seconds.
 *   [04/07/2025-23:59:46] [I] Engine built in 10.7204 sec.
 *   [04/07/2025-23:59:46] [I] Created engine with size: 101.811 MiB
 *   &&&& PASSED TensorRT.trtexec [TensorRT v100900] [b34] # trtexec …
 */

export type BuildPhase = 'starting' | 'parsing' | 'optimizing' | 'tuning' | 'finalizing' | 'saving' | 'done' | 'failed';

export interface TrtexecProgressEvent {
  phase: BuildPhase;
  /** 0..1 when it can be told from the log; undefined otherwise. */
  fraction?: number;
  message: string;
}

export interface TrtexecLogFacts {
  trtVersion: string | null;
  deviceName: string | null;
  computeCapability: string | null;
  /** From "Engine built in X sec." */
  engineBuildSec: number | null;
  engineSizeMiB: number | null;
  layerCount: number | null;
  layersCosted: number;
  warnings: number;
  errors: string[];
  passed: boolean;
  failed: boolean;
}

/** Where each phase starts on the overall 0..1 bar; tuning takes most of a build. */
const PHASE_START: Record<BuildPhase, number> = {
  starting: 0,
  parsing: 0.02,
  optimizing: 0.05,
  tuning: 0.08,
  finalizing: 0.92,
  saving: 0.97,
  done: 1,
  failed: 1,
};

// trtexec: "[date] [I] [TRT] msg"; TensorRT's Python logger: "[date] [TRT] [I] msg"; polygraphy: "[I] msg".
const LINE_PREFIX = /^(?:\[\d[^\]]*\]\s+)?(?:\[TRT\]\s+)?\[([VIWEF])\]\s+(?:\[TRT\]\s+)?(.*)$/;

export function versionFromBanner(text: string): string | null {
  const m = /TensorRT v(\d{4,6})\b/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return m[1]!.length <= 4
    ? `${Math.floor(n / 1000)}.${Math.floor((n % 1000) / 100)}.${n % 100}`
    : `${Math.floor(n / 10000)}.${Math.floor((n % 10000) / 100)}.${n % 100}`;
}

export class TrtexecProgressParser {
  phase: BuildPhase = 'starting';
  fraction = 0;
  readonly facts: TrtexecLogFacts = {
    trtVersion: null,
    deviceName: null,
    computeCapability: null,
    engineBuildSec: null,
    engineSizeMiB: null,
    layerCount: null,
    layersCosted: 0,
    warnings: 0,
    errors: [],
    passed: false,
    failed: false,
  };
  #lastReportedFraction = -1;

  #enter(phase: BuildPhase, message: string): TrtexecProgressEvent {
    // Phases only move forward (tuning lines can follow "finalizing"-looking lines in multi-profile builds).
    if (PHASE_START[phase] >= PHASE_START[this.phase] || phase === 'failed') {
      this.phase = phase;
      this.fraction = Math.max(this.fraction, PHASE_START[phase]);
    }
    this.#lastReportedFraction = this.fraction;
    return { phase: this.phase, fraction: this.fraction, message };
  }

  /** Feeds one log line; returns an event when something worth showing happened. */
  push(rawLine: string): TrtexecProgressEvent | null {
    const line = rawLine.replace(/\r$/, '');
    if (line.startsWith('&&&& RUNNING')) {
      this.facts.trtVersion = versionFromBanner(line) ?? this.facts.trtVersion;
      return this.#enter('starting', `trtexec started (TensorRT ${this.facts.trtVersion ?? '?'})`);
    }
    if (line.startsWith('&&&& PASSED')) {
      this.facts.passed = true;
      return this.#enter('done', 'Engine build finished');
    }
    if (line.startsWith('&&&& FAILED')) {
      this.facts.failed = true;
      return this.#enter('failed', primaryError(this.facts.errors) ?? 'trtexec reported FAILED');
    }
    const m = LINE_PREFIX.exec(line);
    if (!m) return null;
    const [, sev, text] = m as unknown as [string, string, string];
    if (sev === 'E' || sev === 'F') {
      this.facts.errors.push(text.trim());
      return { phase: this.phase, fraction: this.fraction, message: `Error: ${text.trim()}` };
    }
    if (sev === 'W') this.facts.warnings++;

    let mm: RegExpExecArray | null;
    if ((mm = /^TensorRT version: ([\d.]+)/.exec(text))) this.facts.trtVersion = mm[1]!;
    else if ((mm = /^Selected Device: (.+)$/.exec(text))) this.facts.deviceName = mm[1]!.trim();
    else if ((mm = /^Compute Capability: (\d+\.\d+)/.exec(text))) this.facts.computeCapability = mm[1]!;

    if (/^Start parsing network model/.test(text)) return this.#enter('parsing', 'Parsing the ONNX model');
    if (/^Finished parsing network model/.test(text)) return this.#enter('optimizing', 'Optimising the network graph');
    if ((mm = /^After [\w\s-]+: (\d+) layers$/.exec(text))) {
      // The last count before the first "Computing costs" is the number of layers that will be costed
      // (graph optimisation runs after the "timing cache in use" line, so the phase may say tuning).
      if (this.facts.layersCosted === 0) this.facts.layerCount = Number(mm[1]);
      return null;
    }
    if (/timing cache in use/i.test(text) || /^Could not read timing cache/.test(text)) {
      return this.#enter('tuning', 'Selecting the fastest kernels (this is the long part)');
    }
    if ((mm = /^=+ Computing costs for (.*)$/.exec(text))) {
      if (this.phase !== 'tuning') this.#enter('tuning', 'Selecting the fastest kernels (this is the long part)');
      this.facts.layersCosted++;
      const total = this.facts.layerCount;
      if (total && total > 0) {
        const f = Math.min(1, this.facts.layersCosted / total);
        this.fraction = Math.max(this.fraction, PHASE_START.tuning + f * (PHASE_START.finalizing - PHASE_START.tuning));
      }
      // Report at most once per percent so a verbose log does not flood the UI.
      if (this.fraction - this.#lastReportedFraction >= 0.01) {
        this.#lastReportedFraction = this.fraction;
        const layer = mm[1]!.trim();
        return { phase: 'tuning', fraction: this.fraction, message: `Tuning layer ${this.facts.layersCosted}${total ? `/${total}` : ''}${layer ? `: ${layer}` : ''}` };
      }
      return null;
    }
    if (/^Detected \d+ inputs? and \d+ output network tensors/.test(text) || /^Total Activation Memory/.test(text)) {
      return this.phase === 'finalizing' ? null : this.#enter('finalizing', 'Assigning memory and finishing the engine');
    }
    if ((mm = /^Engine generation completed in ([\d.]+) seconds/.exec(text))) {
      return this.#enter('saving', `Engine generated in ${Number(mm[1]).toFixed(1)} s; saving`);
    }
    if ((mm = /^Engine built in ([\d.]+) sec/.exec(text))) {
      this.facts.engineBuildSec = Number(mm[1]);
      return this.#enter('saving', `Engine built in ${this.facts.engineBuildSec.toFixed(1)} s`);
    }
    if ((mm = /^Created engine with size: ([\d.]+) MiB/.exec(text))) {
      this.facts.engineSizeMiB = Number(mm[1]);
      return { phase: this.phase, fraction: this.fraction, message: `Engine size ${this.facts.engineSizeMiB.toFixed(1)} MiB` };
    }
    if (/^Skipped inference phase since --skipInference is added/.test(text)) {
      return this.#enter('saving', 'Engine saved');
    }
    return null;
  }
}

/**
 * The error line worth showing a person: TensorRT's "Error Code N: …" line names the cause, while
 * trtexec's last lines ("Engine set up failed") only say that it failed.
 */
export function primaryError(errors: readonly string[]): string | null {
  return errors.find((e) => /Error Code \d+/.test(e)) ?? errors[0] ?? null;
}

/** Splits a stream of chunks into lines (handles chunks that end mid-line). */
export class LineSplitter {
  #rest = '';
  push(chunk: string): string[] {
    const text = this.#rest + chunk;
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    return lines;
  }
  flush(): string[] {
    const r = this.#rest;
    this.#rest = '';
    return r ? [r] : [];
  }
}
