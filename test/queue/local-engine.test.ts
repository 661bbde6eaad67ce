/**
 * The queue with the engine in the same process (Convoy's default without a key): files go to the
 * engine by path and results come back by link — no upload or download over loopback HTTP — and
 * job ends are announced, so completion needs no polling rhythm. Crash safety is the same as over
 * HTTP: a queue abandoned mid-run (its process gone) and reopened finishes every item once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isPng, makeImages, openQueue, startEngine, tmpDir, waitFor, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine;
let files: string[];

beforeAll(async () => {
  te = await startEngine();
  files = await makeImages(tmpDir('local-src'), 8);
});

afterAll(async () => {
  await te?.engine.close();
});

const routes = () => te.engine.stats().byRoute;
const delta = (before: Record<string, number>, key: string) => (routes()[key] ?? 0) - (before[key] ?? 0);

it('hands files over by path and takes results by link; job ends are announced, not polled for', async () => {
  expect(te.engine.local, 'the engine offers its in-process shortcuts').toBeDefined();
  const data = tmpDir('local-flow');
  // A slow polling rhythm: only the engine's announcements can finish these items quickly.
  const q = openQueue(te, data, { local: te.engine.local, poll: { firstMinMs: 20_000, initialMs: 20_000, maxMs: 20_000 } });
  try {
    await q.queue.handlers()['conversions.list']!(undefined);
    const before = { ...routes() };
    const started = Date.now();
    const r = await q.queue.add({ items: files.map((f) => ({ source: { kind: 'file' as const, path: f } })), target: 'png' });
    q.queue.start({ batchId: r.batchId });
    await waitForBatches(q.queue, [r.batchId], 15_000);
    expect(Date.now() - started, 'finished well before the first poll would have been due').toBeLessThan(15_000);
    const items = q.queue.list({ batchId: r.batchId, offset: 0, limit: 50 }).items;
    expect(items.map((i) => i.state)).toEqual(files.map(() => 'done'));
    for (const item of items) {
      const out = item.outputs[0];
      expect(await isPng(out)).toBe(true);
      // Linked with the engine's stored output (same bytes, no copy through HTTP).
      expect(fs.statSync(out).nlink).toBe(2);
      expect(item.bytesDown).toBe(fs.statSync(out).size);
      expect(item.bytesUp).toBe(fs.statSync(path.join(path.dirname(files[0]), path.basename(out, '.png') + '.jpg')).size);
    }
    expect(delta(before, 'POST /v2/jobs')).toBe(files.length);
    expect(delta(before, 'PATCH /v2/jobs/:id')).toBe(files.length);
    expect(delta(before, 'POST /upload-file/:id')).toBe(0);
    expect(delta(before, 'GET /download-file/:id')).toBe(0);
    // One read per job, after its end was announced (a few more if an announcement raced a phase change).
    expect(delta(before, 'GET /v2/jobs/:id')).toBeLessThanOrEqual(files.length * 2);
    // No temp files left beside the results.
    expect(fs.readdirSync(path.join(data, 'out')).filter((n) => n.endsWith('.part'))).toEqual([]);
  } finally {
    await q.close();
  }
});

it('a queue abandoned mid-run and reopened finishes every item once, with one job per item', async () => {
  const data = tmpDir('local-resume');
  const many = await makeImages(tmpDir('local-resume-src'), 12, { prefix: 'r' });
  const jobsBefore = te.engine.stats().jobsCreated;
  const first = openQueue(te, data, { local: te.engine.local, concurrency: 3 });
  const r = await first.queue.add({ items: many.map((f) => ({ source: { kind: 'file' as const, path: f } })), target: 'png' });
  first.queue.start({ batchId: r.batchId });
  await waitFor(() => first.queue.list({ batchId: r.batchId, offset: 0, limit: 50 }).items.filter((i) => i.state === 'done').length >= 3, 20_000, 'three done');
  await first.close(); // the runners stop wherever they are, as in a crash of the process
  const second = openQueue(te, data, { local: te.engine.local, concurrency: 3 });
  try {
    second.queue.start({ batchId: r.batchId });
    await waitForBatches(second.queue, [r.batchId], 30_000);
    const items = second.queue.list({ batchId: r.batchId, offset: 0, limit: 50 }).items;
    expect(items.map((i) => i.state)).toEqual(many.map(() => 'done'));
    const outDir = path.join(data, 'out');
    const names = fs.readdirSync(outDir).sort();
    expect(names).toEqual(many.map((f) => `${path.basename(f, '.jpg')}.png`).sort());
    for (const n of names) expect(await isPng(path.join(outDir, n))).toBe(true);
    expect(te.engine.stats().jobsCreated - jobsBefore).toBe(many.length);
  } finally {
    await second.close();
  }
});
