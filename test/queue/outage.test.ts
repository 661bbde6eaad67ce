/**
 * The engine stopped for 20 s in the middle of a batch: the queue goes offline (visible as such),
 * items wait instead of failing, and everything finishes once the engine is back, with exactly one
 * job per item. The engine is closed and re-created on the same port and data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { QueueStatus } from '../../preload/contract';
import { isPng, makeImages, openQueue, serveFolder, startEngine, tmpDir, waitFor, waitForBatches, type TestEngine } from './helpers';

const engines: TestEngine[] = [];
let server: Awaited<ReturnType<typeof serveFolder>> | undefined;
afterAll(async () => {
  for (const e of engines) await e.engine.close();
  await server?.close();
});

it('waits offline through a 20 s outage and then finishes every item without a failure', async () => {
  const faults = { latencyMs: 5, conversionDelayMs: 150 };
  const first = await startEngine({ faults });
  engines.push(first);
  const src = tmpDir('outage-src');
  const files = await makeImages(src, 20);
  const web = tmpDir('outage-web');
  await makeImages(web, 10, { prefix: 'web' });
  server = await serveFolder(web);
  const data = tmpDir('outage-data');
  const q = openQueue(first, data, { concurrency: 6, probe: { initialMs: 250, maxMs: 1000, timeoutMs: 2000 } });
  const statuses: QueueStatus[] = [];
  q.events.on('queueStatus', (s) => statuses.push(s));
  try {
    const r = await q.queue.add({
      items: [
        ...files.map((f) => ({ source: { kind: 'file' as const, path: f } })),
        ...Array.from({ length: 10 }, (_, i) => ({ source: { kind: 'url' as const, url: `${server!.url}/web-${String(i).padStart(3, '0')}.jpg` } })),
      ],
      target: 'png',
    });
    q.queue.start({ batchId: r.batchId });
    await waitFor(() => q.queue.status().totals.done >= 6, 20_000, 'six items done');

    // The API goes away in the middle of the batch.
    const createdBefore = first.engine.stats().jobsCreated;
    await first.engine.close();
    const downAt = Date.now();
    await waitFor(() => q.queue.status().connection === 'offline', 10_000, 'the queue to notice it is offline');
    const offline = q.queue.status();
    expect(offline.reason).toMatch(/Cannot reach the API/);
    expect(offline.retryAt).toBeGreaterThan(Date.now() - 1000);
    expect(offline.waitingItems).toBeGreaterThan(0);
    q.queue.flushEvents();
    const waiting = q.queue.list({ batchId: r.batchId, offset: 0, limit: 100 }).items.filter((i) => i.waiting === 'offline');
    expect(waiting.length).toBeGreaterThan(0);
    while (Date.now() - downAt < 20_000) {
      expect(q.queue.status().totals.failed).toBe(0);
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(q.queue.status().connection).toBe('offline');
    expect(q.queue.status().totals.done).toBeLessThan(30);

    // Back on the same port and data folder: the queue notices by itself and finishes.
    const second = await startEngine({ faults, port: first.port, dataDir: first.dataDir, apiKey: first.apiKey });
    engines.push(second);
    await waitForBatches(q.queue, [r.batchId], 25_000);
    const items = q.queue.list({ batchId: r.batchId, offset: 0, limit: 100 }).items;
    expect(items.filter((i) => i.state !== 'done').map((i) => `${i.label}: ${i.state} ${i.error?.message ?? ''}`)).toEqual([]);
    expect(q.queue.status().connection).toBe('online');
    expect(createdBefore + second.engine.stats().jobsCreated).toBe(30);
    for (const i of items) expect(await isPng(i.outputs[0])).toBe(true);
    expect(fs.readdirSync(path.join(data, 'out')).filter((n) => n.endsWith('.png'))).toHaveLength(30);
    expect(statuses.some((s) => s.connection === 'offline')).toBe(true);
    expect(statuses.at(-1)?.connection).toBe('online');
  } finally {
    await q.close();
  }
}, 60_000);
