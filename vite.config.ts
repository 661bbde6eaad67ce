import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { ELECTRON_CSP } from './main/electron/security.ts';

/**
 * The CSP also goes into the page itself, so it holds however the page is served (Electron's
 * convoy:// handler and browser mode send it as a header too; frame-ancestors only works there).
 */
function cspMeta(): Plugin {
  const content = ELECTRON_CSP.split(';')
    .map((d) => d.trim())
    .filter((d) => d && !d.startsWith('frame-ancestors'))
    .join('; ');
  return {
    name: 'convoy-csp-meta',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content }, injectTo: 'head-prepend' }],
  };
}

// The renderer: built to dist/renderer, served by Electron's convoy://app scheme and by browser mode over HTTP.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react(), cspMeta()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true },
});
