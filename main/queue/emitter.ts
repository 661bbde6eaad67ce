/**
 * Coalesced queue events. Changes mark items dirty; at most every `intervalMs` (200 ms → 5 per
 * second) one `items` event carries the changed items only, batch counts are recomputed for the
 * batches those items belong to, `queueStatus` goes out when it changed, and `batchDone` once a
 * batch's started work has all ended. The UI therefore copes with 10,000 items changing at once.
 */
import type { BatchCounts, ItemView, QueueStatus } from '../../preload/contract';
import type { EventBus } from '../events';

export interface EmitterSource {
  views(ids: string[]): ItemView[];
  /** Counts of these batches, freshly read. */
  recount(batchIds: Iterable<string>): void;
  status(): QueueStatus;
  /** Batches whose started work has all ended since the last call, with their counts. */
  finishedBatches(candidates: Iterable<string>): Array<{ batchId: string; counts: BatchCounts }>;
}

/** Most items in one `items` event; more wait for the next tick (a 100,000-item add spreads out). */
const MAX_ITEMS_PER_EVENT = 5000;

export class QueueEmitter {
  private dirty = new Set<string>();
  private removed = new Set<string>();
  private batches = new Set<string>();
  private statusDirty = false;
  private lastStatus = '';
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly bus: EventBus,
    private readonly source: EmitterSource,
    private readonly intervalMs = 200,
  ) {}

  touch(ids: Iterable<string>, batchId?: string): void {
    for (const id of ids) this.dirty.add(id);
    if (batchId) this.batches.add(batchId);
    this.schedule();
  }

  touchBatch(batchId: string): void {
    this.batches.add(batchId);
    this.schedule();
  }

  remove(ids: Iterable<string>, batchIds: Iterable<string>): void {
    for (const id of ids) {
      this.removed.add(id);
      this.dirty.delete(id);
    }
    for (const b of batchIds) this.batches.add(b);
    this.schedule();
  }

  statusChanged(): void {
    this.statusDirty = true;
    this.schedule();
  }

  /** Emits whatever is pending now (used on close and by tests). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ids: string[] = [];
    for (const id of this.dirty) {
      if (ids.length >= MAX_ITEMS_PER_EVENT) break;
      ids.push(id);
    }
    for (const id of ids) this.dirty.delete(id);
    const removed = [...this.removed];
    this.removed.clear();
    const views = ids.length ? this.source.views(ids) : [];
    for (const v of views) this.batches.add(v.batchId);
    const batches = [...this.batches];
    this.batches.clear();
    if (batches.length) this.source.recount(batches);
    if (views.length || removed.length) {
      this.bus.emit('items', removed.length ? { items: views, removed } : { items: views });
    }
    if (batches.length || this.statusDirty) {
      this.statusDirty = false;
      const status = this.source.status();
      const key = JSON.stringify({ ...status, retryAt: status.retryAt });
      if (key !== this.lastStatus) {
        this.lastStatus = key;
        this.bus.emit('queueStatus', status);
      }
    }
    if (batches.length) {
      for (const done of this.source.finishedBatches(batches)) this.bus.emit('batchDone', done);
    }
    if (this.dirty.size) this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      try {
        this.flush();
      } catch {
        /* a failed read must not stop later events */
      }
    }, this.intervalMs);
  }
}
