/**
 * Files and folders (command line, dialog, OS drop) → files to open, over engines/input's listInputFiles,
 * one given path at a time so that one missing path or empty folder is reported on its own and the
 * other inputs still open (listInputFiles itself stops at the first missing path).
 */
import { serializeError, toOcrError } from '../../../engines/errors.js';
import { listInputFiles } from '../../../engines/input/list-files.js';
import type { SerializedOcrError } from '../../../engines/types.js';

export interface ExpandedInputs {
  /** Absolute paths, in the order given (each folder's files in natural order), each once. */
  files: string[];
  /** Given paths that yielded nothing: missing, unreadable, or a folder with no supported file. */
  rejected: { path: string; error: SerializedOcrError }[];
  /** Files and folders passed over inside folders (hidden, unsupported extension), with the reason. */
  skipped: { path: string; reason: string }[];
}

export async function expandInputPaths(inputs: readonly string[]): Promise<ExpandedInputs> {
  const out: ExpandedInputs = { files: [], rejected: [], skipped: [] };
  const seen = new Set<string>();
  for (const given of inputs) {
    try {
      const listed = await listInputFiles([given]);
      for (const f of listed.files) {
        if (seen.has(f)) continue;
        seen.add(f);
        out.files.push(f);
      }
      out.skipped.push(...listed.skipped);
    } catch (e) {
      out.rejected.push({ path: given, error: serializeError(toOcrError(e, { file: given })) });
    }
  }
  return out;
}
