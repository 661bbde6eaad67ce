/**
 * Shared by the UI benchmarks: bundles the fake-API page (renderer/src/dev/bench-entry.tsx) with
 * esbuild, serves it on 127.0.0.1, and launches Debian's Chromium through playwright-core.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../test/support/chromium';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildFakePage(): Promise<string> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-ui-bench-'));
  await build({
    entryPoints: [path.join(repoRoot, 'renderer/src/dev/bench-entry.tsx')],
    bundle: true,
    outdir: out,
    format: 'esm',
    jsx: 'automatic',
    minify: process.env.UI_BENCH_MINIFY !== '0',
    sourcemap: false,
    target: 'chrome120',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  fs.writeFileSync(
    path.join(out, 'index.html'),
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark">
<title>Convoy (fake)</title><link rel="stylesheet" href="bench-entry.css"></head>
<body><div id="root"></div><script type="module" src="bench-entry.js"></script></body></html>`,
  );
  return out;
}

export async function serveDir(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = http.createServer((req, res) => {
    const rel = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/+/, '') || 'index.html';
    const file = path.join(dir, path.basename(rel));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

export async function launch(): Promise<Browser> {
  if (!hasChromium) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package`);
  return launchChromium();
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
