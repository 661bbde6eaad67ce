/**
 * A decompression bomb against the engine as a real process: a PNG of about 1 MB that decodes to
 * 16000×16000 pixels fails cleanly with a message naming the limit, the engine's peak RSS stays
 * under 1 GiB (it reached 3.75 GB before the memory budget), and the engine keeps converting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import { maxImagePixels } from '../../engine/convert/memory-budget';
import { makeImages, openQueue, repoRoot, tmpDir, waitForBatches } from '../queue/helpers';

const RSS_BOUND = 1024 * 1024 * 1024;
let child: ChildProcess | undefined;
let api = '';
const apiKey = 'image-memory-test-key';

/** Peak resident memory of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

beforeAll(async () => {
  const dataDir = tmpDir('bomb-engine');
  child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'engine', 'cli.ts'), '--port', '0', '--data-dir', dataDir, '--api-key', apiKey], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!/listening on (\S+)/.test(out)) {
    if (Date.now() > deadline) throw new Error(`engine did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  api = `${/listening on (\S+)/.exec(out)![1]}/v2`;
}, 40_000);
afterAll(() => {
  child?.kill('SIGTERM');
});

it.runIf(process.platform === 'linux')(
  'a 16000×16000 PNG fails cleanly with RSS under 1 GiB; the engine stays up',
  async () => {
    const src = tmpDir('bomb-src');
    const bomb = path.join(src, 'bomb.png');
    await sharp({ create: { width: 16000, height: 16000, channels: 3, background: { r: 10, g: 200, b: 30 } } })
      .png({ compressionLevel: 9 })
      .toFile(bomb);
    expect(fs.statSync(bomb).size).toBeLessThan(2 * 1024 * 1024);
    expect(16000 * 16000).toBeGreaterThan(maxImagePixels()); // this machine's limit refuses it
    const [small] = await makeImages(src, 1, { prefix: 'small' });

    const data = tmpDir('bomb-data');
    const client = new Api2ConvertClient({ baseUrl: api, apiKey, timeoutMs: 30_000, retry: { rateLimitRetries: 0 } });
    const q = openQueue({ api, apiKey } as never, data, { client });
    try {
      const r = await q.queue.add({ items: [{ source: { kind: 'file', path: bomb } }], target: 'webp' });
      q.queue.start({ batchId: r.batchId });
      await waitForBatches(q.queue, [r.batchId], 60_000);
      q.queue.flushEvents();
      const item = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items[0];
      expect(item.state).toBe('failed');
      expect(item.error?.message).toMatch(
        /bomb\.png is 16000×16000 \(256 megapixels\); this engine converts images up to \d+ megapixels \(set by its memory\)/,
      );
      const peak = peakRss(child!.pid!);
      console.info(`image-memory: engine peak RSS ${(peak / 1024 / 1024).toFixed(0)} MB (bound ${RSS_BOUND / 1024 / 1024} MB)`);
      expect(peak).toBeLessThan(RSS_BOUND);

      // Still up, still converting.
      const r2 = await q.queue.add({ items: [{ source: { kind: 'file', path: small } }], target: 'png' });
      q.queue.start({ batchId: r2.batchId });
      await waitForBatches(q.queue, [r2.batchId], 60_000);
      q.queue.flushEvents();
      expect(q.queue.list({ batchId: r2.batchId, offset: 0, limit: 10 }).items[0].state).toBe('done');
    } finally {
      await q.close();
    }
  },
  120_000,
);

it('admits conversions by estimated memory: two that do not fit together run one after the other', async () => {
  const { MemoryBudget } = await import('../../engine/convert/memory-budget');
  const budget = new MemoryBudget(100);
  let running = 0;
  let most = 0;
  const job = (bytes: number) =>
    budget.run(bytes, async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 50));
      running--;
    });
  await Promise.all([job(60), job(60)]);
  expect(most).toBe(1);
  await Promise.all([job(30), job(30), job(30)]);
  expect(most).toBe(3);
});
