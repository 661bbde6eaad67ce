/**
 * Disk full at the output folder (a real tmpfs of a few MB, almost filled): the queue halts with
 * "Disk full at <folder>: free space and resume" instead of going offline or failing items, no
 * partial file ever sits under a final name, and once space is freed it continues by itself and
 * every item completes.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import type { QueueStatus } from '../../preload/contract';
import { mountSmallFs, type SmallFs } from '../support/small-fs';
import { openQueue, startEngine, tmpDir, waitFor, waitForBatches, type TestEngine } from './helpers';

const mounted = mountSmallFs(12);
const fsReady = 'dir' in mounted ? (mounted as SmallFs) : null;
let te: TestEngine | undefined;
afterAll(async () => {
  await te?.engine.close();
  fsReady?.unmount();
});

/** Noise images: their PNGs are large (about 1.9 MB each at 800×800). */
async function noiseImages(dir: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const raw = Buffer.alloc(800 * 800 * 3);
    for (let k = 0; k < raw.length; k++) raw[k] = (Math.random() * 256) | 0;
    const file = path.join(dir, `noise-${i}.jpg`);
    await sharp(raw, { raw: { width: 800, height: 800, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(file);
    out.push(file);
  }
  return out;
}

/** Every non-hidden file under a final name is empty (a claim placeholder) or a complete PNG. */
async function noPartialFinals(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const file = path.join(dir, name);
    if (fs.statSync(file).size === 0) continue;
    await expect(sharp(file).stats(), `${name} must be complete`).resolves.toBeTruthy();
  }
}

it.skipIf(!fsReady)(
  `halts on a full disk, resumes by itself when space is freed, and completes (${'unavailable' in mounted ? mounted.unavailable : 'tmpfs'})`,
  async () => {
    const small = fsReady!;
    te = await startEngine();
    const files = await noiseImages(tmpDir('disk-src'), 4);
    const out = path.join(small.dir, 'out');
    fs.mkdirSync(out);
    const filler = small.fill('filler.bin', 2 * 1024 * 1024);
    const data = tmpDir('disk-data');
    const q = openQueue(te, data, {
      outputDir: out,
      concurrency: 4,
      maxDownloads: 2,
      probe: { initialMs: 200, maxMs: 1000, timeoutMs: 2000, diskCheckMs: 200 },
    });
    const statuses: QueueStatus[] = [];
    q.events.on('queueStatus', (s) => statuses.push(s));
    try {
      const r = await q.queue.add({ items: files.map((f) => ({ source: { kind: 'file' as const, path: f } })), target: 'png' });
      q.queue.start({ batchId: r.batchId });
      await waitFor(() => q.queue.status().halt === 'disk', 30_000, 'the disk-full halt');
      const halted = q.queue.status();
      expect(halted.reason).toBe(`Disk full at ${out}: free space and resume`);
      expect(halted.totals.failed).toBe(0);
      expect(halted.waitingItems).toBeGreaterThan(0);
      await noPartialFinals(out);
      // Still halted a little later: no retry loop while the disk stays full.
      await new Promise((res) => setTimeout(res, 1500));
      expect(q.queue.status().halt).toBe('disk');
      expect(q.queue.status().totals.failed).toBe(0);
      // The halt is not the items' fault: no attempt of theirs was counted (the crash-loop guard and
      // the retry bound stay untouched), and no unit is left marked as running a step.
      const units = q.queue.list({ batchId: r.batchId, offset: 0, limit: 100 }).items.map((i) => q.queue.store.unit(q.queue.store.item(i.id)!.unitId!)!);
      expect(units.length).toBe(4);
      expect(units.filter((u) => u.phase === 'downloading').length).toBeGreaterThan(0);
      for (const u of units) expect({ attempts: u.attempts, crashes: u.crashes }).toEqual({ attempts: u.phase === 'converting' ? u.attempts : 0, crashes: 0 });

      fs.rmSync(filler);
      await waitForBatches(q.queue, [r.batchId], 45_000);
      q.queue.flushEvents();
      const status = q.queue.status();
      expect(
        q.queue
          .list({ batchId: r.batchId, offset: 0, limit: 100 })
          .items.filter((i) => i.state !== 'done')
          .map((i) => i.error?.message),
      ).toEqual([]);
      expect(status.totals.done).toBe(4);
      expect(status.totals.failed).toBe(0);
      expect(status.halt ?? null).toBe(null);
      expect(statuses.some((s) => s.connection === 'offline')).toBe(false);
      const results = fs.readdirSync(out).sort();
      expect(results).toEqual(['noise-0.png', 'noise-1.png', 'noise-2.png', 'noise-3.png']);
      for (const name of results) expect((await sharp(path.join(out, name)).metadata()).width).toBe(800);
    } finally {
      await q.close();
    }
  },
  90_000,
);
