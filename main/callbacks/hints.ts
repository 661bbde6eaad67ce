import type { HintResult } from './server';

export interface HintWindows {
  /** Least time between two re-reads of a job for callbacks that claim it ended (default 50 ms). */
  urgentMs: number;
  /** Least time between two re-reads for status-only callbacks (notify_status; default 1 s). */
  statusMs: number;
  /**
   * After an "ended" callback was acted on at once, further ones for the same job within this
   * time wait `statusMs` like status callbacks (a job ends once; repeats are noise or forgery).
   */
  urgentRepeatMs: number;
  /** Most re-reads callbacks may cause per second, all jobs together; the rest are deferred. */
  maxPerSecond: number;
}

export const defaultHintWindows: HintWindows = { urgentMs: 50, statusMs: 1000, urgentRepeatMs: 5000, maxPerSecond: 20 };

interface Entry {
  lastAt: number;
  /** When an "ended" callback last caused an immediate re-read. */
  urgentAt?: number;
  result: HintResult;
  trailing: { at: number; timer: NodeJS.Timeout } | null;
}

/**
 * Passes callback hints to the queue (each hint = one re-read of the job with Convoy's key), at a
 * bounded rate per job. For an unsigned callback (or a signed one the queue would not take, see
 * manager.ts), what it claims only decides *when* Convoy re-reads, never what it believes: a callback claiming the job ended is read at once; status-only callbacks (processing…)
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
    const entry = this.recent.get(jobId);
    const urgent = claimsEnded && !(entry?.urgentAt !== undefined && now - entry.urgentAt < this.windows.urgentRepeatMs);
    const window = urgent ? this.windows.urgentMs : this.windows.statusMs;
    // A job's first hint always goes through (it also counts against the budget); later ones wait their turn.
    const first = !entry || entry.result === 'unknown';
    if (first ? (this.spend(now), true) : now - entry.lastAt >= window && this.spend(now)) {
      const result = this.hint(jobId);
      if (entry?.trailing) clearTimeout(entry.trailing.timer);
      if (result === 'unknown') this.recent.delete(jobId);
      else this.recent.set(jobId, { lastAt: now, urgentAt: urgent ? now : entry?.urgentAt, result, trailing: null });
      return result;
    }
    if (!entry) return 'unknown'; // unreachable: a first hint always goes through
    // Over the total budget: the job's next read waits for the next second.
    const at = Math.max(entry.lastAt + window, now - entry.lastAt >= window ? this.windowStart + 1000 : 0);
    if (!entry.trailing || entry.trailing.at > at) {
      if (entry.trailing) clearTimeout(entry.trailing.timer);
      const timer = setTimeout(() => this.fire(jobId, entry), Math.max(0, at - now));
      timer.unref?.();
      entry.trailing = { at, timer };
    }
    return entry.result;
  }

  private windowStart = 0;
  private spent = 0;

  /** Takes one re-read from the per-second budget; false when it is used up. */
  private spend(now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.spent = 0;
    }
    if (this.spent >= this.windows.maxPerSecond) return false;
    this.spent++;
    return true;
  }

  private fire(jobId: string, entry: Entry): void {
    if (!this.spend(this.now())) {
      // Still over the budget: try again when the next second starts.
      const timer = setTimeout(() => this.fire(jobId, entry), Math.max(10, this.windowStart + 1000 - this.now()));
      timer.unref?.();
      entry.trailing = { at: this.windowStart + 1000, timer };
      return;
    }
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
