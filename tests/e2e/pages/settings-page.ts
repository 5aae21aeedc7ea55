/** Page object for the settings dialog and its FP16-vs-FP32 comparison. */
import type { Locator, Page } from 'playwright-core';

export class SettingsPage {
  constructor(readonly page: Page) {}

  get panel(): Locator {
    return this.page.getByTestId('settings-panel');
  }

  async open(): Promise<void> {
    await this.page.getByTestId('settings-open').click();
    await this.panel.waitFor();
  }

  async close(): Promise<void> {
    await this.page.getByTestId('settings-panel-close').click();
    await this.panel.waitFor({ state: 'detached' });
  }

  /** Runs the comparison on the current page and returns both wall times as shown. */
  async compare(timeoutMs: number): Promise<{ fp16Ms: number; fp32Ms: number; changedWords: number }> {
    await this.page.getByTestId('compare-run').click();
    await this.page.getByTestId('compare-result').or(this.page.getByTestId('compare-error')).waitFor({ timeout: timeoutMs });
    if (await this.page.getByTestId('compare-error').isVisible()) {
      throw new Error(`compare failed: ${await this.page.getByTestId('compare-error').textContent()}`);
    }
    const ms = async (id: string) => Number(await this.page.getByTestId(id).getAttribute('data-ms'));
    return {
      fp16Ms: await ms('compare-fp16-ms'),
      fp32Ms: await ms('compare-fp32-ms'),
      changedWords: Number(await this.page.getByTestId('compare-changed-count').getAttribute('data-count')),
    };
  }
}
