/**
 * End to end, in Debian's Chromium: the built renderer (dist/renderer, from `npm run build`) served by
 * `lucid-ocr serve` from sources, with the real handlers, worker and pipeline. The engine's own output is
 * taken from the server's event stream (a second listener in this process) and the UI is held to it:
 * boxes, text, search highlights, exports.
 *
 * Run: npm run build && node --import tsx --test tests/e2e/ocr-flow.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page as PwPage } from 'playwright-core';
import type { Line, OcrDocument, Page, Point, Quad } from '../../engines/types.js';
import { pageToViewport } from '../../renderer/lib/coords.js';
import { launchBrowser, newAppPage, type PageErrors } from './helpers/browser.js';
import { recordEvents, type EventRecorder } from './helpers/event-recorder.js';
import { REPO_ROOT, startServer, type RunningServer } from './helpers/server.js';
import { AppPage, OCR_TIMEOUT_MS, SCREENSHOT_DIR } from './pages/app-page.js';
import { ExportDialogPage } from './pages/export-dialog-page.js';
import { SearchPage } from './pages/search-page.js';
import { SettingsPage } from './pages/settings-page.js';
import { TextPanelPage } from './pages/text-panel-page.js';
import { ViewerPage, type BoxInPage } from './pages/viewer-page.js';

const IMAGE = path.join(REPO_ROOT, 'tests/fixtures/synthetic/dejavu-sans.png');
const IMAGE_TRUTH = path.join(REPO_ROOT, 'tests/fixtures/synthetic/dejavu-sans.truth.json');
const PDF = path.join(REPO_ROOT, 'tests/fixtures/pdf/multipage-3.pdf');
const NOT_A_DOCUMENT = path.join(REPO_ROOT, 'tests/fixtures/bad/unknown.xyz');
const TEXT_NAMED_PNG = path.join(REPO_ROOT, 'tests/fixtures/bad/text-named.png');
/** Boxes must land within this many page pixels of the engine's quads. */
const BOX_TOLERANCE_PX = 1.5;

function lines(page: Page): Line[] {
  return page.blocks.flatMap((b) => b.lines);
}

function assertPointsNear(actual: Point[], expected: Quad, what: string): void {
  assert.equal(actual.length, 4, `${what}: 4 points`);
  actual.forEach((p, i) => {
    const d = Math.hypot(p[0] - expected[i]![0], p[1] - expected[i]![1]);
    assert.ok(d <= BOX_TOLERANCE_PX, `${what} point ${i}: ${p} vs engine ${expected[i]} (${d.toFixed(2)} px)`);
  });
}

/** Every drawn box is a line of the engine's page, where the engine put it; and every line is drawn. */
function assertBoxesMatch(boxes: BoxInPage[], page: Page): void {
  const byId = new Map(lines(page).map((l) => [l.id, l]));
  assert.equal(boxes.length, byId.size, 'one box per recognised line');
  for (const b of boxes) {
    const line = byId.get(b.lineId);
    assert.ok(line, `box ${b.lineId} is a line of the engine's result`);
    assertPointsNear(b.points, line.quad, `line ${b.lineId}`);
  }
}

