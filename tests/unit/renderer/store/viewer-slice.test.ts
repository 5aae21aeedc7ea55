import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createAppStore, type AppStoreApi } from '../../../../renderer/store/index.js';
import { fitPage, pageToViewport, viewportToPage } from '../../../../renderer/lib/coords.js';
import { makePage } from '../make-page.js';
import { FakeClient, summary } from './fake-client.js';

let store: AppStoreApi;
beforeEach(() => {
  store = createAppStore(new FakeClient());
  store.getState().documentsAdded([
    summary('a', 3),
    summary('b', 1),
  ]);
  store.getState().setViewportSize({ width: 800, height: 600 });
});

describe('viewer slice', () => {
  test('fits the page once its image size is known, and refits on viewport resize', () => {
    const s = store.getState();
    s.selectDocument('a');
    s.imageLoaded('a', 0, { width: 1000, height: 1400 });
    assert.deepEqual(store.getState().transform, fitPage({ width: 1000, height: 1400 }, { width: 800, height: 600 }));
    s.setViewportSize({ width: 400, height: 900 });
    assert.deepEqual(store.getState().transform, fitPage({ width: 1000, height: 1400 }, { width: 400, height: 900 }));
  });

  test('the OCR page size wins over the image size', async () => {
    store.getState().selectDocument('b');
    store.getState().imageLoaded('b', 0, { width: 10, height: 10 });
    store.getState().jobStarted('b', 'j', [0]);
    store.getState().pageDone({ jobId: 'j', documentId: 'b', page: makePage(0, [[['x']]]) });
    store.getState().setFitMode('page');
    const page = store.getState().pagesByKey['b#0']!;
    assert.deepEqual(store.getState().transform, fitPage(page, { width: 800, height: 600 }));
  });

  test('zooming at a point keeps that point under the cursor and leaves fit mode', () => {
    const s = store.getState();
    s.selectDocument('a');
    s.imageLoaded('a', 0, { width: 1000, height: 1400 });
    const anchor: [number, number] = [123, 456];
    const before = viewportToPage(anchor, store.getState().transform);
    s.zoomBy(2, anchor);
    const after = store.getState();
    assert.equal(after.fitMode, 'free');
    const p = viewportToPage(anchor, after.transform);
    assert.ok(Math.abs(p[0] - before[0]) < 1e-9 && Math.abs(p[1] - before[1]) < 1e-9);
  });

  test('panning moves the transform; page changes clear the selection and refit', () => {
    const s = store.getState();
    s.selectDocument('a');
    s.imageLoaded('a', 0, { width: 1000, height: 1400 });
    const t0 = store.getState().transform;
    s.panViewBy(15, -20);
    assert.deepEqual(store.getState().transform, { zoom: t0.zoom, panX: t0.panX + 15, panY: t0.panY - 20 });
    s.selectLine('p0-l1', 'overlay');
    s.imageLoaded('a', 1, { width: 500, height: 500 });
    s.selectPage(1);
    const s1 = store.getState();
    assert.equal(s1.currentPageIndex, 1);
    assert.equal(s1.selectedLineId, null);
    assert.equal(s1.fitMode, 'page');
    assert.deepEqual(s1.transform, fitPage({ width: 500, height: 500 }, { width: 800, height: 600 }));
  });

  test('selectPage ignores out-of-range pages', () => {
    store.getState().selectDocument('a');
    store.getState().selectPage(3);
    store.getState().selectPage(-1);
    assert.equal(store.getState().currentPageIndex, 0);
  });

  test('selection, hover, overlay toggle and editing', () => {
    const s = store.getState();
    s.hoverLine('p0-l2');
    s.selectLine('p0-l2', 'text');
    assert.equal(store.getState().hoveredLineId, 'p0-l2');
    assert.equal(store.getState().selectionSource, 'text');
    s.toggleOverlay();
    assert.equal(store.getState().overlayVisible, false);
    s.startEditing('p0-l3');
    assert.equal(store.getState().selectedLineId, 'p0-l3');
    s.stopEditing();
    assert.equal(store.getState().editingLineId, null);
    s.selectLine(null, 'overlay');
    assert.equal(store.getState().selectionSource, null);
  });

  test('revealPageRect pans an off-screen rect into view', () => {
    const s = store.getState();
    s.selectDocument('a');
    s.imageLoaded('a', 0, { width: 1000, height: 1400 });
    s.setZoom(3, [0, 0]);
    s.revealPageRect({ x: 900, y: 1300, width: 50, height: 20 });
    const t = store.getState().transform;
    const [x1, y1] = pageToViewport([950, 1320], t);
    assert.ok(x1 <= 800 && y1 <= 600 && x1 > 0 && y1 > 0);
  });
});
