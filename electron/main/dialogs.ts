/** Native open/save dialogs for the handlers (desktop only). */
import { dialog, type BrowserWindow } from 'electron';
import type { ExportFormat } from '../common/ipc-contract.js';
import type { NativeDialogs } from './handlers/index.js';

const FILTERS: Record<ExportFormat, Electron.FileFilter> = {
  txt: { name: 'Plain text', extensions: ['txt'] },
  json: { name: 'Lucid OCR JSON', extensions: ['json'] },
  pdf: { name: 'Searchable PDF', extensions: ['pdf'] },
  hocr: { name: 'hOCR', extensions: ['hocr', 'html'] },
  alto: { name: 'ALTO XML', extensions: ['xml'] },
};

export function electronDialogs(parent: () => BrowserWindow | undefined): NativeDialogs {
  return {
    async chooseFiles() {
      const win = parent();
      const opts: Electron.OpenDialogOptions = {
        title: 'Open images or PDFs',
        properties: ['openFile', 'openDirectory', 'multiSelections'],
        filters: [
          { name: 'Images and PDFs', extensions: ['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff', 'bmp', 'gif', 'pdf'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      return r.canceled ? undefined : r.filePaths;
    },
    async chooseSaveFile({ defaultName, format }) {
      const win = parent();
      const opts: Electron.SaveDialogOptions = { title: 'Export', defaultPath: defaultName, filters: [FILTERS[format]] };
      const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
      return r.canceled || !r.filePath ? undefined : r.filePath;
    },
    async chooseFolder({ title }) {
      const win = parent();
      const opts: Electron.OpenDialogOptions = { title, properties: ['openDirectory', 'createDirectory'] };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      return r.canceled ? undefined : r.filePaths[0];
    },
  };
}
