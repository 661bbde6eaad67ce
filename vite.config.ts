import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { ELECTRON_CSP } from './main/electron/security';

/**
 * Electron loads the page from file://, where no response header can carry a CSP: the policy goes
 * into the page itself (frame-ancestors only works as a header, so it is left out here).
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

// The renderer: built to dist/renderer, loaded by Electron from file:// and by browser mode over HTTP.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react(), cspMeta()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, sourcemap: true },
});
