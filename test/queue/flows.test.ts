/**
 * The queue's request flows against the local engine: fewest requests per kind of source, shared
 * jobs for one source with several targets, output naming and conflict policies, events.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Events } from '../../preload/contract';
import { isPng, makeImages, openQueue, serveFolder, startEngine, tmpDir, waitFor, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine;
let srcDir: string;
let files: string[];
let server: Awaited<ReturnType<typeof serveFolder>>;

beforeAll(async () => {
  te = await startEngine();
  srcDir = tmpDir('flows-src');
  files = await makeImages(srcDir, 6);
  server = await serveFolder(srcDir);
});

afterAll(async () => {
  await server?.close();
  await te?.engine.close();
});

const routes = () => te.engine.stats().byRoute;
const delta = (before: Record<string, number>, after: Record<string, number>, key: string) => (after[key] ?? 0) - (before[key] ?? 0);

describe('request flows', () => {
  it('a URL item is one POST /jobs with process:true (no upload, no PATCH), then one read and one download', async () => {
    const data = tmpDir('flows');
    const q = openQueue(te, data);
    try {
      await q.queue.handlers()['conversions.list']!(undefined); // warm the cache so it is not counted below
      const before = { ...routes() };
      const created = te.engine.stats().jobsCreated;
      const r = await q.queue.add({ items: [{ source: { kind: 'url', url: `${server.url}/img-001.jpg` } }], target: 'png' });
      q.queue.start({ batchId: r.batchId });
      await waitForBatches(q.queue, [r.batchId]);
      const after = routes();
      const [item] = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items;
      expect(item.state).toBe('done');
      expect(item.outputs).toEqual([path.join(data, 'out', 'img-001.png')]);
      expect(await isPng(item.outputs[0])).toBe(true);
      expect(te.engine.stats().jobsCreated - created).toBe(1);
      expect(delta(before, after, 'POST /v2/jobs')).toBe(1);
      expect(delta(before, after, 'PATCH /v2/jobs/:id')).toBe(0);
      expect(delta(before, after, 'POST /upload-file/:id')).toBe(0);
      expect(delta(before, after, 'GET /download-file/:id')).toBe(1);
    } finally {
      await q.close();
    }
  });

  it('a local file is POST process:false → upload → PATCH process:true; bytes up and down are reported', async () => {
    const data = tmpDir('flows');
    const q = openQueue(te, data);
    try {
      await q.queue.handlers()['conversions.list']!(undefined);
      const before = { ...routes() };
      const r = await q.queue.add({ items: [{ source: { kind: 'file', path: files[0] } }], target: 'png' });
      q.queue.start({ batchId: r.batchId });
      await waitForBatches(q.queue, [r.batchId]);
      const after = routes();
      const [item] = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items;
      expect(item.state).toBe('done');
      expect(item.bytesUp).toBe(fs.statSync(files[0]).size);
      expect(item.bytesDown).toBe(fs.statSync(item.outputs[0]).size);
      expect(delta(before, after, 'POST /v2/jobs')).toBe(1);
      expect(delta(before, after, 'POST /upload-file/:id')).toBe(1);
      expect(delta(before, after, 'PATCH /v2/jobs/:id')).toBe(1);
    } finally {
      await q.close();
    }
  });

  it('one source with several targets shares one job (one upload, several conversions)', async () => {
    const data = tmpDir('flows');
    const q = openQueue(te, data);
    try {
      const before = { ...routes() };
      const created = te.engine.stats().jobsCreated;
      const r = await q.queue.add({
        items: [
          { source: { kind: 'file', path: files[1] }, target: 'png' },
          { source: { kind: 'file', path: files[1] }, target: 'webp' },
          { source: { kind: 'file', path: files[1] }, target: 'gif' },
        ],
      });
      q.queue.start({ batchId: r.batchId });
      await waitForBatches(q.queue, [r.batchId]);
      const items = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items;
      expect(items.map((i) => i.state)).toEqual(['done', 'done', 'done']);
      expect(items.map((i) => path.basename(i.outputs[0]))).toEqual(['img-001.png', 'img-001.webp', 'img-001.gif']);
      expect((await sharp(items[1].outputs[0]).metadata()).format).toBe('webp');
      expect(te.engine.stats().jobsCreated - created).toBe(1);
      expect(delta(before, routes(), 'POST /upload-file/:id')).toBe(1);
    } finally {
      await q.close();
    }
  });
});

describe('outputs', () => {
  it('keeps the structure of a dropped folder under the output folder', async () => {
    const data = tmpDir('flows');
    const drop = tmpDir('drop');
    await makeImages(path.join(drop, 'album', 'day1'), 2);
    await makeImages(path.join(drop, 'album'), 1, { prefix: 'cover' });
    const q = openQueue(te, data);
    try {
      const r = await q.queue.add({ items: [{ source: { kind: 'file', path: path.join(drop, 'album') } }], target: 'png' });
      expect(r.itemIds).toHaveLength(3);
      q.queue.start({ batchId: r.batchId });
      await waitForBatches(q.queue, [r.batchId]);
      const out = path.join(data, 'out');
      expect(fs.existsSync(path.join(out, 'album', 'cover-000.png'))).toBe(true);
      expect(fs.existsSync(path.join(out, 'album', 'day1', 'img-000.png'))).toBe(true);
      expect(fs.existsSync(path.join(out, 'album', 'day1', 'img-001.png'))).toBe(true);
    } finally {
      await q.close();
    }
  });

  it('rename (default) never overwrites: an existing file and a same-named sibling get "name (n).ext"', async () => {
    const data = tmpDir('flows');
    const out = path.join(data, 'out');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'img-002.png'), 'precious');
    // img-002.jpg and img-002.gif in another folder both become img-002.png.
    const other = tmpDir('flows-other');
    fs.copyFileSync(files[3], path.join(other, 'img-002.gif'));
    const q = openQueue(te, data);
    try {
      const r = await q.queue.add({
        items: [{ source: { kind: 'file', path: files[2] } }, { source: { kind: 'file', path: path.join(other, 'img-002.gif') } }],
        target: 'png',
      });
      q.queue.start({ batchId: r.batchId });
      await waitForBatches(q.queue, [r.batchId]);
      const items = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items;
      expect(items.every((i) => i.state === 'done')).toBe(true);
      expect(fs.readFileSync(path.join(out, 'img-002.png'), 'utf8')).toBe('precious');
      const names = items.map((i) => path.basename(i.outputs[0])).sort();
      expect(names).toEqual(['img-002 (1).png', 'img-002 (2).png']);
      for (const i of items) expect(await isPng(i.outputs[0])).toBe(true);
    } finally {
      await q.close();
    }
  });

  it('skip creates no job when the result exists; overwrite replaces it', async () => {
    const data = tmpDir('flows');
    const out = path.join(data, 'out');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'img-004.png'), 'old');
    fs.writeFileSync(path.join(out, 'img-005.png'), 'old');
    const skipQ = openQueue(te, data, { conflictPolicy: 'skip' });
    const created = te.engine.stats().jobsCreated;
    try {
      const r = await skipQ.queue.add({ items: [{ source: { kind: 'file', path: files[4] } }], target: 'png' });
      skipQ.queue.start({ batchId: r.batchId });
      await waitForBatches(skipQ.queue, [r.batchId]);
      const [item] = skipQ.queue.list({ batchId: r.batchId, offset: 0, limit: 1 }).items;
      expect(item.state).toBe('done');
      expect(item.error?.code).toBe('skipped');
      expect(item.outputs).toEqual([]);
      expect(te.engine.stats().jobsCreated).toBe(created);
      expect(fs.readFileSync(path.join(out, 'img-004.png'), 'utf8')).toBe('old');
    } finally {
      await skipQ.close();
    }
    const overQ = openQueue(te, data, { conflictPolicy: 'overwrite' });
    try {
      const r = await overQ.queue.add({ items: [{ source: { kind: 'file', path: files[5] } }], target: 'png' });
      overQ.queue.start({ batchId: r.batchId });
      await waitForBatches(overQ.queue, [r.batchId]);
      const [item] = overQ.queue.list({ batchId: r.batchId, offset: 0, limit: 1 }).items;
      expect(item.outputs).toEqual([path.join(out, 'img-005.png')]);
      expect(await isPng(item.outputs[0])).toBe(true);
      expect(fs.readdirSync(out).filter((n) => n.startsWith('img-005'))).toEqual(['img-005.png']);
    } finally {
      await overQ.close();
    }
  });
});

describe('events and contract handlers', () => {
  it('coalesces item events (≤ ~5 per second, changed items only) and reports batchDone once', async () => {
    const data = tmpDir('flows');
    const q = openQueue(te, data, { concurrency: 16 });
    const stamps: Array<{ at: number; n: number }> = [];
    q.events.on('items', (e: Events['items']) => stamps.push({ at: Date.now(), n: e.items.length }));
    try {
      const items = Array.from({ length: 60 }, (_, i) => ({ source: { kind: 'url' as const, url: `${server.url}/img-00${i % 6}.jpg?n=${i}` } }));
      const r = await q.queue.add({ items, target: 'png' });
      expect(r.itemIds).toHaveLength(60);
      q.queue.start({ batchId: r.batchId });
      await waitForBatches(q.queue, [r.batchId]);
      await waitFor(() => q.batchDone.length > 0, 2000, 'batchDone');
      for (let i = 1; i < stamps.length; i++) expect(stamps[i].at - stamps[i - 1].at).toBeGreaterThanOrEqual(150);
      // Every event carries only items that changed since the previous one: far fewer than 60 each time.
      expect(Math.max(...stamps.map((s) => s.n))).toBeLessThanOrEqual(60);
      expect(stamps.reduce((n, s) => n + s.n, 0)).toBeGreaterThanOrEqual(60);
      expect(q.batchDone).toHaveLength(1);
      expect(q.batchDone[0]).toMatchObject({ batchId: r.batchId, counts: { total: 60, done: 60, failed: 0, active: 0, queued: 0 } });
      const batches = await q.queue.handlers()['queue.batches']!(undefined);
      expect(batches.find((b) => b.id === r.batchId)?.counts.done).toBe(60);
    } finally {
      await q.close();
    }
  });

  it('rejects malformed URLs and duplicates at add time, and reports items without a target on start', async () => {
    const data = tmpDir('flows');
    const q = openQueue(te, data);
    try {
      const r = await q.queue.add({
        items: [
          { source: { kind: 'url', url: 'not a url' } },
          { source: { kind: 'url', url: 'ftp://example.com/a.jpg' } },
          { source: { kind: 'url', url: 'https://user:secret@example.com/a.jpg' } },
          { source: { kind: 'file', path: files[0] } },
          { source: { kind: 'file', path: files[0] } },
          { source: { kind: 'file', path: files[1] } },
        ],
      });
      expect(r.itemIds).toHaveLength(2);
      expect(r.rejected.map((x) => x.reason)).toEqual([
        'Not a valid URL',
        'Not an http(s) URL (ftp)',
        expect.stringMatching(/user name or password are not accepted/),
        expect.stringMatching(/^Duplicate/),
      ]);
      expect(JSON.stringify(r.rejected)).not.toContain('secret');
      const started = q.queue.start({ batchId: r.batchId });
      expect(started).toEqual({ started: 0, missingTarget: 2 });
      // With withItems the answer carries the changed rows (a window shows them before `items`);
      // each change gets a later updatedAt than the last, even within one millisecond.
      const first = q.queue.setTarget({ itemIds: [r.itemIds[0]], target: 'webp', withItems: true });
      const second = q.queue.setTarget({ itemIds: [r.itemIds[0]], target: 'gif', withItems: true });
      expect(first.items!.map((i) => [i.id, i.target])).toEqual([[r.itemIds[0], 'webp']]);
      expect(second.items![0].target).toBe('gif');
      expect(second.items![0].updatedAt).toBeGreaterThan(first.items![0].updatedAt);
      const outDir = path.join(data, 'elsewhere');
      const moved = q.queue.setDestination({ itemIds: [r.itemIds[1]], destination: { kind: 'folder', path: outDir }, withItems: true });
      expect(moved).toMatchObject({ updated: 1, items: [{ id: r.itemIds[1], destination: { kind: 'folder', path: outDir } }] });
      expect(q.queue.setDestination({ itemIds: [r.itemIds[1]], destination: { kind: 'folder', path: path.join(data, 'out') } })).toEqual({ updated: 1 });
      const set = q.queue.setTarget({ itemIds: r.itemIds, target: 'png' });
      expect(set).toEqual({ updated: 2 });
      expect(q.queue.start({ batchId: r.batchId })).toEqual({ started: 2, missingTarget: 0 });
      await waitForBatches(q.queue, [r.batchId]);
      const h = q.queue.handlers();
      const open = await h['files.open']!({ itemId: r.itemIds[0] });
      expect(open).toEqual({ opened: false });
      expect(await q.queue.resultPath(r.itemIds[0])).toBe(path.join(data, 'out', 'img-000.png'));
    } finally {
      await q.close();
    }
  });

  it('files.open in browser mode points at /api/files/<itemId>; conversions.list is cached', async () => {
    const data = tmpDir('flows');
    const q = openQueue(te, data, { shell: 'browser' });
    try {
      const r = await q.queue.add({ items: [{ source: { kind: 'file', path: files[2] } }], target: 'jpg' });
      q.queue.start({});
      await waitForBatches(q.queue, [r.batchId]);
      const h = q.queue.handlers();
      expect(await h['files.open']!({ itemId: r.itemIds[0] })).toEqual({ opened: false, url: `/api/files/${r.itemIds[0]}` });
      await expect(h['files.open']!({ itemId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
      const before = routes()['GET /v2/conversions'] ?? 0;
      const list = await h['conversions.list']!(undefined);
      expect(list.find((t) => t.target === 'png')).toMatchObject({ category: 'image' });
      await h['conversions.list']!(undefined);
      expect(routes()['GET /v2/conversions'] ?? 0).toBe(before);
    } finally {
      await q.close();
    }
  });
});
