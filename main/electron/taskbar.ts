/**
 * What the taskbar / dock shows about the queue: a progress bar for the current run and a badge
 * with how many of its items are left. The run is what was started since the queue was last idle,
 * so finished batches from earlier days don't count. Pure over the queue's numbers: tested in Node.
 */
import type { QueueStatus } from '../../preload/contract';

export interface TaskbarState {
  /** 0..1 while work is in flight; -1 removes the bar. */
  progress: number;
  /** 'error' when items failed in this run (Windows shows a red bar), 'paused' while offline. */
  mode: 'normal' | 'error' | 'paused';
  /** Items of this run not yet finished (0 clears the badge). */
  badge: number;
}

export class RunProgress {
  private base: { finished: number; failed: number } | null = null;

  /**
   * `unfinished`: items started and not yet finished (the queue's `unfinishedCount()`).
   */
  update(status: Pick<QueueStatus, 'connection' | 'totals'>, unfinished: number): TaskbarState {
    const { totals } = status;
    const finished = totals.done + totals.failed + totals.canceled;
    if (unfinished === 0) {
      this.base = null;
      return { progress: -1, mode: 'normal', badge: 0 };
    }
    this.base ??= { finished, failed: totals.failed };
    const doneInRun = Math.max(0, finished - this.base.finished);
    const failedInRun = Math.max(0, totals.failed - this.base.failed);
    const mode = status.connection !== 'online' ? 'paused' : failedInRun > 0 ? 'error' : 'normal';
    return { progress: doneInRun / (doneInRun + unfinished), mode, badge: unfinished };
  }
}
