/**
 * Turns what the user dropped or picked (files, folders, many at once) into files to upload and files
 * refused with a reason. Folders are walked with the File and Directory Entries API
 * (DataTransferItem.webkitGetAsEntry), which every Chromium-based shell supports.
 * The engine sniffs each file's bytes and has the last word; this only keeps obvious non-documents
 * (a folder's .docx, a video) off the wire, and says so.
 */
import type { MAX_UPLOAD_BYTES } from '../../../electron/common/ipc-contract.js';
import type { FileRejection } from '../../ipc/ocr-client.js';

// Mirrors engines/input/sniff.ts SUPPORTED_EXTENSIONS (renderer cannot import engine code).
export const SUPPORTED_EXTENSIONS: ReadonlySet<string> = new Set([
  'png', 'jpg', 'jpeg', 'jpe', 'jfif', 'webp', 'tif', 'tiff', 'bmp', 'dib', 'gif', 'pdf',
]);
export const SUPPORTED_TYPES_LINE = 'PNG, JPEG, WebP, TIFF, BMP, GIF and PDF';
export const ACCEPT_ATTRIBUTE = [...SUPPORTED_EXTENSIONS].map((e) => `.${e}`).join(',') + ',image/*,application/pdf';

const MAX_UPLOAD: typeof MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** null when the file should go to the engine; otherwise why not. */
export function rejectionReason(name: string, byteLength: number): string | null {
  const ext = extensionOf(name);
  // No extension: let the engine sniff the bytes (scanners often write bare names).
  if (ext !== '' && !SUPPORTED_EXTENSIONS.has(ext)) {
    return `.${ext} files are not supported; Lucid OCR reads ${SUPPORTED_TYPES_LINE}.`;
  }
  if (byteLength === 0) return 'The file is empty.';
  if (byteLength > MAX_UPLOAD) return `The file is larger than ${Math.round(MAX_UPLOAD / 1024 / 1024)} MiB.`;
  return null;
}

export interface PickedFile {
  /** Path inside the dropped folder, or the bare name. */
  name: string;
  file: File;
}

export interface Collected {
  accepted: PickedFile[];
  rejected: FileRejection[];
}

export function classify(files: PickedFile[]): Collected {
  const out: Collected = { accepted: [], rejected: [] };
  for (const f of files) {
    const reason = rejectionReason(f.name, f.file.size);
    if (reason) out.rejected.push({ name: f.name, reason });
    else out.accepted.push(f);
  }
  return out;
}

/** Files of a FileList (an <input type=file>, with webkitRelativePath for folder pickers). */
export function fromFileList(list: FileList | readonly File[]): PickedFile[] {
  return Array.from(list, (file) => ({ name: file.webkitRelativePath || file.name, file }));
}

/**
 * Files of a drop, folders walked recursively. Entries must be taken synchronously inside the drop
 * handler (the DataTransfer is emptied after it returns), so call this before any await.
 */
export function fromDataTransfer(dt: DataTransfer): Promise<{ files: PickedFile[]; errors: FileRejection[] }> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...Array.from(dt.files ?? []));
  return walkEntries(entries).then(({ files, errors }) => ({ files: [...fromFileList(loose), ...files], errors }));
}

async function walkEntries(entries: FileSystemEntry[]): Promise<{ files: PickedFile[]; errors: FileRejection[] }> {
  const files: PickedFile[] = [];
  const errors: FileRejection[] = [];
  const queue = [...entries];
  while (queue.length > 0) {
    const entry = queue.shift()!;
    const name = entry.fullPath.replace(/^\//, '') || entry.name;
    try {
      if (entry.isFile) {
        const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
        files.push({ name, file });
      } else if (entry.isDirectory) {
        queue.push(...(await readAllEntries(entry as FileSystemDirectoryEntry)));
      }
    } catch (e) {
      errors.push({ name, reason: `Could not be read (${e instanceof Error ? e.message : String(e)}).` });
    }
  }
  files.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  return { files, errors };
}

/** readEntries returns at most 100 entries per call; keep reading until it returns none. */
async function readAllEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}
