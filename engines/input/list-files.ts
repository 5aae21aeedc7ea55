/**
 * Paths and folders from the command line or a drop → the files to OCR, in natural order
 * ("page2" before "page10"). Nothing is dropped silently: every file or folder not taken is reported
 * with its reason, and finding nothing at all is NO_INPUT_FILES.
 *
 * Files named explicitly are always kept, whatever their extension (the content decides, see
 * sniff.ts); inside folders only supported extensions are picked up.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { OcrError } from '../errors.js';
import { SUPPORTED_EXTENSIONS, SUPPORTED_TYPES_LINE, extensionOf } from './sniff.js';

export interface ListedInputFiles {
  /** Absolute paths, in the order given; each folder's files naturally sorted. */
  files: string[];
  skipped: { path: string; reason: string }[];
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order, case-insensitive; ties broken by code point so the order is total and stable. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

export async function listInputFiles(pathsOrFolders: string[]): Promise<ListedInputFiles> {
  const files: string[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();

  const addFile = (full: string): void => {
    if (seenFiles.has(full)) return;
    seenFiles.add(full);
    files.push(full);
  };

  async function walk(dir: string): Promise<void> {
    const real = await fs.realpath(dir);
    if (seenDirs.has(real)) return; // symlink loops and folders given twice
    seenDirs.add(real);
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      skipped.push({ path: dir, reason: `folder cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
      return;
    }
    entries.sort((a, b) => naturalCompare(a.name, b.name));
    const before = files.length;
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const st = await fs.stat(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          skipped.push({ path: full, reason: 'broken symbolic link' });
          continue;
        }
      }
      if (entry.name.startsWith('.')) {
        // .DS_Store, .git and friends: reported, never read or searched.
        skipped.push({ path: full, reason: isDir ? 'hidden folder (not searched)' : 'hidden file' });
        continue;
      }
      if (isDir) {
        await walk(full);
      } else if (isFile) {
        const ext = extensionOf(entry.name);
        if (SUPPORTED_EXTENSIONS.has(ext)) addFile(full);
        else skipped.push({ path: full, reason: ext ? `unsupported file type .${ext} (supported: ${SUPPORTED_TYPES_LINE})` : `no file extension (supported: ${SUPPORTED_TYPES_LINE})` });
      } else {
        skipped.push({ path: full, reason: 'not a regular file' });
      }
    }
    if (files.length === before && entries.length === 0) skipped.push({ path: dir, reason: 'empty folder' });
  }

  for (const given of pathsOrFolders) {
    const full = path.resolve(given);
    let st;
    try {
      st = await fs.stat(full);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new OcrError('NOT_FOUND', code === 'ENOENT' || code === 'ENOTDIR' ? `${given} does not exist.` : `${given} cannot be opened (${code}).`, {
        file: path.basename(full),
        cause: e,
      });
    }
    if (st.isDirectory()) await walk(full);
    else addFile(full);
  }

  if (files.length === 0) {
    const detail = skipped.length ? ` Skipped: ${skipped.slice(0, 5).map((s) => `${s.path} (${s.reason})`).join('; ')}${skipped.length > 5 ? `; and ${skipped.length - 5} more` : ''}.` : '';
    throw new OcrError('NO_INPUT_FILES', `No images or PDFs found in ${pathsOrFolders.join(', ') || '(nothing given)'}.${detail}`);
  }
  return { files, skipped };
}
