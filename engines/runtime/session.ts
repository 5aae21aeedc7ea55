import ort from 'onnxruntime-node';
import { OcrError } from '../errors.js';
import type { OcrSession, TensorData } from '../stages.js';
import type { StageProvider } from '../types.js';

export interface CreateSessionOptions {
  stage: 'det' | 'cls' | 'rec';
  /** ORT intra-op threads; default: ORT's own choice (all cores). */
  intraOpNumThreads?: number;
}

/**
 * CPU-only session for now; engines/runtime grows the provider plan (TensorRT → CUDA → WebGPU → CPU)
 * behind this same OcrSession interface.
 */
export async function createCpuSession(modelPath: string | Uint8Array, opts: CreateSessionOptions): Promise<OcrSession> {
  let session: ort.InferenceSession;
  try {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      // Dynamic OCR shapes make the CPU arena balloon (RapidOCR infer_optim.md); the speed gain is small.
      enableCpuMemArena: false,
      ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
    };
    session = typeof modelPath === 'string'
      ? await ort.InferenceSession.create(modelPath, options)
      : await ort.InferenceSession.create(modelPath, options);
  } catch (cause) {
    const name = typeof modelPath === 'string' ? modelPath : `<${opts.stage} model buffer>`;
    throw new OcrError('MODEL_LOAD_FAILED', `Could not load the ${opts.stage} model (${name}): ${(cause as Error).message}`, { cause });
  }
  const provider: StageProvider = { stage: opts.stage, provider: 'cpu', precision: 'fp32', fallbacks: [] };
  return new OrtSession(session, opts.stage, provider);
}

export class OrtSession implements OcrSession {
  readonly #session: ort.InferenceSession;
  readonly #inputName: string;
  readonly #outputName: string;

  constructor(
    session: ort.InferenceSession,
    readonly stage: 'det' | 'cls' | 'rec',
    readonly provider: StageProvider,
  ) {
    this.#session = session;
    this.#inputName = session.inputNames[0]!;
    this.#outputName = session.outputNames[0]!;
  }

  async run(input: TensorData): Promise<TensorData> {
    const tensor = new ort.Tensor('float32', input.data, input.dims as number[]);
    const out = await this.#session.run({ [this.#inputName]: tensor });
    const result = out[this.#outputName]!;
    const data = result.data as Float32Array;
    const dims = result.dims.slice();
    result.dispose?.();
    tensor.dispose?.();
    return { data, dims };
  }

  async dispose(): Promise<void> {
    await this.#session.release();
  }
}
