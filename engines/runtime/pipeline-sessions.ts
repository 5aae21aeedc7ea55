import type { OcrPipelineOptions } from '../api.js';
import type { OcrSession } from '../stages.js';
import type { ModelPaths } from './models.js';
import { createCpuSession } from './session.js';

export interface PipelineSessions {
  det: OcrSession;
  cls: OcrSession;
  rec: OcrSession;
  dispose(): Promise<void>;
}

/** Loads the three models; on any failure the sessions already created are released. */
export async function createPipelineSessions(paths: ModelPaths, options: OcrPipelineOptions): Promise<PipelineSessions> {
  const created: OcrSession[] = [];
  const dispose = async () => {
    await Promise.allSettled(created.map((s) => s.dispose()));
  };
  try {
    const det = await createCpuSession(paths.det, { stage: 'det', intraOpNumThreads: options.intraOpNumThreads });
    created.push(det);
    const cls = await createCpuSession(paths.cls, { stage: 'cls', intraOpNumThreads: options.intraOpNumThreads });
    created.push(cls);
    const rec = await createCpuSession(paths.rec, { stage: 'rec', intraOpNumThreads: options.intraOpNumThreads });
    created.push(rec);
    return { det, cls, rec, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
