/**
 * Paste → interactive against the real thing: browser mode with the real core (SQLite queue, HTTP,
 * Server-Sent Events) and its local engine, in Debian's Chromium. One paste of N URLs into the
 * page, timed until the rows are on screen and a click on a row is answered; 10,000 URLs against a
 * 100-URL baseline in the same run. The URLs are only queued (no target yet), so nothing is fetched.
 *
 * Run: npx tsx bench/ui-real-paste.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { createCore } from '../main/core';
import { serveApp } from '../test/support/browser-app';
import { launch, percentile } from './ui-harness';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-ui-real-'));
  const staticDir = path.join(tmp, 'static');
  await build({ configFile: path.join(repoRoot, 'vite.config.ts'), logLevel: 'error', build: { outDir: staticDir, emptyOutDir: true, sourcemap: false } });
  const launched = await launch();
  const context = await launched.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript('window.__name = (f) => f');
  const results: Record<string, number> = {};
  try {
    const runs: Record<number, number[]> = { 100: [], 10000: [] };
    for (let i = 0; i < 3; i++) {
      for (const n of [100, 10_000]) {
        // A fresh core per run: an empty queue each time.
        const core = await createCore({ shell: 'browser', dataDir: path.join(tmp, `data-${n}-${i}`) });
        const adapter = await serveApp(core, staticDir);
        const page = await context.newPage();
        await page.goto(adapter.url);
        await page.waitForFunction(() => document.querySelector('.queue-empty')?.textContent?.includes('Nothing queued'), null, { timeout: 20_000 });
        const ms = await page.evaluate(async (count) => {
          const text = Array.from({ length: count }, (_, k) => `https://files.example.com/batch/${k}/photo-${k}.jpg`).join('\n');
          const frame = () => new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())));
          const dt = new DataTransfer();
          dt.setData('text/plain', text);
          const t0 = performance.now();
          document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
          const want = `All ${count.toLocaleString()}`;
          const rowsSel = '[role="list"][aria-label="Queue"] [role="listitem"]';
          for (;;) {
            const t = await frame();
            if (document.querySelector('[role="radio"]')?.textContent === want && document.querySelectorAll(rowsSel).length) break;
            if (t - t0 > 120_000) throw new Error('rows never appeared');
          }
          const rows = document.querySelectorAll<HTMLElement>(rowsSel);
          const target = rows[rows.length - 1];
          target.querySelector<HTMLInputElement>('input[type="checkbox"]')!.click();
          for (;;) {
            const t = await frame();
            if (target.classList.contains('selected')) return t - t0;
            if (t - t0 > 120_000) throw new Error('click never answered');
          }
        }, n);
        runs[n].push(ms);
        await page.close();
        await adapter.close();
        await core.close();
      }
    }
    const base = percentile(runs[100], 50);
    const big = percentile(runs[10_000], 50);
    results.real_paste_100_interactive_ms = Math.round(base);
    results.real_paste_10000_interactive_ms = Math.round(big);
    console.log(`real_paste_100_interactive_ms: ${Math.round(base)} ms  (baseline; runs ${runs[100].map(Math.round).join(', ')})`);
    console.log(
      `real_paste_10000_interactive_ms: ${Math.round(big)} ms  (${(big / base).toFixed(1)}× the baseline for 100× the URLs; runs ${runs[10_000].map(Math.round).join(', ')})`,
    );
  } finally {
    await launched.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