async function waitForEnginePages(rec: EventRecorder, documentId: string, count: number): Promise<Page[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pages = rec.pages.get(documentId) ?? [];
    if (pages.length >= count) return [...pages].sort((a, b) => a.index - b.index);
    if (Date.now() > deadline) throw new Error(`the event stream carried ${pages.length} of ${count} pages for ${documentId}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('OCR in the browser: server mode with the real worker and pipeline', { timeout: 20 * 60_000 }, () => {
  let server: RunningServer;
  let rec: EventRecorder;
  let browser: Browser;
  let page: PwPage;
  let log: PageErrors;
  let app: AppPage;
  let viewer: ViewerPage;
  let text: TextPanelPage;
  let search: SearchPage;
  let exporter: ExportDialogPage;
  let settings: SettingsPage;
  let imageDocId = '';
  let imagePage: Page;

  before(async () => {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    server = await startServer();
    rec = await recordEvents(server);
    browser = await launchBrowser();
    ({ page, log } = await newAppPage(browser));
    app = new AppPage(page);
    viewer = new ViewerPage(page);
    text = new TextPanelPage(page);
    search = new SearchPage(page);
    exporter = new ExportDialogPage(page);
    settings = new SettingsPage(page);
    await app.open(server.url);
  });

  after(async () => {
    rec?.stop();
    await browser?.close();
    await server?.stop();
  });

  test('the token from the printed URL opens the app; the empty state invites a drop', async () => {
    await app.dropZone.waitFor();
    assert.equal(new URL(page.url()).searchParams.get('token'), null, 'the token left the address bar');
    await app.screenshot('01-empty');
  });

  test('an image dropped on the drop zone is recognised; every box sits on the engine quad', async () => {
    await app.dropFiles([IMAGE], app.dropZone);
    assert.equal(await app.waitForDocumentSettled('dejavu-sans.png'), 'done');
    imageDocId = (await app.documentItem('dejavu-sans.png').getAttribute('data-document-id'))!;
    [imagePage] = await waitForEnginePages(rec, imageDocId, 1);
    await viewer.waitForBoxes(OCR_TIMEOUT_MS);
    assert.ok(lines(imagePage!).length >= 8, 'the page has its lines');

    assertBoxesMatch(await viewer.polygonsInPage(viewer.lineBoxes()), imagePage!);

    // The image is drawn by the same transform: its corners land where coords.ts puts the page corners.
    const t = await viewer.transform();
    const rect = await viewer.imageRectInViewport();
    const [x0, y0] = pageToViewport([0, 0], t);
    const [x1, y1] = pageToViewport([imagePage!.width, imagePage!.height], t);
    for (const [a, b, what] of [[rect.x, x0, 'left'], [rect.y, y0, 'top'], [rect.x + rect.width, x1, 'right'], [rect.y + rect.height, y1, 'bottom']] as const) {
      assert.ok(Math.abs(a - b) <= 1, `image ${what} edge at ${a}, transform says ${b}`);
    }
    await app.screenshot('02-image-boxes');
  });

  test('the text panel shows the recognised lines in reading order, and the expected words', async () => {
    const shown = await text.lineTexts();
    assert.deepEqual(shown, lines(imagePage).map((l) => ({ lineId: l.id, text: l.text })));
    // The engine's accuracy is measured elsewhere (tests/eval); here: the words a reader looks for are there.
    const shownText = shown.map((l) => l.text).join('\n').toLowerCase();
    const truth = JSON.parse(await readFile(IMAGE_TRUTH, 'utf8')) as { lines: string[] };
    for (const w of ['harbour', 'lighthouse', 'mackerel', 'timetable']) {
      assert.ok(truth.lines.join(' ').toLowerCase().includes(w), `"${w}" is in the fixture`);
      assert.ok(shownText.includes(w), `"${w}" is shown`);
    }
  });

  test('clicking a box selects its line in the text, and clicking a line selects its box', async () => {
    const [, second, third] = lines(imagePage);
    // Fit width: legible text for the screenshot below.
    await page.getByTestId('fit-width').click();
    await page.locator('[data-testid="fit-width"][aria-pressed="true"]').waitFor();
    await viewer.lineBox(second!.id).click();
    await page.locator(`[data-testid="text-line"][data-line-id="${second!.id}"][data-selected="true"]`).waitFor();
    assert.equal(await viewer.lineBox(second!.id).getAttribute('data-selected'), 'true');

    await viewer.lineBox(third!.id).hover();
    const tip = page.getByTestId('box-tooltip');
    await tip.waitFor();
    assert.ok((await tip.textContent())!.includes(third!.text), 'hover shows the line text');

    await text.line(third!.id).click();
    await page.locator(`[data-testid="line-box"][data-line-id="${third!.id}"][data-selected="true"]`).waitFor();
    assert.equal(await text.selectedLineId(), third!.id);
    await page.mouse.move(5, 5);
    await app.screenshot('03-linked-selection');
    // The README's screenshot: boxes on a page with the linked line selected in the text.
    await mkdir(path.join(REPO_ROOT, 'docs'), { recursive: true });
    await copyFile(path.join(SCREENSHOT_DIR, '03-linked-selection.png'), path.join(REPO_ROOT, 'docs', 'screenshot.png'));
  });

  test('boxes stay on the engine quads after zooming and panning', async () => {
    await viewer.zoomIn();
    await viewer.zoomIn();
    await viewer.pan(-120, -60);
    assertBoxesMatch(await viewer.polygonsInPage(viewer.lineBoxes()), imagePage);
    await app.screenshot('04-zoomed');
    await page.getByTestId('fit-page').click();
  });

  test('search finds a word and highlights exactly its box', async () => {
    await search.search('LightHouse');
    assert.ok((await search.hits().count()) >= 1, 'at least one hit');
    await search.hits().first().click();
    const active = page.locator('[data-testid="word-hit"][data-active="true"]');
    await active.waitFor();
    const [hit] = await viewer.polygonsInPage(active);
    const line = lines(imagePage).find((l) => l.id === hit!.lineId)!;
    const word = line.words[hit!.wordIndex!]!;
    assert.match(word.text.toLowerCase(), /lighthouse/);
    assertPointsNear(hit!.points, word.quad, 'highlighted word');
    await app.screenshot('05-search-hit');
    await search.clear();
  });

  test('the JSON export, downloaded through the UI, equals the engine output', async () => {
    await exporter.open();
    const { fileName, bytes } = await exporter.download('json');
    await exporter.close();
    assert.match(fileName, /\.json$/);
    const doc = JSON.parse(bytes.toString('utf8')) as OcrDocument;
    assert.equal(doc.$schema, 'https://lucid-ocr.dev/schema/document/v1');
    assert.equal(doc.source.name, 'dejavu-sans.png');
    assert.deepEqual(doc.pages, [imagePage]);
    assert.deepEqual(doc.failures, []);
  });

  test('an edited line is carried by the txt export without re-running OCR', async () => {
    const target = lines(imagePage)[1]!;
    const edited = 'The harbour master EDITED this line by hand.';
    const jobsBefore = rec.jobsDone.length;
    await text.editLine(target.id, edited);
    assert.equal((await text.lineTexts()).find((l) => l.lineId === target.id)?.text, edited);
    await exporter.open();
    const { bytes } = await exporter.download('txt');
    await exporter.close();
    const txt = bytes.toString('utf8');
    assert.ok(txt.includes(edited), 'the export has the edit');
    assert.ok(!txt.includes(target.text), 'and not the OCR text it replaced');
    for (const l of lines(imagePage).filter((l) => l.id !== target.id)) assert.ok(txt.includes(l.text), `unedited line "${l.text}" kept`);
    assert.equal(rec.jobsDone.length, jobsBefore, 'no OCR job ran');
  });

  test('a multi-page PDF and unsupported files picked together: the PDF is read page by page, the others listed with reasons', async () => {
    await app.addFilesWithInput([PDF, NOT_A_DOCUMENT, TEXT_NAMED_PNG]);
    await app.rejectedItems().nth(1).waitFor({ timeout: 30_000 });
    const rejected = await app.rejectedItems().evaluateAll((els) => els.map((e) => [e.getAttribute('data-name'), e.querySelector('.reason')?.textContent ?? '']));
    const reasons = new Map(rejected as [string, string][]);
    assert.match(reasons.get('unknown.xyz') ?? '', /not supported/);
    assert.ok((reasons.get('text-named.png') ?? '').length > 0, 'the engine says why text-named.png was refused');

    assert.equal(await app.waitForDocumentSettled('multipage-3.pdf', 3 * OCR_TIMEOUT_MS), 'done');
    const pdfId = (await app.documentItem('multipage-3.pdf').getAttribute('data-document-id'))!;
    const pdfPages = await waitForEnginePages(rec, pdfId, 3);
    await app.selectDocument('multipage-3.pdf');
    assert.equal(await page.getByTestId('thumbnail').count(), 3);
    for (const index of [0, 2]) {
      if (index > 0) await viewer.goToPage(index);
      await viewer.waitForBoxes(OCR_TIMEOUT_MS);
      assert.equal(await viewer.pageIndex(), index);
      assertBoxesMatch(await viewer.polygonsInPage(viewer.lineBoxes()), pdfPages[index]!);
    }
    await app.screenshot('06-pdf-page-3');
    await page.getByTestId('text-scope-document').click();
    assert.equal(await page.getByTestId('page-text').count(), 3, 'whole-document text has all three pages');
    await page.getByTestId('text-scope-page').click();
  });

  test('a folder picked with "Open folder" lists its unsupported files instead of dropping them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lucid-e2e-'));
    try {
      await writeFile(path.join(dir, 'notes.txt'), 'not a scan\n');
      await writeFile(path.join(dir, 'slides.pptx'), 'PK');
      await page.getByTestId('folder-input').setInputFiles(dir);
      await page.locator('[data-testid="rejected-item"][data-name$="slides.pptx"]').waitFor();
      await page.locator('[data-testid="rejected-item"][data-name$="notes.txt"]').waitFor();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await page.getByTestId('dismiss-rejected').click();
    await app.rejectedItems().first().waitFor({ state: 'detached' });
  });

  test('the FP16 vs FP32 comparison shows both timings', async () => {
    await app.selectDocument('dejavu-sans.png');
    await settings.open();
    const r = await settings.compare(2 * OCR_TIMEOUT_MS);
    assert.ok(r.fp32Ms > 0 && r.fp16Ms > 0, `timings ${r.fp32Ms} / ${r.fp16Ms}`);
    assert.ok(Number.isInteger(r.changedWords) && r.changedWords >= 0);
    await app.screenshot('07-compare');
    await settings.close();
  });

  test('the engine panel says what ran each stage', async () => {
    await page.getByTestId('engine-status').click();
    await page.getByTestId('engine-panel').waitFor();
    assert.equal(await page.getByTestId('engine-stage-provider').count(), 3);
    await page.getByTestId('page-timings').waitFor();
    await app.screenshot('08-engine');
    await page.getByTestId('engine-panel-close').click();
  });

  test('no script errors or CSP violations in the page', () => {
    const serious = log.errors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e));
    assert.deepEqual(serious, []);
  });
});
