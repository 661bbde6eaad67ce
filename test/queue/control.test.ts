/**
 * What the user and the callback server do to a running queue: cancel (the job is canceled on the
 * server too), remove, callback hints (one completion path: a hint makes the queue re-read the job
 * at once; duplicate and late hints are harmless), and settings changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import type { Events } from '../../preload/contract';
import { makeImages, openQueue, serveFolder, startEngine, tmpDir, waitFor, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine;
let files: string[];
let server: Awaited<ReturnType<typeof serveFolder>>;
beforeAll(async () => {
  te = await startEngine({ faults: { latencyMs: 2 } });
  const src = tmpDir('control-src');
  files = await makeImages(src, 4);
  server = await serveFolder(src);
});
afterAll(async () => {
  await server?.close();
  await te?.engine.close();
});

const remoteIdOf = (q: ReturnType<typeof openQueue>, itemId: string) =>
  (
    q.db.prepare('SELECT u.remote_id AS r FROM queue_items i JOIN queue_units u ON u.id = i.unit_id WHERE i.id = ?').get(itemId) as
      | { r: string | null }
      | undefined
  )?.r ?? null;

it('cancel stops a converting item and cancels its job on the server; remove drops items and says so', async () => {
  te.engine.setFaults({ conversionDelayMs: 5000 });
  const data = tmpDir('control');
  const q = openQueue(te, data);
  const removed: string[] = [];
  q.events.on('items', (e: Events['items']) => removed.push(...(e.removed ?? [])));
  try {
    const r = await q.queue.add({ items: [{ source: { kind: 'file', path: files[0] } }, { source: { kind: 'file', path: files[1] } }], target: 'png' });
    q.queue.start({ itemIds: [r.itemIds[0]] });
    await waitFor(() => q.queue.list({ batchId: r.batchId, offset: 0, limit: 5 }).items[0].state === 'converting', 10_000, 'converting');
    const remoteId = remoteIdOf(q, r.itemIds[0])!;
    const deletes = te.engine.stats().byRoute['DELETE /v2/jobs/:id'] ?? 0;
    // Through the contract, with the canceled rows in the answer (a window shows them at once).
    const answer = await q.queue.handlers()['queue.cancel']!({ itemIds: [r.itemIds[0], r.itemIds[1]], withItems: true });
    expect(answer).toMatchObject({
      updated: 2,
      items: [
        { id: r.itemIds[0], state: 'canceled' },
        { id: r.itemIds[1], state: 'canceled' },
      ],
    });
    expect(await q.queue.cancel([r.itemIds[0]])).toEqual({ updated: 0 });
    const items = q.queue.list({ batchId: r.batchId, offset: 0, limit: 5 }).items;
    expect(items.map((i) => i.state)).toEqual(['canceled', 'canceled']);
    await waitFor(() => (te.engine.stats().byRoute['DELETE /v2/jobs/:id'] ?? 0) === deletes + 1, 5000, 'the job to be canceled on the server');
    const client = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey });
    await waitFor(async () => (await client.getJob(remoteId)).status.code === 'canceled', 5000, 'job canceled');
    client.close();
    expect(fs.existsSync(path.join(data, 'out', 'img-000.png'))).toBe(false);
    expect(q.queue.unfinishedCount([r.batchId])).toBe(0);

    // Canceled items can be retried; removed items disappear (the batch too, once empty).
    te.engine.setFaults({ conversionDelayMs: 0 });
    expect(q.queue.retry({ itemIds: [r.itemIds[1]] })).toEqual({ updated: 1 });
    await waitForBatches(q.queue, [r.batchId]);
    expect(q.queue.list({ batchId: r.batchId, offset: 0, limit: 5 }).items[1].state).toBe('done');
    expect(await q.queue.remove(r.itemIds)).toEqual({ removed: 2 });
    q.queue.flushEvents();
    expect(removed.sort()).toEqual([...r.itemIds].sort());
    expect(q.queue.batches().find((b) => b.id === r.batchId)).toBeUndefined();
    expect(fs.existsSync(path.join(data, 'out', 'img-001.png'))).toBe(true); // results stay on disk
  } finally {
    te.engine.setFaults({ conversionDelayMs: 0 });
    await q.close();
  }
});

it('with a callback target, jobs carry it and completion comes from hints, not from polling', async () => {
  const data = tmpDir('control');
  const q = openQueue(te, data);
  try {
    q.queue.setCallbackTarget({ url: 'http://127.0.0.1:9/convoy/callback', notifyStatus: true });
    const r = await q.queue.add({ items: [{ source: { kind: 'url', url: `${server.url}/img-002.jpg` } }], target: 'png' });
    q.queue.start({ batchId: r.batchId });
    await waitFor(() => remoteIdOf(q, r.itemIds[0]), 5000, 'the job to be created');
    const remoteId = remoteIdOf(q, r.itemIds[0])!;
    const client = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey });
    const job = await waitFor(
      async () => {
        const j = await client.getJob(remoteId);
        return j.status.code === 'completed' ? j : null;
      },
      5000,
      'the engine to finish',
    );
    client.close();
    expect(job.callback).toBe('http://127.0.0.1:9/convoy/callback');
    expect(job.notify_status).toBe(true);
    // Polling is only a slow safety net now: the finished job is not noticed by itself.
    await new Promise((res) => setTimeout(res, 1200));
    expect(q.queue.list({ batchId: r.batchId, offset: 0, limit: 1 }).items[0].state).toBe('converting');
    // The callback server's hint: the queue re-reads the job with its own key, at once.
    expect(q.queue.hintJob(remoteId)).toBe('known');
    expect(q.queue.hintJob(remoteId)).toBe('known'); // a duplicate is harmless
    await waitForBatches(q.queue, [r.batchId], 3000);
    expect(q.queue.list({ batchId: r.batchId, offset: 0, limit: 1 }).items[0].state).toBe('done');
    expect(q.queue.hintJob(remoteId)).toBe('known'); // a late one too
    expect(q.queue.hintJob('no-such-job')).toBe('unknown');
  } finally {
    await q.close();
  }
});

it('a hint for a job whose creation is still in flight is kept and applied once its id is recorded', async () => {
  const data = tmpDir('control');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const base = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey, retry: { rateLimitRetries: 0 } });
  let createdId: string | null = null;
  const client = new Proxy(base, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'createJob') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: Parameters<Api2ConvertClient['createJob']>) => {
        const job = await target.createJob(...args);
        createdId = job.id;
        await gate; // the response is "still on its way"
        return job;
      };
    },
  });
  const q = openQueue(te, data, { client });
  try {
    q.queue.setCallbackTarget({ url: 'http://127.0.0.1:9/cb', notifyStatus: false });
    const r = await q.queue.add({ items: [{ source: { kind: 'url', url: `${server.url}/img-003.jpg` } }], target: 'png' });
    q.queue.start({ batchId: r.batchId });
    await waitFor(() => createdId, 5000, 'the job to exist on the server');
    await new Promise((res) => setTimeout(res, 300)); // the engine finishes it meanwhile
    expect(q.queue.hintJob(createdId!)).toBe('pending');
    release();
    await waitForBatches(q.queue, [r.batchId], 3000);
    expect(q.queue.list({ batchId: r.batchId, offset: 0, limit: 1 }).items[0].state).toBe('done');
  } finally {
    release();
    await q.close();
    base.close();
  }
});

it('follows the settings: a concurrency change applies to the running queue', async () => {
  const data = tmpDir('control');
  const q = openQueue(te, data, { concurrency: undefined, settings: { get: () => ({ concurrency: 3, outputDir: null, conflictPolicy: 'rename' }) } });
  try {
    expect(q.queue.status().concurrency).toBe(3);
    q.events.emit('settings', {
      provider: 'local',
      concurrency: 12,
      outputDir: null,
      conflictPolicy: 'rename',
      callbackPublicUrl: null,
      callbackPort: 0,
      liveStatus: true,
      notifyOnBatchEnd: true,
      ffmpegPath: null,
      sofficePath: null,
      apiKeyMasked: null,
      hasTunnelToken: false,
      hasCallbackSigningSecret: false,
    });
    expect(q.queue.status().concurrency).toBe(12);
  } finally {
    await q.close();
  }
});
