/**
 * The inference worker's entry, for both transports (Electron utilityProcess and child_process.fork).
 * The engine is imported lazily inside the handlers: a native module that fails to load then becomes a
 * typed MODEL_LOAD_FAILED answer to `init` instead of a worker that dies before it can say why.
 */
import type { OcrPipelineOptions } from '../../engines/api.js';
import { OcrError } from '../../engines/errors.js';
import type { RgbImage } from '../../engines/types.js';
import { createWorkerHandlers, type DocumentReaderLike } from './handlers.js';
import { runWorker } from './worker-runtime.js';

runWorker((ctx) =>
  createWorkerHandlers(ctx, {
    async createPipeline(options: OcrPipelineOptions) {
      let mod: typeof import('../../engines/pipeline.js');
      try {
        mod = await import('../../engines/pipeline.js');
      } catch (cause) {
        throw new OcrError('MODEL_LOAD_FAILED', `The OCR engine could not be loaded: ${(cause as Error).message}`, { cause });
      }
      return mod.createOcrPipeline(options);
    },
    async openDocument(input): Promise<DocumentReaderLike> {
      const { openDocument } = await import('../../engines/input/open-document.js');
      return openDocument(input);
    },
    async encodeImage(image: RgbImage, format: 'png' | 'jpeg'): Promise<Uint8Array> {
      const { default: sharp } = await import('sharp');
      const raw = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
      // PNG for the viewer (exact pixels, fast low compression); JPEG for page images inside PDFs (size).
      const out = await (format === 'jpeg' ? raw.jpeg({ quality: 85, mozjpeg: true }) : raw.png({ compressionLevel: 3 })).toBuffer();
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  }),
);
