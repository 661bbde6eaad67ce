/**
 * The zustand store over the queue model. Live `items` events are buffered and applied once per
 * animation frame, so 200 events a second cost at most one render pass per frame.
 */
import { createStore } from 'zustand';
import type { Events, ItemView } from '../../../preload/contract';
import { applyItemsEvent, createQueueModel, matchesFilter, replaceAll, visibleIds, type QueueFilter, type QueueModel } from './queueModel';

export interface QueueState {
  model: QueueModel;
  /** Bumped whenever any item changes (the model itself is mutated in place). */
  version: number;
  /** Bumped when rows are added or removed. */
  orderVersion: number;
  filter: QueueFilter;
  selection: ReadonlySet<string>;
  /** Anchor for shift-click range selection. */
  anchor: string | null;
  /** The queue could be listed (false while main answers 'unavailable'). */
  loaded: boolean;
  loadError: string | null;
}

export interface QueueActions {
  /** Applies buffered events now (tests, or before reading the model synchronously). */
  applyNow(events: Array<Events['items']>): void;
  /** Items main answered with (`queue.add`): merged at once, exactly like an `items` event. */
  upsert(items: ItemView[]): void;
  /** Items main answered it removed (`queue.remove`): gone at once, exactly like an `items` event's `removed`. */
  drop(ids: string[]): void;
  replace(items: ItemView[]): void;
  setFilter(filter: QueueFilter): void;
  setLoaded(loaded: boolean, error?: string | null): void;
  toggle(id: string, additive: boolean): void;
  /**
   * Selects the rows from the anchor to `toId` (the anchor stays, so a range can grow and shrink):
   * in place of the selection (Shift+click, Shift+↑/↓), or added to it (`additive`: Ctrl/⌘+Shift+click,
   * Shift+click on a checkbox). Without a visible anchor, `from` (or `toId`) becomes it.
   */
  selectRange(toId: string, visible: readonly string[], opts?: { additive?: boolean; from?: string }): void;
  selectAll(ids: readonly string[]): void;
  /** Where the next Shift range starts (keyboard focus moved to this row). */
  setAnchor(id: string): void;
  clearSelection(): void;
}

export type QueueStore = ReturnType<typeof createQueueStore>;

export function createQueueStore() {
  return createStore<QueueState & QueueActions>()((set, get) => ({
    model: createQueueModel(),
    version: 0,
    orderVersion: 0,
    filter: 'all',
    selection: new Set(),
    anchor: null,
    loaded: false,
    loadError: null,
    applyNow(events) {
      const { model } = get();
      let changed = false;
      let orderChanged = false;
      for (const e of events) {
        const r = applyItemsEvent(model, e);
        changed ||= r.changed;
        orderChanged ||= r.orderChanged;
      }
      if (!changed) return;
      const s = get();
      let selection = s.selection;
      if (orderChanged && selection.size) {
        const kept = [...selection].filter((id) => model.byId.has(id));
        if (kept.length !== selection.size) selection = new Set(kept);
      }
      set({ version: s.version + 1, orderVersion: orderChanged ? s.orderVersion + 1 : s.orderVersion, selection });
    },
    upsert(items) {
      if (items.length) get().applyNow([{ items }]);
    },
    drop(ids) {
      if (ids.length) get().applyNow([{ items: [], removed: ids }]);
    },
    replace(items) {
      const s = get();
      replaceAll(s.model, items);
      const selection = new Set([...s.selection].filter((id) => s.model.byId.has(id)));
      set({ version: s.version + 1, orderVersion: s.orderVersion + 1, selection, loaded: true, loadError: null });
    },
    setFilter(filter) {
      // A selection never hides: rows the new filter does not show leave it.
      const s = get();
      const kept = [...s.selection].filter((id) => {
        const item = s.model.byId.get(id);
        return item && matchesFilter(item, filter);
      });
      set({ filter, ...(kept.length !== s.selection.size ? { selection: new Set(kept) } : {}) });
    },
    setLoaded: (loaded, error = null) => set({ loaded, loadError: error }),
    toggle(id, additive) {
      const s = get();
      const next = new Set(additive ? s.selection : []);
      if (s.selection.has(id) && (additive || s.selection.size === 1)) next.delete(id);
      else next.add(id);
      set({ selection: next, anchor: id });
    },
    selectRange(toId, visible, { additive = false, from } = {}) {
      const s = get();
      const to = visible.indexOf(toId);
      if (to < 0) return;
      let anchor = s.anchor !== null ? visible.indexOf(s.anchor) : -1;
      if (anchor < 0) anchor = from !== undefined && visible.includes(from) ? visible.indexOf(from) : to;
      const [a, b] = anchor < to ? [anchor, to] : [to, anchor];
      const next = new Set(additive ? s.selection : []);
      for (let i = a; i <= b; i++) next.add(visible[i]);
      set({ selection: next, anchor: visible[anchor] });
    },
    selectAll: (ids) => set({ selection: new Set(ids) }),
    setAnchor: (anchor) => set({ anchor }),
    clearSelection: () => set({ selection: new Set(), anchor: null }),
  }));
}

/** Buffers `items` events and hands them to the store once per frame. */
export function createItemsBuffer(
  store: QueueStore,
  schedule: (flush: () => void) => void = (f) =>
    typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && !document.hidden ? requestAnimationFrame(f) : setTimeout(f, 50),
) {
  let pending: Array<Events['items']> = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const events = pending;
    pending = [];
    if (events.length) store.getState().applyNow(events);
  };
  return {
    push(event: Events['items']) {
      pending.push(event);
      if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}

/** The ids the list shows for the current filter; recomputed only when they can have changed. */
export function selectVisible(store: QueueStore): () => string[] {
  let cache: { key: string; ids: string[] } | null = null;
  return () => {
    const s = store.getState();
    const key = s.filter === 'all' ? `all:${s.orderVersion}` : `${s.filter}:${s.version}`;
    if (cache?.key !== key) cache = { key, ids: visibleIds(s.model, s.filter) };
    return cache.ids;
  };
}
