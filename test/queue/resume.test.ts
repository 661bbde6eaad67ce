/**
 * Crash windows, deterministically: the side effect happened on the server (or on disk) but the
 * process died before recording it. A new queue on the same database must not repeat it:
 * - job created, id not recorded      → the POST is replayed with the same Idempotency-Key (no new job)
 * - file uploaded, not recorded       → the job's inputs are read; no second upload
 * - result downloaded, not recorded   → the finished file is recognised; no second download
 * The "crash" is a client call that completes and then never returns, and a queue closed under it.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import { isPng, makeImages, openQueue, serveFolder, startEngine, tmpDir, waitFor, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine;
let files: string[];
let server: Awaited<ReturnType<typeof serveFolder>>;
beforeAll(async () => {
  te = await startEngine({ faults: { latencyMs: 2 } });
  const src = tmpDir('resume-src');
  files = await makeImages(src, 3);
  server = await serveFolder(src);
});
afterAll(async () => {
  await server?.close();
  await te?.engine.close();
});

/** A client whose `method` really runs, then hangs (until aborted) the first time: the crash window. */
function crashAfter(method: 'createJob' | 'uploadFile' | 'downloadOutput'): { client: Api2ConvertClient; crashed: Promise<void> } {
  const client = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey, retry: { rateLimitRetries: 0 } });
  let markCrashed!: () => void;
  const crashed = new Promise<void>((r) => (markCrashed = r));
  let done = false;
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== method || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        const result = await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (done) return result;
        done = true;
        markCrashed();
        const signal = (args.find((a) => a && typeof a === 'object' && 'signal' in (a as object)) as { signal?: AbortSignal } | undefined)?.signal;
        return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))));
      };
    },
  });
  return { client: proxy, crashed };
}

async function crashAndResume(method: 'createJob' | 'uploadFile' | 'downloadOutput', source: { kind: 'file'; path: string } | { kind: 'url'; url: string }) {
  const data = tmpDir('resume-data');
  const crash = crashAfter(method);
  const before = { ...te.engine.stats(), byRoute: { ...te.engine.stats().byRoute } };
  const first = openQueue(te, data, { client: crash.client });
  const r = await first.queue.add({ items: [{ source }], target: 'png' });
  first.queue.start({ batchId: r.batchId });
  await crash.crashed;
  await first.close();
  const second = openQueue(te, data);
  try {
    await waitForBatches(second.queue, [r.batchId]);
    const [item] = second.queue.list({ batchId: r.batchId, offset: 0, limit: 1 }).items;
    expect(item.state, JSON.stringify(item.error)).toBe('done');
    expect(await isPng(item.outputs[0])).toBe(true);
    expect(fs.readdirSync(path.dirname(item.outputs[0]))).toEqual([path.basename(item.outputs[0])]);
  } finally {
    await second.close();
  }
  const after = te.engine.stats();
  const d = (k: string) => (after.byRoute[k] ?? 0) - (before.byRoute[k] ?? 0);
  return { created: after.jobsCreated - before.jobsCreated, replays: after.idempotentReplays - before.idempotentReplays, d };
}

it('a job created just before the crash is found again by its Idempotency-Key, not created twice', async () => {
  const r = await crashAndResume('createJob', { kind: 'url', url: `${server.url}/img-000.jpg` });
  expect(r.created).toBe(1);
  expect(r.replays).toBe(1);
  expect(r.d('POST /v2/jobs')).toBe(2);
});

it('a file uploaded just before the crash is not uploaded again', async () => {
  const r = await crashAndResume('uploadFile', { kind: 'file', path: files[1] });
  expect(r.created).toBe(1);
  expect(r.d('POST /upload-file/:id')).toBe(1);
  expect(r.d('PATCH /v2/jobs/:id')).toBe(1);
});

it('a result downloaded just before the crash is not downloaded again', async () => {
  const r = await crashAndResume('downloadOutput', { kind: 'file', path: files[2] });
  expect(r.created).toBe(1);
  expect(r.d('GET /download-file/:id')).toBe(1);
});

it('the queue lock keeps a second process off a running queue, and a stale lock is taken over', async () => {
  const data = tmpDir('resume-lock');
  fs.mkdirSync(data, { recursive: true });
  // A lock left by a process that no longer exists (kill -9).
  fs.writeFileSync(path.join(data, 'queue.lock'), '999999');
  const q = openQueue(te, data);
  try {
    expect(fs.readFileSync(path.join(data, 'queue.lock'), 'utf8')).toBe(String(process.pid));
    // A live owner (pid 1 always exists) refuses.
    const other = tmpDir('resume-lock2');
    fs.writeFileSync(path.join(other, 'queue.lock'), '1');
    expect(() => openQueue(te, other)).toThrow(/Another Convoy process \(pid 1\) is already running/);
  } finally {
    await q.close();
  }
  await waitFor(() => !fs.existsSync(path.join(data, 'queue.lock')), 1000, 'the lock to be released');
});

it('an upload interrupted half-way resumes where it broke off (chunked, stable upload uuid)', async () => {
  const src = tmpDir('resume-big');
  const big = path.join(src, 'noise.jpg');
  await sharp(crypto.randomBytes(900 * 900 * 3), { raw: { width: 900, height: 900, channels: 3 } })
    .jpeg({ quality: 95 })
    .toFile(big);
  const size = fs.statSync(big).size;
  const chunk = 64 * 1024;
  const chunks = Math.ceil(size / chunk);
  expect(chunks).toBeGreaterThanOrEqual(8);
  te.engine.setFaults({ latencyMs: 25 });
  const data = tmpDir('resume-data');
  const posts = () => te.engine.stats().byRoute['POST /upload-file/:id'] ?? 0;
  const before = posts();
  try {
    const first = openQueue(te, data, { chunkSize: chunk });
    const r = await first.queue.add({ items: [{ source: { kind: 'file', path: big } }], target: 'png' });
    first.queue.start({ batchId: r.batchId });
    await waitFor(() => posts() - before >= Math.floor(chunks / 2), 20_000, 'half the chunks');
    await first.close(); // the process goes away mid-upload
    // A chunk already on its way still reaches the server (on a busy machine, after close() returned):
    // count the first run once nothing more arrives, or it would be counted as the second run's.
    let last = -1;
    await waitFor(
      async () => {
        const n = posts();
        const settled = n === last;
        last = n;
        await new Promise((r) => setTimeout(r, 150));
        return settled;
      },
      5000,
      'the first run’s requests to land',
    );
    const sentBefore = posts() - before;
    expect(sentBefore).toBeLessThan(chunks);
    te.engine.setFaults({ latencyMs: 2 });
    const second = openQueue(te, data, { chunkSize: chunk });
    try {
      await waitForBatches(second.queue, [r.batchId]);
      const [item] = second.queue.list({ batchId: r.batchId, offset: 0, limit: 1 }).items;
      expect(item.state, JSON.stringify(item.error)).toBe('done');
      expect(await isPng(item.outputs[0])).toBe(true);
    } finally {
      await second.close();
    }
    // Resumed, not restarted: the chunks the server held were not sent again. Starting over would
    // send all `chunks` again; resuming sends the rest, the broken chunk and an offset query.
    const sentAfter = posts() - before - sentBefore;
    expect(sentAfter).toBeLessThan(chunks);
    // Bounded by what the first run sent (not by when the test noticed half): the server holds all
    // but at most the broken chunk of those.
    expect(sentAfter).toBeLessThanOrEqual(chunks - sentBefore + 4);
  } finally {
    te.engine.setFaults({ latencyMs: 2 });
  }
});
