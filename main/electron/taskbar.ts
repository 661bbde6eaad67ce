/**
 * What the taskbar / dock shows about the queue: a progress bar for the current run and a badge
 * with how many of its items are left, and, when the run ends, what became of it (for the one
 * notification). The run is what was started since the queue was last idle; its items are known
 * from the queue's item events, so finished batches from earlier days don't count and a
 * conversion faster than the (coalesced) status events is still counted. Pure: tested in Node.
 */
import type { ItemState, ItemView, QueueStatus } from '../../preload/contract';

export interface TaskbarState {
  /** 0..1 while work is in flight; -1 removes the bar. */
  progress: number;
  /** 'error' when items failed in this run (Windows shows a red bar), 'paused' while offline. */
  mode: 'normal' | 'error' | 'paused';
  /** Items of this run not yet finished (0 clears the badge). */
  badge: number;
}

export interface RunOutcome {
  done: number;
  failed: number;
  canceled: number;
}

const TERMINAL: ReadonlySet<ItemState> = new Set(['done', 'failed', 'canceled']);

export class RunTracker {
  /** Items of the current run that finished, and how. */
  private readonly finished = new Map<string, ItemState>();

  /** Takes an `items` event: an item that reaches an end during a run belongs to it. */
  noteItems(items: readonly Pick<ItemView, 'id' | 'state'>[], removed: readonly string[] = []): void {
    for (const item of items) if (TERMINAL.has(item.state)) this.finished.set(item.id, item.state);
    for (const id of removed) this.finished.delete(id);
  }

  /** The taskbar for `unfinished` items in flight (the queue's `unfinishedCount()`). */
  state(status: Pick<QueueStatus, 'connection'>, unfinished: number): TaskbarState {
    if (unfinished === 0) return { progress: -1, mode: 'normal', badge: 0 };
    const done = this.finished.size;
    const failed = [...this.finished.values()].some((s) => s === 'failed');
    const mode = status.connection !== 'online' ? 'paused' : failed ? 'error' : 'normal';
    return { progress: done / (done + unfinished), mode, badge: unfinished };
  }

  /** Once nothing is in flight: the run's outcome, and a fresh start for the next run (null when there was none). */
  takeEnded(unfinished: number): RunOutcome | null {
    if (unfinished > 0 || this.finished.size === 0) return null;
    const out: RunOutcome = { done: 0, failed: 0, canceled: 0 };
    for (const s of this.finished.values()) {
      if (s === 'done') out.done++;
      else if (s === 'failed') out.failed++;
      else out.canceled++;
    }
    this.finished.clear();
    return out;
  }
}
