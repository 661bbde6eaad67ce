/**
 * Renderer benchmarks in Debian's Chromium, over the fake API (renderer/src/dev/fake-api.ts) with
 * every call and event serialised through JSON like a real transport:
 *
 *   1. paste → interactive: time from one paste of N URLs until the rows are on screen and a click
 *      on a row is answered, for 10,000 URLs against a 100-URL baseline;
 *   2. scroll frames: frame intervals (p50/p95/max) scrolling through 10,000 rows while 200 item
 *      events per second arrive, against the same scroll with no events;
 *   3. heap: the renderer's JS heap with 10,000 rows, against the empty app and the fake alone.
 *
 * Run: npx tsx bench/ui-bench.ts   (prints one line per number, and JSON at the end)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { buildFakePage, launch, percentile, serveDir } from './ui-harness';

const VIEWPORT = { width: 1280, height: 800 };
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function pasteUntilInteractive(page: Page, count: number): Promise<{ visibleMs: number; interactiveMs: number }> {
  return page.evaluate(async (n) => {
    const text = Array.from({ length: n }, (_, i) => `https://files.example.com/batch/${i}/photo-${i}.jpg`).join('\n');
    const frame = () => new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())));
    const allChip = () => document.querySelector('[role="radio"]')?.textContent ?? '';
    const dt = new DataTransfer();
    dt.setData('text/plain', text);
    const t0 = performance.now();
    document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    const want = `All ${n.toLocaleString()}`;
    let visible = 0;
    for (;;) {
      const t = await frame();
      if (allChip() === want && document.querySelectorAll('[role="list"][aria-label="Queue"] [role="listitem"]').length > 0) {
        visible = t;
        break;
      }
      if (t - t0 > 60_000) throw new Error('rows never appeared');
    }
    // Interactive: a click on the last visible row's checkbox is answered in the next frames.
    const rows = document.querySelectorAll<HTMLElement>('[role="list"][aria-label="Queue"] [role="listitem"]');
    const target = rows[rows.length - 1];
    target.querySelector<HTMLInputElement>('input[type="checkbox"]')!.click();
    let interactive = 0;
    for (;;) {
      const t = await frame();
      if (target.classList.contains('selected')) {
        interactive = t;
        break;
      }
      if (t - t0 > 60_000) throw new Error('click never answered');
    }
    return { visibleMs: visible - t0, interactiveMs: interactive - t0 };
  }, count);
}

async function scrollFrames(page: Page, durationMs: number): Promise<number[]> {
  return page.evaluate(async (duration) => {
    const el = document.querySelector<HTMLElement>('.queue-scroll')!;
    const deltas: number[] = [];
    let last = performance.now();
    const start = last;
    let direction = 1;
    await new Promise<void>((done) => {
      const tick = (now: number) => {
        deltas.push(now - last);
        last = now;
        // ~40 rows a second, like a fast flick with a trackpad.
        el.scrollTop += direction * 48;
        if (el.scrollTop + el.clientHeight >= el.scrollHeight - 1) direction = -1;
        if (el.scrollTop <= 0) direction = 1;
        if (now - start < duration) requestAnimationFrame(tick);
        else done();
      };
      requestAnimationFrame(tick);
    });
    return deltas.slice(2); // the first frames include the set-up
  }, durationMs);
}

/** Main-thread time the renderer spent (CPU seconds, from Chrome's Performance domain). */
async function mainThread(page: Page): Promise<() => Promise<{ taskMs: number; scriptMs: number; layoutMs: number }>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async () => {
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    return { task: m.TaskDuration ?? 0, script: m.ScriptDuration ?? 0, layout: (m.LayoutDuration ?? 0) + (m.RecalcStyleDuration ?? 0) };
  };
  const before = await read();
  return async () => {
    const after = await read();
    await cdp.detach();
    return {
      taskMs: (after.task - before.task) * 1000,
      scriptMs: (after.script - before.script) * 1000,
      layoutMs: (after.layout - before.layout) * 1000,
    };
  };
}

async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  return usedSize / 1024 / 1024;
}

