/**
 * `queue.merge`: rows (files and URLs) become ONE item whose job has their sources as inputs in
 * the given order; the merged rows that only waited are removed; bad requests get clear errors.
 */
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import { makeImages, openQueue, serveFolder, startEngine, tmpDir, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine;
let files: string[];
let server: Awaited<ReturnType<typeof serveFolder>>;
beforeAll(async () => {
  te = await startEngine();
  const src = tmpDir('qmerge-src');
  files = await makeImages(src, 4, { size: 32 });
  server = await serveFolder(src);
});
afterAll(async () => {
  await server?.close();
  await te?.engine.close();
});

it('merges files and a URL, in the given order, into one job and one PDF; the waiting rows are replaced', async () => {
  const data = tmpDir('qmerge');
  const q = openQueue(te, data);
  try {
    const url = `${server.url}/${path.basename(files[3])}`;
    const added = await q.queue.add({
      items: [{ source: { kind: 'file', path: files[0] } }, { source: { kind: 'url', url } }, { source: { kind: 'file', path: files[1] } }],
    });
    const [a, u, b] = added.itemIds;
    const h = q.queue.handlers();
    await expect(h['queue.merge']!({ itemIds: [a, a] })).rejects.toThrow(/twice/);
    await expect(h['queue.merge']!({ itemIds: [a, 'nope'] })).rejects.toThrow(/No item nope/);
    const created = te.engine.stats().jobsCreated;
    const m = await h['queue.merge']!({ itemIds: [b, u, a], name: 'mix' });
    expect(m.removed).toBe(3);
    const all = q.queue.list({ offset: 0, limit: 10 }).items;
    expect(all.map((i) => i.id)).toEqual([m.itemId]);
    expect(all[0]).toMatchObject({ sourceKind: 'merge', target: 'merge' });
    q.queue.start({ batchId: m.batchId });
    await waitForBatches(q.queue, [m.batchId]);
    const [item] = q.queue.list({ batchId: m.batchId, offset: 0, limit: 10 }).items;
    expect(item.state, JSON.stringify(item.error)).toBe('done');
    expect(item.outputs).toEqual([path.join(data, 'out', 'mix.pdf')]);
    expect((await PDFDocument.load(fs.readFileSync(item.outputs[0]))).getPageCount()).toBe(3);
    expect(te.engine.stats().jobsCreated - created).toBe(1);
    const client = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey });
    const jobs = await client.listJobs({ page: 1 });
    client.close();
    const job = jobs.find((j) => j.input.length === 3)!;
    expect(job.input.map((i) => i.type)).toEqual(['upload', 'remote', 'upload']);
    expect(job.input.map((i) => i.filename)).toEqual([path.basename(files[1]), path.basename(files[3]), path.basename(files[0])]);
  } finally {
    await q.close();
  }
}, 120_000);

it('a merge whose file is gone fails with a clear input error, before any job', async () => {
  const data = tmpDir('qmerge-gone');
  const q = openQueue(te, data);
  try {
    const gone = path.join(tmpDir('qmerge-gone-src'), 'gone.jpg');
    fs.copyFileSync(files[0], gone);
    const r = await q.queue.add({
      items: [
        {
          source: {
            kind: 'merge',
            inputs: [
              { kind: 'file', path: files[2] },
              { kind: 'file', path: gone },
            ],
          },
        },
      ],
      target: 'merge',
    });
    fs.rmSync(gone);
    const created = te.engine.stats().jobsCreated;
    q.queue.start({ batchId: r.batchId });
    await waitForBatches(q.queue, [r.batchId]);
    const [item] = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items;
    expect(item.state).toBe('failed');
    expect(item.error).toMatchObject({ code: 'input' });
    expect(item.error!.message).toContain('gone.jpg');
    expect(te.engine.stats().jobsCreated).toBe(created);
  } finally {
    await q.close();
  }
}, 120_000);
