/** Page object for the export dialog; in the browser an export ends in a download, read back here. */
import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';

export type Format = 'txt' | 'json' | 'pdf' | 'hocr' | 'alto';

export class ExportDialogPage {
  constructor(readonly page: Page) {}

  get dialog(): Locator {
    return this.page.getByTestId('export-dialog');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('export-open').click();
    await this.dialog.waitFor();
  }

  async close(): Promise<void> {
    await this.page.getByTestId('export-dialog-close').click();
    await this.dialog.waitFor({ state: 'detached' });
  }

  /** Chooses format and scope, clicks Download, and returns the downloaded file. */
  async download(format: Format, scope: 'current' | 'all' = 'current'): Promise<{ fileName: string; bytes: Buffer }> {
    await this.page.getByTestId(`export-format-${format}`).check();
    await this.page.getByTestId(`export-scope-${scope}`).check();
    const [download] = await Promise.all([this.page.waitForEvent('download', { timeout: 60_000 }), this.page.getByTestId('export-submit').click()]);
    const file = await download.path();
    await this.page.locator('[data-testid="export-status"][data-state="done"]').waitFor();
    return { fileName: download.suggestedFilename(), bytes: await readFile(file) };
  }
}
