// Character table after PaddleOCR ppocr/postprocess/rec_postprocess.py (BaseRecLabelDecode, CTCLabelDecode).
import { readFileSync } from 'node:fs';
import { OcrError } from '../errors.js';

/** Class count of ch_PP-OCRv4_rec: blank + 6623 ppocr_keys_v1 entries + ' '. */
export const PPOCR_V4_REC_CLASS_COUNT = 6625;

/** CTC blank's index and its placeholder text (never emitted). */
export const CTC_BLANK_INDEX = 0;
export const CTC_BLANK = 'blank';

/**
 * Builds the CTC character table from the dictionary file's text: index 0 'blank', then one entry per
 * line, then ' ' (PaddleOCR's use_space_char=True default). A trailing newline is optional (PaddleOCR's
 * copy has one, @gutenye's has none): without this, split('\n') yields an extra '' entry that shifts the
 * space class onto '' and silently drops every space (gutenye's trap).
 */
export function parseDictionary(text: string, expectedClassCount?: number, sourceName = '<dictionary>'): string[] {
  let body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a BOM would corrupt the first key
  if (body.endsWith('\r\n')) body = body.slice(0, -2);
  else if (body.endsWith('\n')) body = body.slice(0, -1);
  // Empty lines in the middle are kept: PaddleOCR keeps them too, and dropping one would shift every
  // later index against the model's classes.
  const lines = body.length === 0 ? [] : body.split(/\r?\n/);
  const table = [CTC_BLANK, ...lines, ' '];
  if (expectedClassCount !== undefined && table.length !== expectedClassCount) {
    throw new OcrError(
      'MODEL_LOAD_FAILED',
      `The recognition dictionary ${sourceName} has ${lines.length} entries, which gives ${table.length} classes ` +
        `(blank + entries + space), but the recognition model outputs ${expectedClassCount}; ` +
        'the dictionary does not belong to this model.',
    );
  }
  return table;
}

/**
 * Reads the dictionary file (UTF-8) and returns the character table, index = model class.
 * Throws MODEL_LOAD_FAILED when the file is missing or its size does not match `expectedClassCount`
 * (default: PP-OCRv4 rec's 6625; TextRecognizer passes the count it read from the model's output).
 */
export function loadDictionary(path: string, expectedClassCount: number = PPOCR_V4_REC_CLASS_COUNT): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new OcrError('MODEL_LOAD_FAILED', `Could not read the recognition dictionary ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseDictionary(text, expectedClassCount, path);
}
