/**
 * NVIDIA GPU facts from nvidia-smi (name, compute capability, driver, memory). Part of the engine-cache
 * key (a TensorRT engine is only valid for one GPU model + driver) and of the EP plan's reasons.
 * Absence is normal (no NVIDIA GPU, macOS, Windows without the driver tools): it yields `gpus: []` and a
 * reason, never a throw.
 */
import { execFile } from 'node:child_process';

export interface GpuInfo {
  index: number;
  name: string;
  /** "major.minor", e.g. "9.0"; null when this driver's nvidia-smi cannot report it. */
  computeCapability: string | null;
  driverVersion: string;
  memoryUsedMiB: number | null;
  memoryTotalMiB: number | null;
  uuid: string | null;
}

export interface GpuQuery {
  gpus: GpuInfo[];
  /** Why the list is empty (or partial), for the EP plan's human reasons. */
  reason: string | null;
}

export type ExecFn = (file: string, args: string[], timeoutMs: number) => Promise<{ stdout: string; stderr: string }>;

const FULL_FIELDS = ['index', 'name', 'compute_cap', 'driver_version', 'memory.used', 'memory.total', 'uuid'] as const;
// Drivers before ~510 do not know compute_cap; retry without it.
const BASIC_FIELDS = ['index', 'name', 'driver_version', 'memory.used', 'memory.total', 'uuid'] as const;

const defaultExec: ExecFn = (file, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stdout: String(stdout), stderr: String(stderr) }));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });

function num(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : null;
}

/** Parses `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits` output. */
export function parseNvidiaSmiCsv(text: string, fields: readonly string[]): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const cols = line.split(',').map((c) => c.trim());
    // A GPU name never contains a comma in practice; if a future one does, re-join the extra columns.
    while (cols.length > fields.length && fields.indexOf('name') >= 0) {
      const i = fields.indexOf('name');
      cols.splice(i, 2, `${cols[i]},${cols[i + 1]}`);
    }
    if (cols.length !== fields.length) continue;
    const get = (f: string) => {
      const v = cols[fields.indexOf(f)];
      return v === undefined || v === '[N/A]' || v === 'N/A' || v === '[Not Supported]' ? undefined : v;
    };
    const cc = get('compute_cap');
    gpus.push({
      index: num(get('index')) ?? gpus.length,
      name: get('name') ?? 'unknown NVIDIA GPU',
      computeCapability: cc && /^\d+\.\d+$/.test(cc) ? cc : null,
      driverVersion: get('driver_version') ?? 'unknown',
      memoryUsedMiB: num(get('memory.used')),
      memoryTotalMiB: num(get('memory.total')),
      uuid: get('uuid') ?? null,
    });
  }
  return gpus;
}

/** Queries nvidia-smi (on PATH unless `nvidiaSmiPath` is given). Never throws. */
export async function queryNvidiaGpus(opts: { nvidiaSmiPath?: string; timeoutMs?: number; exec?: ExecFn } = {}): Promise<GpuQuery> {
  const exe = opts.nvidiaSmiPath ?? (process.platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi');
  const exec = opts.exec ?? defaultExec;
  const timeoutMs = opts.timeoutMs ?? 5000;
  let lastError = '';
  for (const fields of [FULL_FIELDS, BASIC_FIELDS]) {
    try {
      const { stdout } = await exec(exe, [`--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'], timeoutMs);
      const gpus = parseNvidiaSmiCsv(stdout, fields);
      if (gpus.length > 0) return { gpus, reason: null };
      lastError = 'nvidia-smi listed no GPUs';
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string; killed?: boolean };
      if (err.code === 'ENOENT') return { gpus: [], reason: 'nvidia-smi not found (no NVIDIA driver installed)' };
      if (err.killed) return { gpus: [], reason: `nvidia-smi did not answer within ${timeoutMs} ms` };
      const detail = `${err.stdout ?? ''} ${err.stderr ?? ''}`.trim() || err.message;
      lastError = `nvidia-smi failed: ${detail.split('\n')[0]}`;
      // Only an unknown field is worth the second try.
      if (!/not a valid field/i.test(detail)) break;
    }
  }
  return { gpus: [], reason: lastError || 'nvidia-smi failed' };
}

/** Short stable label of a GPU for cache folder names and logs, e.g. "NVIDIA H100 80GB HBM3 (sm90)". */
export function gpuLabel(g: Pick<GpuInfo, 'name' | 'computeCapability'>): string {
  return g.computeCapability ? `${g.name} (sm${g.computeCapability.replace('.', '')})` : g.name;
}
