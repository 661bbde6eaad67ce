/**
 * `queue.add` with `withItems` answers the added items themselves (the contract's `AddAnswer`): a
 * window builds their rows from the answer at once, instead of waiting for the coalesced `items`
 * event. Without it (CLI, watched folders) the answer stays ids only and costs no extra reads.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeImages, openQueue, startEngine, tmpDir, type TestEngine } from './helpers';

let te: TestEngine;
beforeAll(async () => {
  te = await startEngine();
});
afterAll(async () => {
  await te?.engine.close();
});

it('answers the added items as queue.list shows them, in itemIds order, before any items event', async () => {
  const files = await makeImages(tmpDir('answer-src'), 2);
  const q = openQueue(te, tmpDir('answer-data'));
  try {
    const add = q.queue.handlers()['queue.add']!;
    const r = await add({
      items: [{ source: { kind: 'url', url: 'https://example.com/a.png' } }, ...files.map((path) => ({ source: { kind: 'file' as const, path } }))],
      target: 'webp',
      withItems: true,
    });
    expect(r.itemIds).toHaveLength(3);
    const items = r.items ?? [];
    expect(items.map((i) => i.id)).toEqual(r.itemIds);
    // The events are coalesced (≤ 5/s): none has gone out yet, the answer alone carries the rows.
    expect(q.seen).toHaveLength(0);
    const listed = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items;
    for (const item of items) expect(item).toEqual(listed.find((l) => l.id === item.id));
    expect(items[1]).toMatchObject({ state: 'queued', target: 'webp', sourceKind: 'file', bytesUp: 0 });
    expect(items[1].bytesUpTotal).toBeGreaterThan(0);

    // A rejected input has no item; a duplicate added into the same batch neither.
    const again = await add({
      items: [{ source: { kind: 'url', url: 'https://example.com/a.png' } }, { source: { kind: 'url', url: 'ftp://x/y.png' } }],
      target: 'webp',
      batchId: r.batchId,
      withItems: true,
    });
    expect(again.itemIds).toEqual([]);
    expect(again.items).toEqual([]);
    expect(again.rejected).toHaveLength(2);

    // Not asked for: ids only.
    const plain = await add({ items: [{ source: { kind: 'url', url: 'https://example.com/b.png' } }], target: 'webp', batchId: r.batchId });
    expect(plain.itemIds).toHaveLength(1);
    expect(plain.items).toBeUndefined();
  } finally {
    await q.close();
  }
});
