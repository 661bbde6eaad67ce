import { describe, expect, it } from 'vitest';
import type { ItemView } from '../../preload/contract';
import { applyItemsEvent, createQueueModel, overallProgress, replaceAll, visibleIds } from '../../renderer/src/store/queueModel';
import { createItemsBuffer, createQueueStore, selectVisible } from '../../renderer/src/store/queueStore';
import { itemView } from './items';

let clock = 1000;
function item(id: string, patch: Partial<ItemView> = {}): ItemView {
  return itemView(id, { sourceKind: 'file', target: 'png', bytesUpTotal: 100, updatedAt: ++clock, ...patch });
}

describe('applyItemsEvent', () => {
  it('adds new items in order and keeps counts and bytes incrementally', () => {
    const m = createQueueModel();
    const r = applyItemsEvent(m, { items: [item('a'), item('b', { target: null }), item('c', { state: 'uploading', bytesUp: 40 })] });
    expect(r).toEqual({ changed: true, orderChanged: true });
    expect(m.order).toEqual(['a', 'b', 'c']);
    expect(m.counts).toMatchObject({ total: 3, queued: 2, active: 1, missingTarget: 1 });
    expect(m.bytes).toMatchObject({ up: 40, upTotal: 300 });

    const r2 = applyItemsEvent(m, { items: [item('c', { state: 'done', bytesUp: 100, bytesDown: 50, bytesDownTotal: 50 })] });
    expect(r2).toEqual({ changed: true, orderChanged: false });
    expect(m.counts).toMatchObject({ total: 3, queued: 2, active: 0, done: 1 });
    expect(m.bytes).toMatchObject({ up: 100, down: 50, downTotal: 50 });
  });

  it('replaces the item object so only that row re-renders, and leaves others untouched', () => {
    const m = createQueueModel();
    applyItemsEvent(m, { items: [item('a'), item('b')] });
    const b = m.byId.get('b');
    const order = m.order;
    applyItemsEvent(m, { items: [item('a', { state: 'converting' })] });
    expect(m.byId.get('b')).toBe(b);
    expect(m.order).toBe(order);
    expect(m.byId.get('a')!.state).toBe('converting');
  });

  it('ignores updates older than what it holds', () => {
    const m = createQueueModel();
    const newer = item('a', { state: 'done' });
    applyItemsEvent(m, { items: [newer] });
    applyItemsEvent(m, { items: [{ ...newer, state: 'uploading', updatedAt: newer.updatedAt - 10 }] });
    expect(m.byId.get('a')!.state).toBe('done');
    expect(m.counts.done).toBe(1);
  });

  it('removes items and their counts', () => {
    const m = createQueueModel();
    applyItemsEvent(m, { items: [item('a'), item('b', { state: 'failed' }), item('c')] });
    const r = applyItemsEvent(m, { items: [], removed: ['b', 'zzz'] });
    expect(r.orderChanged).toBe(true);
    expect(m.order).toEqual(['a', 'c']);
    expect(m.counts).toMatchObject({ total: 2, failed: 0, queued: 2 });
  });

  it('counts waiting items', () => {
    const m = createQueueModel();
    applyItemsEvent(m, { items: [item('a', { waiting: 'offline' }), item('b', { waiting: 'rate_limited' }), item('c')] });
    expect(m.counts.waiting).toBe(2);
    applyItemsEvent(m, { items: [item('a')] });
    expect(m.counts.waiting).toBe(1);
  });
});

describe('replaceAll and views', () => {
  it('keeps a newer live update over a stale listing', () => {
    const m = createQueueModel();
    const live = item('a', { state: 'done' });
    applyItemsEvent(m, { items: [live] });
    replaceAll(m, [{ ...live, state: 'queued', updatedAt: live.updatedAt - 5 }, item('b')]);
    expect(m.byId.get('a')!.state).toBe('done');
    expect(m.order).toEqual(['a', 'b']);
    expect(m.counts).toMatchObject({ total: 2, done: 1, queued: 1 });
  });

  it('filters by state and computes overall progress', () => {
    const m = createQueueModel();
    applyItemsEvent(m, {
      items: [item('a'), item('b', { state: 'uploading' }), item('c', { state: 'done' }), item('d', { state: 'failed' }), item('e', { state: 'canceled' })],
    });
    expect(visibleIds(m, 'queued')).toEqual(['a']);
    expect(visibleIds(m, 'active')).toEqual(['b']);
    expect(visibleIds(m, 'failed')).toEqual(['d']);
    // Canceled is not done (issue 12): each has its own filter.
    expect(visibleIds(m, 'done')).toEqual(['c']);
    expect(visibleIds(m, 'canceled')).toEqual(['e']);
    expect(visibleIds(m, 'all')).toBe(m.order);
    expect(overallProgress(m)).toBeCloseTo(3 / 5);
  });
});

