/**
 * Renderer build: renderer/ → dist/renderer. `base: './'` keeps every asset URL relative, so the same
 * build loads from file:// in Electron and from the local server's root. Nothing remote is referenced;
 * the CSP in index.html (and the server's header) allows only 'self', blob: and data:.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** The dev server injects an inline React-refresh preamble, which the production CSP forbids. */
function dropCspInDev(): Plugin {
  return {
    name: 'lucid-drop-csp-in-dev',
    apply: 'serve',
    transformIndexHtml(html) {
      return html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>/s, '');
    },
  };
}

export default defineConfig({
  root: `${here}renderer`,
  base: './',
  plugins: [react(), dropCspInDev()],
  build: {
    outDir: `${here}dist/renderer`,
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // Chromium has native modulepreload; the polyfill would only add code.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  server: { host: '127.0.0.1' },
});
