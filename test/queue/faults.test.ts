/**
 * 429 storms and transient 5xx: no item fails, the queue slows down instead (visible as
 * rate_limited), and no POST is ever blindly repeated: every job creation carries the item's
 * Idempotency-Key, a repeat carries the same key and body, and no job got a file twice.
 */
import crypto from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import type { QueueStatus } from '../../preload/contract';
import { isPng, makeImages, openQueue, recordingProxy, serveFolder, startEngine, tmpDir, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine | undefined;
let server: Awaited<ReturnType<typeof serveFolder>> | undefined;
let proxy: Awaited<ReturnType<typeof recordingProxy>> | undefined;
afterAll(async () => {
  await proxy?.close();
  await server?.close();
  await te?.engine.close();
});

it('rides out 429 storms and random 503s with zero failed items and no blind POST repeats', async () => {
  te = await startEngine({
    faults: { latencyMs: 5, conversionDelayMs: 100, maxConcurrentJobs: 3, retryAfterSeconds: 1, transient5xxRate: 0.15 },
  });
  proxy = await recordingProxy(te.api);
  const src = tmpDir('faults-src');
  const files = await makeImages(src, 24);
  const web = tmpDir('faults-web');
  await makeImages(web, 16, { prefix: 'web' });
  server = await serveFolder(web);
  const data = tmpDir('faults-data');
  const q = openQueue({ ...te, api: proxy.api }, data, { concurrency: 8 });
  const statuses: QueueStatus[] = [];
  q.events.on('queueStatus', (s) => statuses.push(s));
  try {
    const r = await q.queue.add({
      items: [
        ...files.map((f) => ({ source: { kind: 'file' as const, path: f } })),
        ...Array.from({ length: 16 }, (_, i) => ({ source: { kind: 'url' as const, url: `${server!.url}/web-${String(i).padStart(3, '0')}.jpg` } })),
      ],
      target: 'png',
    });
    q.queue.start({ batchId: r.batchId });
    await waitForBatches(q.queue, [r.batchId], 55_000);
    const items = q.queue.list({ batchId: r.batchId, offset: 0, limit: 100 }).items;
    expect(items.filter((i) => i.state !== 'done').map((i) => `${i.label}: ${i.state} ${i.error?.message ?? ''}`)).toEqual([]);
    for (const i of items) expect(await isPng(i.outputs[0])).toBe(true);

    // The faults really happened, and the queue showed it slowed down.
    const stats = te.engine.stats();
    expect(stats.rejected429).toBeGreaterThan(0);
    expect(stats.injected5xx).toBeGreaterThan(0);
    expect(statuses.some((s) => s.connection === 'rate_limited')).toBe(true);

    // One job per item; every creation keyed; repeats identical.
    expect(stats.jobsCreated).toBe(40);
    const creates = proxy.requests.filter((x) => x.method === 'POST' && /\/v2\/jobs$/.test(x.path));
    expect(creates.length).toBeGreaterThan(40); // some were answered 429/503 and sent again
    const byKey = new Map<string, Set<string>>();
    for (const c of creates) {
      expect(c.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
      const hash = crypto.createHash('sha256').update(c.body).digest('hex');
      byKey.set(c.idempotencyKey!, (byKey.get(c.idempotencyKey!) ?? new Set()).add(hash));
    }
    expect(byKey.size).toBe(40);
    for (const bodies of byKey.values()) expect(bodies.size).toBe(1);
    // Other POSTs (uploads go to job.server directly) never went through without a check.
    const jobs = [...(await q.client.listJobs({ page: 1 }))];
    expect(jobs).toHaveLength(40);
    for (const job of jobs) expect(job.input).toHaveLength(1);
  } finally {
    await q.close();
  }
}, 60_000);
