// Builds the three Electron bundles: main (ESM, node_modules external), the sandboxed preload
// (CommonJS, self-contained but for electron) and the renderer (Vite), plus the app icons.
// `--out <dir>` builds elsewhere than dist/ (tests build their own copy).
import path from 'node:path';
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { renderIcons } from './icons.mjs';

const outIndex = process.argv.indexOf('--out');
const out = path.resolve(outIndex > 0 ? process.argv[outIndex + 1] : 'dist');
const started = Date.now();
await esbuild({
  entryPoints: ['main/index.ts'],
  outfile: path.join(out, 'main', 'index.js'),
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
  outfile: path.join(out, 'preload', 'index.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['electron'],
  sourcemap: true,
  logLevel: 'warning',
});
await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn', build: { outDir: path.join(out, 'renderer'), emptyOutDir: true } });
await renderIcons({ buildDir: 'build', distDir: out });
console.log(`built ${path.relative(process.cwd(), out) || '.'}/{main,preload,renderer,icons} in ${Date.now() - started} ms`);
