import type { OcrErrorCode, SerializedOcrError } from './types.js';

const INPUT_ERROR_CODES: ReadonlySet<OcrErrorCode> = new Set<OcrErrorCode>([
  'NOT_FOUND',
  'EMPTY_FILE',
  'UNSUPPORTED_TYPE',
  'CORRUPT_FILE',
  'TRUNCATED_FILE',
  'IMAGE_TOO_LARGE',
  'PDF_ENCRYPTED',
  'PDF_TOO_MANY_PAGES',
  'PAGE_OUT_OF_RANGE',
  'NO_INPUT_FILES',
  'INVALID_ARGUMENT',
]);

/**
 * The one error type the engine throws. `code` is stable (tests and the CLI's exit codes rely on it);
 * `message` is for people and names the file and page when known.
 */
export class OcrError extends Error {
  override readonly name = 'OcrError';
  readonly code: OcrErrorCode;
  readonly file?: string;
  readonly page?: number;

  constructor(code: OcrErrorCode, message: string, opts: { file?: string; page?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.file = opts.file;
    this.page = opts.page;
  }

  get isInputError(): boolean {
    return INPUT_ERROR_CODES.has(this.code);
  }

  /** Same error with file/page filled in where they were missing. */
  withContext(ctx: { file?: string; page?: number }): OcrError {
    if ((this.file ?? ctx.file) === this.file && (this.page ?? ctx.page) === this.page) return this;
    return new OcrError(this.code, this.message, {
      file: this.file ?? ctx.file,
      page: this.page ?? ctx.page,
      cause: this.cause,
    });
  }

  toJSON(): SerializedOcrError {
    return serializeError(this);
  }
}

export function isOcrError(e: unknown): e is OcrError {
  return e instanceof OcrError;
}

/** Wraps anything thrown into an OcrError (INTERNAL unless it already is one). */
export function toOcrError(e: unknown, ctx: { file?: string; page?: number } = {}): OcrError {
  if (e instanceof OcrError) return e.withContext(ctx);
  const message = e instanceof Error ? e.message : String(e);
  return new OcrError('INTERNAL', message, { ...ctx, cause: e });
}

export function serializeError(e: unknown): SerializedOcrError {
  const err = toOcrError(e);
  const cause = err.cause instanceof Error ? err.cause.message : err.cause === undefined ? undefined : String(err.cause);
  return {
    name: 'OcrError',
    code: err.code,
    message: err.message,
    isInputError: err.isInputError,
    ...(err.file === undefined ? {} : { file: err.file }),
    ...(err.page === undefined ? {} : { page: err.page }),
    ...(cause === undefined || cause === err.message ? {} : { cause }),
  };
}

export function deserializeError(s: SerializedOcrError): OcrError {
  return new OcrError(s.code, s.message, { file: s.file, page: s.page, cause: s.cause });
}

/** "file.pdf, page 3: message" — the one-line form used by the CLI and logs. */
export function describeError(e: SerializedOcrError | OcrError): string {
  const where = [e.file, e.page === undefined ? undefined : `page ${e.page + 1}`].filter(Boolean).join(', ');
  return where ? `${where}: ${e.message}` : e.message;
}
