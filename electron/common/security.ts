/**
 * The renderer's Content-Security-Policy, one string for both transports (Electron session headers and
 * the local server). Everything is same-origin: the renderer's own scripts and styles, page images as
 * blob:/data: URLs, and calls back to its own origin (the server's /api; Electron IPC needs no network).
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
