/**
 * Page object for the document viewer: the view transform (read from the viewport's data attributes),
 * the SVG boxes mapped back to page pixels through renderer/lib/coords.ts, and the image's placement.
 */
import type { Locator, Page } from 'playwright-core';
import type { Point } from '../../../engines/types.js';
import { parseSvgPoints, viewportToPage, type ViewTransform } from '../../../renderer/lib/coords.js';

export interface BoxInPage {
  lineId: string;
  /** Polygon points mapped back to page pixels. */
  points: Point[];
}

export class ViewerPage {
  constructor(readonly page: Page) {}

  get viewport(): Locator {
    return this.page.getByTestId('viewer-viewport');
  }
  get image(): Locator {
    return this.page.getByTestId('page-image');
  }
  lineBoxes(): Locator {
    return this.page.getByTestId('line-box');
  }
  lineBox(lineId: string): Locator {
    return this.page.locator(`[data-testid="line-box"][data-line-id="${lineId}"]`);
  }
  wordHits(): Locator {
    return this.page.getByTestId('word-hit');
  }

  /** Waits for the page image and its boxes (the OCR result for this page). */
  async waitForBoxes(timeoutMs: number): Promise<void> {
    await this.image.waitFor({ timeout: timeoutMs });
    await this.lineBoxes().first().waitFor({ timeout: timeoutMs });
  }

  async transform(): Promise<ViewTransform> {
    const [zoom, panX, panY] = await this.viewport.evaluate((el) => [el.dataset.zoom, el.dataset.panX, el.dataset.panY].map(Number));
    return { zoom: zoom!, panX: panX!, panY: panY! };
  }

  async pageIndex(): Promise<number> {
    return Number(await this.viewport.getAttribute('data-page-index'));
  }

  /** Every polygon of `locator`, its SVG points taken from the DOM and mapped to page pixels. */
  async polygonsInPage(locator: Locator): Promise<(BoxInPage & { wordIndex?: number })[]> {
    const t = await this.transform();
    const raw = await locator.evaluateAll((els) =>
      els.map((e) => ({ lineId: e.getAttribute('data-line-id') ?? '', wordIndex: e.getAttribute('data-word-index'), points: e.getAttribute('points') ?? '' })),
    );
    return raw.map((r) => ({
      lineId: r.lineId,
      ...(r.wordIndex !== null ? { wordIndex: Number(r.wordIndex) } : {}),
      points: parseSvgPoints(r.points).map((p) => viewportToPage(p, t)),
    }));
  }

  /** The image's on-screen box, relative to the viewport element, in CSS pixels. */
  async imageRectInViewport(): Promise<{ x: number; y: number; width: number; height: number }> {
    return this.page.evaluate(() => {
      const vp = document.querySelector('[data-testid="viewer-viewport"]')!.getBoundingClientRect();
      const im = document.querySelector('[data-testid="page-image"]')!.getBoundingClientRect();
      return { x: im.left - vp.left, y: im.top - vp.top, width: im.width, height: im.height };
    });
  }

  async zoomIn(): Promise<void> {
    const before = (await this.transform()).zoom;
    await this.page.getByTestId('zoom-in').click();
    await this.page.waitForFunction((z) => Number(document.querySelector<HTMLElement>('[data-testid="viewer-viewport"]')?.dataset.zoom) > z, before);
  }

  /** Drags the page by (dx, dy) CSS pixels, starting where no box is (a drag that starts on a box selects it). */
  async pan(dx: number, dy: number): Promise<void> {
    const start = await this.page.evaluate(() => {
      const vp = document.querySelector('[data-testid="viewer-viewport"]')!;
      const r = vp.getBoundingClientRect();
      for (let fy = 0.05; fy < 1; fy += 0.05) {
        for (let fx = 0.05; fx < 1; fx += 0.05) {
          const x = r.left + r.width * fx;
          const y = r.top + r.height * fy;
          const hit = document.elementFromPoint(x, y);
          if (hit === vp || hit?.getAttribute('data-testid') === 'page-image' || hit?.getAttribute('data-testid') === 'box-overlay') return { x, y };
        }
      }
      return null;
    });
    if (!start) throw new Error('no empty spot in the viewport to start a drag');
    const before = await this.transform();
    await this.page.mouse.move(start.x, start.y);
    await this.page.mouse.down();
    await this.page.mouse.move(start.x + dx / 2, start.y + dy / 2, { steps: 4 });
    await this.page.mouse.move(start.x + dx, start.y + dy, { steps: 4 });
    await this.page.mouse.up();
    await this.page.waitForFunction(
      (b) => {
        const el = document.querySelector<HTMLElement>('[data-testid="viewer-viewport"]');
        return Number(el?.dataset.panX) !== b.panX || Number(el?.dataset.panY) !== b.panY;
      },
      before,
    );
  }

  async goToPage(index: number): Promise<void> {
    await this.page.locator(`[data-testid="thumbnail"][data-page-index="${index}"]`).click();
    await this.page.locator(`[data-testid="viewer-viewport"][data-page-index="${index}"]`).waitFor();
  }
}
