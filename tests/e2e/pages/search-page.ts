/** Page object for search: the header box and the hit list. */
import type { Locator, Page } from 'playwright-core';

export class SearchPage {
  constructor(readonly page: Page) {}

  get input(): Locator {
    return this.page.getByTestId('search-input');
  }
  hits(): Locator {
    return this.page.getByTestId('search-hit');
  }

  async search(query: string): Promise<void> {
    await this.input.fill(query);
    await this.page.getByTestId('search-results').waitFor();
  }

  async clear(): Promise<void> {
    await this.page.getByTestId('search-clear').click();
    await this.page.getByTestId('search-results').waitFor({ state: 'detached' });
  }
}
