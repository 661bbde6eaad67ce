// Builds the three Electron bundles: main (ESM, node_modules external), the sandboxed preload
// (CommonJS, self-contained but for electron) and the renderer (Vite).
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';

const started = Date.now();
await esbuild({
  entryPoints: ['main/index.ts'],
  outfile: 'dist/main/index.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
await esbuild({
  entryPoints: ['preload/index.ts'],
  outfile: 'dist/preload/index.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
  sourcemap: true,
  logLevel: 'warning',
});
await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn' });
console.log(`built dist/main/index.js, dist/preload/index.cjs and dist/renderer/ in ${Date.now() - started} ms`);