describe('queue store', () => {
  it('applies buffered events in one update per frame', () => {
    const store = createQueueStore();
    const frames: Array<() => void> = [];
    const buffer = createItemsBuffer(store, (f) => frames.push(f));
    let notifications = 0;
    store.subscribe(() => notifications++);
    for (let i = 0; i < 200; i++) buffer.push({ items: [item(`i${i % 50}`, { bytesUp: i })] });
    expect(frames).toHaveLength(1);
    expect(store.getState().model.counts.total).toBe(0);
    frames[0]();
    expect(notifications).toBe(1);
    expect(store.getState().model.counts.total).toBe(50);
    expect(store.getState().model.byId.get('i49')!.bytesUp).toBe(199);
  });

  it('selects with toggle, ranges and select-all, and drops removed ids from the selection', () => {
    const store = createQueueStore();
    store.getState().applyNow([{ items: ['a', 'b', 'c', 'd', 'e'].map((id) => item(id)) }]);
    const s = () => store.getState();
    const visible = selectVisible(store);
    s().toggle('b', false);
    expect([...s().selection]).toEqual(['b']);
    s().selectRange('d', visible());
    expect([...s().selection].sort()).toEqual(['b', 'c', 'd']);
    // The anchor stays: a range shrinks, and crosses to the other side of it, in place of the selection.
    s().selectRange('c', visible());
    expect([...s().selection].sort()).toEqual(['b', 'c']);
    s().selectRange('a', visible());
    expect([...s().selection].sort()).toEqual(['a', 'b']);
    // Additive: the range joins what is selected.
    s().toggle('e', true);
    s().selectRange('d', visible(), { additive: true });
    expect([...s().selection].sort()).toEqual(['a', 'b', 'd', 'e']);
    // Without an anchor, `from` starts the range.
    s().clearSelection();
    s().selectRange('d', visible(), { from: 'c' });
    expect([...s().selection].sort()).toEqual(['c', 'd']);
    s().selectRange('b', visible());
    expect([...s().selection].sort()).toEqual(['b', 'c']);
    s().clearSelection();
    s().toggle('b', false);
    s().selectRange('d', visible());
    s().toggle('c', true);
    expect([...s().selection].sort()).toEqual(['b', 'd']);
    s().toggle('a', false);
    expect([...s().selection]).toEqual(['a']);
    s().selectAll(visible());
    expect(s().selection.size).toBe(5);
    s().applyNow([{ items: [], removed: ['a', 'e'] }]);
    expect([...s().selection].sort()).toEqual(['b', 'c', 'd']);
  });

  it('recomputes the visible list only when it can have changed', () => {
    const store = createQueueStore();
    store.getState().applyNow([{ items: [item('a'), item('b', { state: 'failed' })] }]);
    const visible = selectVisible(store);
    const first = visible();
    store.getState().applyNow([{ items: [item('a', { bytesUp: 5 })] }]);
    expect(visible()).toBe(first); // 'all' depends on the order only
    store.getState().setFilter('failed');
    expect(visible()).toEqual(['b']);
  });
});

describe('throttled queue version', () => {
  it('publishes at most every interval, with the latest version (trailing)', async () => {
    const { vi } = await import('vitest');
    const { createThrottledVersion } = await import('../../renderer/src/context');
    vi.useFakeTimers();
    try {
      const store = createQueueStore();
      const throttled = createThrottledVersion(store, 250);
      let published = 0;
      throttled.subscribe(() => published++);
      for (let i = 0; i < 50; i++) store.getState().applyNow([{ items: [item(`x${i}`)] }]);
      expect(published).toBe(0);
      vi.advanceTimersByTime(1);
      expect(published).toBe(1);
      expect(throttled.get()).toBe(store.getState().version);
      store.getState().applyNow([{ items: [item('y')] }]);
      vi.advanceTimersByTime(100);
      expect(published).toBe(1); // within 250 ms of the last publication
      vi.advanceTimersByTime(200);
      expect(published).toBe(2);
      expect(throttled.get()).toBe(store.getState().version);
    } finally {
      vi.useRealTimers();
    }
  });
});
