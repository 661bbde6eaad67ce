/**
 * Rows of added work come from `queue.add`'s answer, at once: no timer, no reload of the queue.
 * The `items` event for the same items may still come (before or after): it never duplicates or
 * regresses a row, and a removed row never comes back.
 */
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ItemView } from '../../preload/contract';
import { App } from '../../renderer/src/App';
import type { ConvoyContextValue } from '../../renderer/src/context';
import { createFakeApi } from '../../renderer/src/dev/fake-api';
import { createQueueStore } from '../../renderer/src/store/queueStore';
import { fakeLayout, memoryStorage, renderApp } from './helpers';
import { itemView } from './items';

beforeAll(() => fakeLayout());
afterEach(() => cleanup());

const rows = () => screen.queryAllByRole('listitem').filter((el) => el.classList.contains('row'));
const listCalls = (calls: Array<{ method: string }>) => calls.filter((c) => c.method === 'queue.list').length;

describe('rows from the ids queue.add returns', () => {
  it('shows the rows as soon as queue.add answers, with no items event ever sent and no reload', async () => {
    const { fake, ctx } = renderApp({ addEvents: false });
    expect(await screen.findByText(/Nothing queued yet/)).toBeTruthy();
    const lists = listCalls(fake.calls);
    await act(() => ctx().controller.addText('https://a.example/one.jpg\nhttps://a.example/two.png'));
    // No waiting: the answer's items are in the store and on screen now.
    const added = fake.calls.filter((c) => c.method === 'queue.add');
    expect(added).toHaveLength(1);
    const ids = [...fake.order];
    expect(ctx().queue.getState().model.order).toEqual(ids);
    expect(rows().map((r) => r.getAttribute('aria-label'))).toEqual(['https://a.example/one.jpg', 'https://a.example/two.png']);
    // Nothing is re-read later either (the old code listed the whole queue again after 400 ms).
    await act(() => new Promise((r) => setTimeout(r, 700)));
    expect(listCalls(fake.calls)).toBe(lists);
    expect(rows()).toHaveLength(2);
  });

  it('a late items event for the same items neither duplicates nor regresses a row', async () => {
    const { fake, ctx } = renderApp({ addEvents: false });
    await screen.findByText(/Nothing queued yet/);
    await act(() => ctx().controller.addText('https://a.example/one.jpg\nhttps://a.example/two.png'));
    const queue = ctx().queue;
    const [first, second] = queue.getState().model.order;
    const answered = queue.getState().model.byId.get(first)!;
    // The item moved on (a newer event), then the add's own event arrives late with the older view.
    const newer: ItemView = { ...answered, state: 'uploading', bytesUp: 10, updatedAt: answered.updatedAt + 5 };
    await act(async () => {
      fake.emit('items', { items: [newer] });
      ctx().controller.flush();
    });
    await act(async () => {
      fake.emit('items', { items: [answered, queue.getState().model.byId.get(second)!] });
      ctx().controller.flush();
    });
    const model = queue.getState().model;
    expect(model.order).toEqual([first, second]);
    expect(model.counts.total).toBe(2);
    expect(model.byId.get(first)).toMatchObject({ state: 'uploading', bytesUp: 10 });
    expect(model.counts).toMatchObject({ queued: 1, active: 1 });
    expect(rows()).toHaveLength(2);
  });
});

describe('uploaded files (browser mode)', () => {
  it('become rows in the order they were dropped, though their uploads end in another order', async () => {
    const fake = createFakeApi({ addEvents: false });
    // The first file takes longest: uploads end in the reverse order.
    const delays: Record<string, number> = { 'a.jpg': 120, 'b.jpg': 60, 'c.jpg': 0 };
    const connection = {
      api: fake,
      mode: 'browser' as const,
      browser: {
        ...fake,
        upload: async (_file: Blob, name: string) => {
          await new Promise((r) => setTimeout(r, delays[name]));
          return { path: `/staging/${name}` };
        },
        close() {},
      },
    };
    let ctx: ConvoyContextValue | null = null;
    render(<App connection={connection} schedule={(f) => void setTimeout(f, 0)} storage={memoryStorage()} onReady={(c) => (ctx = c)} />);
    await screen.findByText(/Nothing queued yet/);
    const files = ['a.jpg', 'b.jpg', 'c.jpg'].map((n) => new File(['x'], n, { type: 'image/jpeg' }));
    await act(() => ctx!.controller.addFileList(files));
    const { order, byId } = ctx!.queue.getState().model;
    expect(order.map((id) => byId.get(id)!.label)).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
  });
});

describe('the queue store merges answers and events idempotently', () => {
  const view = (id: string, updatedAt: number, patch: Partial<ItemView> = {}): ItemView => itemView(id, { updatedAt, ...patch });

  it('an event that came before the answer is kept; the answer adds no second row', () => {
    const store = createQueueStore();
    store.getState().applyNow([{ items: [view('a', 20, { state: 'converting' })] }]);
    store.getState().upsert([view('a', 10), view('b', 10)]);
    store.getState().upsert([view('a', 10), view('b', 10)]);
    const { model } = store.getState();
    expect(model.order).toEqual(['a', 'b']);
    expect(model.byId.get('a')?.state).toBe('converting');
    expect(model.counts).toMatchObject({ total: 2, queued: 1, active: 1 });
  });

  it('the same view again changes nothing (no render); new live progress at the same updatedAt still applies', () => {
    const store = createQueueStore();
    store.getState().upsert([view('a', 10, { options: { quality: 80 } })]);
    const version = store.getState().version;
    store.getState().applyNow([{ items: [view('a', 10, { options: { quality: 80 } })] }]);
    expect(store.getState().version).toBe(version);
    // Upload progress lives in main's memory and does not move updatedAt.
    store.getState().applyNow([{ items: [view('a', 10, { options: { quality: 80 }, state: 'uploading', bytesUp: 5 })] }]);
    expect(store.getState().version).toBe(version + 1);
    expect(store.getState().model.byId.get('a')).toMatchObject({ state: 'uploading', bytesUp: 5 });
    store.getState().applyNow([{ items: [view('a', 10, { options: { quality: 70 }, state: 'uploading', bytesUp: 5 })] }]);
    expect(store.getState().model.byId.get('a')?.options).toEqual({ quality: 70 });
    // Any field counts, not a chosen few: a new label at the same updatedAt is shown too.
    store.getState().applyNow([{ items: [view('a', 10, { options: { quality: 70 }, state: 'uploading', bytesUp: 5, label: 'renamed.png' })] }]);
    expect(store.getState().model.byId.get('a')?.label).toBe('renamed.png');
  });

  it('a removed item never comes back from a late answer, event or listing', () => {
    const store = createQueueStore();
    store.getState().upsert([view('a', 10), view('b', 10)]);
    store.getState().applyNow([{ items: [], removed: ['a'] }]);
    store.getState().upsert([view('a', 10)]);
    store.getState().applyNow([{ items: [view('a', 30)] }]);
    store.getState().replace([view('a', 10), view('b', 10)]);
    const { model } = store.getState();
    expect(model.order).toEqual(['b']);
    expect(model.counts.total).toBe(1);
  });
});