async function main() {
  const dir = await buildFakePage();
  const server = await serveDir(dir);
  const launched = await launch();
  // tsx compiles the page functions below with esbuild's keepNames, which calls a __name helper.
  const browser = await launched.newContext({ viewport: VIEWPORT });
  await browser.addInitScript('window.__name = (f) => f');
  const results: Record<string, number> = {};
  const say = (key: string, value: number, unit: string, note = '') => {
    results[key] = Math.round(value * 100) / 100;
    console.log(`${key}: ${results[key]} ${unit}${note ? `  (${note})` : ''}`);
  };
  try {
    // 1. Paste → interactive (fresh page each run; median of 3).
    const runs: Record<number, Array<{ visibleMs: number; interactiveMs: number }>> = { 100: [], 10000: [] };
    for (let i = 0; i < 3; i++) {
      for (const n of [100, 10_000]) {
        const page = await browser.newPage();
        await page.goto(`${server.url}?serialize`);
        await page.getByRole('region', { name: 'Drop files or URLs' }).waitFor();
        await page.waitForFunction(() => document.querySelector('.queue-empty')?.textContent?.includes('Nothing queued'));
        runs[n].push(await pasteUntilInteractive(page, n));
        await page.close();
      }
    }
    const med = (xs: number[]) => percentile(xs, 50);
    const base = med(runs[100].map((r) => r.interactiveMs));
    const big = med(runs[10_000].map((r) => r.interactiveMs));
    say('paste_100_interactive_ms', base, 'ms', 'baseline');
    say('paste_10000_visible_ms', med(runs[10_000].map((r) => r.visibleMs)), 'ms');
    say('paste_10000_interactive_ms', big, 'ms', `${(big / base).toFixed(1)}× the 100-URL baseline for 100× the URLs`);

    // 2. Scroll frames over 10,000 rows, with and without 200 events/s.
    const page = await browser.newPage();
    await page.goto(`${server.url}?seed=10000&serialize`);
    await page.waitForFunction(() => document.querySelectorAll('[role="list"][aria-label="Queue"] [role="listitem"]').length > 5);
    await page.waitForTimeout(500);
    await scrollFrames(page, 1500); // warm-up: JIT, first mounts of each row shape
    const calmCpu = await mainThread(page);
    const calm = await scrollFrames(page, 4000);
    const calmBusy = await calmCpu();
    await page.evaluate(() => {
      (window as unknown as { __stop: () => void }).__stop = window.__fake!.startProgressStream(200);
    });
    await page.waitForTimeout(300);
    // The events alone, with the list still: what 200 updates a second cost the main thread.
    const stillCpu = await mainThread(page);
    await page.waitForTimeout(4000);
    const still = await stillCpu();
    say(
      'events_200eps_no_scroll_main_thread_ms_per_s',
      still.taskMs / 4,
      'ms/s',
      `script ${(still.scriptMs / 4).toFixed(1)}, style+layout ${(still.layoutMs / 4).toFixed(1)}`,
    );
    const eventsBefore = await page.evaluate(() => window.__fake!.calls.length);
    const busyCpu = await mainThread(page);
    const busy = await scrollFrames(page, 4000);
    const busyBusy = await busyCpu();
    const shots = path.join(repoRoot, 'test-artifacts', 'screenshots');
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'ui-bench-10000-rows.png') });
    const eventsSeen = await page.evaluate(() => window.__convoy!.queue.getState().version);
    await page.evaluate(() => (window as unknown as { __stop: () => void }).__stop());
    void eventsBefore;
    void eventsSeen;
    say('scroll_idle_p50_ms', percentile(calm, 50), 'ms', 'baseline: no events');
    say('scroll_idle_p95_ms', percentile(calm, 95), 'ms', `${calm.length} frames in 4 s`);
    say('scroll_200eps_p50_ms', percentile(busy, 50), 'ms');
    say('scroll_200eps_p95_ms', percentile(busy, 95), 'ms', `${(percentile(busy, 95) / percentile(calm, 95)).toFixed(2)}× idle p95`);
    say('scroll_200eps_max_ms', Math.max(...busy), 'ms');
    // CPU time is steadier than frame times on a shared machine: the cost of the events themselves.
    say(
      'scroll_idle_main_thread_ms_per_s',
      calmBusy.taskMs / 4,
      'ms/s',
      `script ${(calmBusy.scriptMs / 4).toFixed(1)}, style+layout ${(calmBusy.layoutMs / 4).toFixed(1)}`,
    );
    say(
      'scroll_200eps_main_thread_ms_per_s',
      busyBusy.taskMs / 4,
      'ms/s',
      `script ${(busyBusy.scriptMs / 4).toFixed(1)}, style+layout ${(busyBusy.layoutMs / 4).toFixed(1)}; ${(busyBusy.taskMs / Math.max(1, calmBusy.taskMs)).toFixed(2)}× idle`,
    );
    say('scroll_200eps_frames_over_33ms', busy.filter((d) => d > 33.4).length, `of ${busy.length} frames`);

    // 3. Heap.
    const rowsHeap = await heapMb(page);
    await page.close();
    const emptyPage = await browser.newPage();
    await emptyPage.goto(`${server.url}?serialize`);
    await emptyPage.getByRole('region', { name: 'Drop files or URLs' }).waitFor();
    const emptyHeap = await heapMb(emptyPage);
    await emptyPage.close();
    const fakePage = await browser.newPage();
    await fakePage.goto(`${server.url}?seed=10000&noui`);
    await fakePage.waitForFunction(() => window.__fake?.items.size === 10_000);
    const fakeHeap = await heapMb(fakePage);
    await fakePage.close();
    say('heap_empty_app_mb', emptyHeap, 'MB', 'baseline');
    say('heap_10000_rows_mb', rowsHeap, 'MB', 'app + fake main holding 10,000 items');
    say('heap_fake_main_only_mb', fakeHeap, 'MB', 'the fake alone (lives in main in the real app)');
    say('heap_renderer_for_10000_rows_mb', rowsHeap - fakeHeap, 'MB', `${((rowsHeap - fakeHeap) / emptyHeap).toFixed(1)}× the empty app`);
  } finally {
    await launched.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
