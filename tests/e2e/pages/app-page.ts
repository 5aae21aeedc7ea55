/** Page object for the whole window: opening files (input and real drop events) and the document list. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/server.js';

/** Git-ignored. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'tests', '.artifacts', 'screenshots');

/** Long enough for a cold worker to load models and OCR a page on 2 CPU cores. */
export const OCR_TIMEOUT_MS = 180_000;

export class AppPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.page.getByTestId('app-root').waitFor();
  }

  get dropZone(): Locator {
    return this.page.getByTestId('drop-zone');
  }

  documentItems(): Locator {
    return this.page.getByTestId('document-item');
  }

  documentItem(name: string): Locator {
    return this.documentItems().filter({ has: this.page.locator('.file-name', { hasText: name }) });
  }

  rejectedItems(): Locator {
    return this.page.getByTestId('rejected-item');
  }

  /** The hidden <input type=file> behind "Open files…". */
  async addFilesWithInput(paths: string[]): Promise<void> {
    await this.page.getByTestId('file-input').setInputFiles(paths);
  }

  /**
   * A real drop: the files' bytes go into the page, a DataTransfer is built there, and dragenter,
   * dragover and drop are dispatched on `target` the way the browser would.
   */
  async dropFiles(paths: string[], target: Locator): Promise<void> {
    const files = await Promise.all(
      paths.map(async (p) => ({ name: path.basename(p), type: mimeFor(p), base64: (await readFile(p)).toString('base64') })),
    );
    const handle = await target.elementHandle();
    if (!handle) throw new Error('drop target not found');
    await this.page.evaluate(
      ({ el, files }) => {
        const dt = new DataTransfer();
        for (const f of files) {
          const bin = atob(f.base64);
          const bytes = new Uint8Array(bin.length);
          for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
          dt.items.add(new File([bytes], f.name, { type: f.type }));
        }
        // No named helpers in here: tsx would wrap them in a __name() the page does not have.
        for (const type of ['dragenter', 'dragover', 'drop']) {
          el.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
        }
      },
      { el: handle, files },
    );
  }

  /** Waits until the document's OCR job is over, and returns its final status. */
  async waitForDocumentSettled(name: string, timeoutMs = OCR_TIMEOUT_MS): Promise<string> {
    const item = this.documentItem(name);
    await item.waitFor({ timeout: timeoutMs });
    await this.page.waitForFunction(
      (el) => ['done', 'failed', 'cancelled', 'start-failed'].includes(el?.getAttribute('data-status') ?? ''),
      await item.elementHandle(),
      { timeout: timeoutMs, polling: 250 },
    );
    return (await item.getAttribute('data-status')) ?? '';
  }

  async selectDocument(name: string): Promise<void> {
    await this.documentItem(name).locator('.document-open').click();
    await this.documentItem(name).and(this.page.locator('[aria-current="true"]')).waitFor();
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}

export function mimeFor(p: string): string {
  const ext = path.extname(p).toLowerCase();
  return ext === '.pdf' ? 'application/pdf' : ext === '.png' ? 'image/png' : ext === '.jpg' || ext === '.jpeg' ? 'image/jpeg' : 'application/octet-stream';
}
