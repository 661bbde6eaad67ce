import type { HintResult } from './server';

export interface HintWindows {
  /** Least time between two re-reads of a job for callbacks that claim it ended (default 50 ms). */
  urgentMs: number;
  /** Least time between two re-reads for status-only callbacks (notify_status; default 1 s). */
  statusMs: number;
}

export const defaultHintWindows: HintWindows = { urgentMs: 50, statusMs: 1000 };

interface Entry {
  lastAt: number;
  result: HintResult;
  trailing: { at: number; timer: NodeJS.Timeout } | null;
}

/**
 * Passes callback hints to the queue (each hint = one re-read of the job with Convoy's key), at a
 * bounded rate per job. What a callback claims only decides *when* Convoy re-reads, never what it
 * believes: a callback claiming the job ended is read at once; status-only callbacks (processing…)
 * are coalesced to at most one read per `statusMs`. A burst never loses its last hint: a trailing
 * re-read runs at the end of the window. Duplicates cost nothing beyond that.
 */
export class HintThrottle {
  private readonly recent = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly windows: HintWindows;

  constructor(
    private readonly hint: (jobId: string) => HintResult,
    windows: Partial<HintWindows> = {},
    private readonly onError: (jobId: string, err: unknown) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    this.windows = { ...defaultHintWindows, ...windows };
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.windows.statusMs * 2));
    this.sweeper.unref?.();
  }

  /**
   * `claimsEnded`: the body says completed/failed/canceled (or says nothing usable).
   * Returns whether the job is ours; throws when the queue could not take the hint.
   */
  push(jobId: string, claimsEnded: boolean): HintResult {
    const now = this.now();
    const window = claimsEnded ? this.windows.urgentMs : this.windows.statusMs;
    const entry = this.recent.get(jobId);
    if (!entry || entry.result === 'unknown' || now - entry.lastAt >= window) {
      const result = this.hint(jobId);
      if (entry?.trailing) clearTimeout(entry.trailing.timer);
      if (result === 'unknown') this.recent.delete(jobId);
      else this.recent.set(jobId, { lastAt: now, result, trailing: null });
      return result;
    }
    const at = entry.lastAt + window;
    if (!entry.trailing || entry.trailing.at > at) {
      if (entry.trailing) clearTimeout(entry.trailing.timer);
      const timer = setTimeout(() => this.fire(jobId, entry), Math.max(0, at - now));
      timer.unref?.();
      entry.trailing = { at, timer };
    }
    return entry.result;
  }

  private fire(jobId: string, entry: Entry): void {
    entry.trailing = null;
    entry.lastAt = this.now();
    try {
      entry.result = this.hint(jobId);
    } catch (err) {
      this.onError(jobId, err);
    }
  }

  private sweep(): void {
    const cutoff = this.now() - this.windows.statusMs;
    for (const [id, e] of this.recent) if (!e.trailing && e.lastAt < cutoff) this.recent.delete(id);
  }

  size(): number {
    return this.recent.size;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const e of this.recent.values()) if (e.trailing) clearTimeout(e.trailing.timer);
    this.recent.clear();
  }
}
