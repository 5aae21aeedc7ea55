/** Page object for the text panel: lines in reading order, selection and inline editing. */
import type { Locator, Page } from 'playwright-core';

export class TextPanelPage {
  constructor(readonly page: Page) {}

  get root(): Locator {
    return this.page.getByTestId('text-panel');
  }
  lines(): Locator {
    return this.page.getByTestId('text-line');
  }
  line(lineId: string): Locator {
    return this.page.locator(`[data-testid="text-line"][data-line-id="${lineId}"]`);
  }

  async lineTexts(): Promise<{ lineId: string; text: string }[]> {
    return this.lines().evaluateAll((els) =>
      els.map((e) => ({ lineId: e.getAttribute('data-line-id') ?? '', text: e.querySelector('.text-line-text')?.textContent ?? '' })),
    );
  }

  async selectedLineId(): Promise<string | null> {
    const sel = this.page.locator('[data-testid="text-line"][data-selected="true"]');
    return (await sel.count()) === 0 ? null : sel.first().getAttribute('data-line-id');
  }

  /** Double-click a line, type the correction, press Enter. */
  async editLine(lineId: string, text: string): Promise<void> {
    await this.line(lineId).dblclick();
    const editor = this.page.getByTestId('line-editor');
    await editor.fill(text);
    await editor.press('Enter');
    await this.page.locator(`[data-testid="text-line"][data-line-id="${lineId}"][data-edited="true"]`).waitFor();
  }
}
