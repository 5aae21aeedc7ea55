/**
 * Remembered validation-gate verdicts. The gate (validation-gate.ts) checks an FP16 model against the FP32
 * model on the CPU before first use; on the GPU machine that costs tens of seconds per start (a CPU reference
 * session, the candidate without its argmax head, new input shapes that each cost a cuDNN search, then a
 * reload with the head), and every page-parallel thread paid it again. A verdict depends only on what the
 * key names: the source model's bytes, the FP16 conversion recipe, the EP and precision, ONNX Runtime's
 * version, the GPU and driver, the gate's inputs and budgets. So it is stored once per key in the engine
 * cache folder and reused; change any part and the key changes, so the gate runs again. Failed verdicts
 * are kept too, so a model that failed goes straight to FP32 instead of being converted and checked again.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './fs-atomic.js';
import { sha256Hex } from './onnx-model.js';
import type { ValidationBudgets, ValidationResult } from './validation-gate.js';

export const VERDICTS_FILE = 'validation-verdicts.json';
/** Bump when the gate's checks change meaning: every stored verdict is then void. */
export const VERDICT_FORMAT_VERSION = 1;
/** Oldest entries are dropped past this many (a few per stage × precision × GPU is normal). */
export const MAX_STORED_VERDICTS = 64;

export interface VerdictKeyParts {
  stage: 'det' | 'cls' | 'rec';
  provider: string;
  precision: string;
  /** sha256 of the FP32 source model. */
  modelSha256: string;
  /** fp16OptionsKey(): the converter's version and options. */
  conversionKey: string;
  ortVersion: string;
  /** GPU name, compute capability and driver, or null where none was found. */
  gpu: string | null;
  /** sha256 over the gate's input tensors (dims and data). */
  inputsSha256: string;
  budgets: ValidationBudgets;
}

export interface StoredVerdict extends ValidationResult {
  key: string;
  /** ISO time the gate ran. */
  checkedAt: string;
  /** What was checked, for people reading the file. */
  label: string;
}

export function verdictKey(parts: VerdictKeyParts): string {
  const budgets = Object.fromEntries(Object.entries(parts.budgets).sort(([a], [b]) => a.localeCompare(b)));
  return sha256Hex(JSON.stringify({ v: VERDICT_FORMAT_VERSION, ...parts, budgets })).slice(0, 24);
}

/** sha256 over tensors' dims and bytes, in order. */
export function tensorsSha256(tensors: readonly { dims: readonly number[]; data: Float32Array }[]): string {
  const parts = tensors.map((t) => `${t.dims.join('x')}:${sha256Hex(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))}`);
  return sha256Hex(parts.join('|'));
}

async function readAll(cacheDir: string): Promise<StoredVerdict[]> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(cacheDir, VERDICTS_FILE), 'utf8')) as { version?: number; verdicts?: unknown };
    if (parsed.version !== VERDICT_FORMAT_VERSION || !Array.isArray(parsed.verdicts)) return [];
    return parsed.verdicts.filter(
      (v): v is StoredVerdict => !!v && typeof v === 'object' && typeof (v as StoredVerdict).key === 'string' && typeof (v as StoredVerdict).ok === 'boolean' && typeof (v as StoredVerdict).reason === 'string',
    );
  } catch {
    // Missing or damaged: no remembered verdicts, so the gate simply runs (and rewrites the file).
    return [];
  }
}

export async function readVerdict(cacheDir: string, key: string): Promise<StoredVerdict | null> {
  return (await readAll(cacheDir)).find((v) => v.key === key) ?? null;
}

/**
 * Stores a verdict (replacing one with the same key). Several page-parallel threads may write at once:
 * each write is atomic, so the file is always whole; a verdict lost to a concurrent writer only means the
 * gate runs once more later.
 */
export async function writeVerdict(cacheDir: string, verdict: StoredVerdict): Promise<void> {
  const kept = (await readAll(cacheDir)).filter((v) => v.key !== verdict.key);
  kept.push(verdict);
  const verdicts = kept.slice(-MAX_STORED_VERDICTS);
  await fs.mkdir(cacheDir, { recursive: true });
  await writeFileAtomic(path.join(cacheDir, VERDICTS_FILE), JSON.stringify({ version: VERDICT_FORMAT_VERSION, verdicts }, null, 1));
}
