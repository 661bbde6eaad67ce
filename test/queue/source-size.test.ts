/**
 * A local file's size is known from the moment it is added (the row shows it before any upload,
 * and "before → after" with the savings once done).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeImages, openQueue, startEngine, tmpDir, waitFor, type TestEngine } from './helpers';

let te: TestEngine;
beforeAll(async () => {
  te = await startEngine();
});
afterAll(async () => {
  await te?.engine.close();
});

it('a file added by path carries its size before it is started; a URL has none yet', async () => {
  const [file] = await makeImages(tmpDir('size-src'), 1, { size: 120 });
  const q = openQueue(te, tmpDir('size-data'));
  try {
    const r = await q.queue.add({
      items: [{ source: { kind: 'file', path: file } }, { source: { kind: 'url', url: 'http://127.0.0.1:9/x.png' } }],
      target: 'png',
    });
    const before = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items;
    expect(before.find((v) => v.sourceKind === 'file')).toMatchObject({ state: 'queued', bytesUp: 0, bytesUpTotal: fs.statSync(file).size });
    expect(before.find((v) => v.sourceKind === 'url')?.bytesUpTotal).toBeNull();
    q.queue.start({ itemIds: [r.itemIds[0]] });
    await waitFor(() => q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items.find((v) => v.id === r.itemIds[0])?.state === 'done' || null);
    const done = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items.find((v) => v.id === r.itemIds[0])!;
    expect(done.bytesUpTotal).toBe(fs.statSync(file).size);
    expect(done.bytesDownTotal).toBe(fs.statSync(done.outputs[0]).size);
    expect(path.extname(done.outputs[0])).toBe('.png');
  } finally {
    await q.close();
  }
});
