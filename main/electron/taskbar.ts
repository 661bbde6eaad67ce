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
  /** Set once, when a run has just ended: what became of its items. */
  ended?: { done: number; failed: number; canceled: number };
}

export class RunProgress {
  private base: { done: number; failed: number; canceled: number } | null = null;

  /**
   * `unfinished`: items started and not yet finished (the queue's `unfinishedCount()`).
   */
  update(status: Pick<QueueStatus, 'connection' | 'totals'>, unfinished: number): TaskbarState {
    const { totals } = status;
    const inRun = (base: NonNullable<RunProgress['base']>) => ({
      done: Math.max(0, totals.done - base.done),
      failed: Math.max(0, totals.failed - base.failed),
      canceled: Math.max(0, totals.canceled - base.canceled),
    });
    if (unfinished === 0) {
      const ended = this.base ? inRun(this.base) : undefined;
      this.base = null;
      return { progress: -1, mode: 'normal', badge: 0, ...(ended ? { ended } : {}) };
    }
    this.base ??= { done: totals.done, failed: totals.failed, canceled: totals.canceled };
    const run = inRun(this.base);
    const finished = run.done + run.failed + run.canceled;
    const mode = status.connection !== 'online' ? 'paused' : run.failed > 0 ? 'error' : 'normal';
    return { progress: finished / (finished + unfinished), mode, badge: unfinished };
  }
}
