/**
 * Completion detection: the one path through which the queue learns that a job finished, whether
 * the news came from a callback or from polling. A signed callback's document is taken as a read
 * (`deliver`); anything else is a `GET /jobs/{id}` with Convoy's own key (an unsigned callback is
 * only a hint to read now; duplicate and late hints only cause one more read).
 *
 * Polling rhythm: the first read is timed from how long recent jobs took (so a typical job is
 * seen finished on the first read), then backs off ×1.5 up to `maxMs`. With a callback target the
 * reads become a slow safety net (`safetyMs`) and hints do the work.
 */
import type { Job } from '../api/types';
import { isTerminal } from '../api/types';
import { classify } from './classify';
import type { Gate } from './gate';

export interface PollRhythm {
  /** Earliest first read (when recent jobs were quick). */
  firstMinMs: number;
  /** First read before anything was learned, and the interval after a read that found the job running. */
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Poll interval while callbacks are expected. */
  safetyMs: number;
}

export const defaultRhythm: PollRhythm = { firstMinMs: 100, initialMs: 250, factor: 1.5, maxMs: 5000, safetyMs: 60_000 };

interface Watch {
  id: string;
  startedAt: number;
  nextAt: number;
  delay: number;
  lastPollAt: number;
  polling: boolean;
  resolve: (job: Job) => void;
  reject: (err: unknown) => void;
  onUpdate?: (job: Job) => void;
  /** The job was created with our callback URL: in callback mode, hints do the work for it. */
  viaCallback: boolean;
}

export interface WatcherOptions {
  getJob: (id: string) => Promise<Job>;
  gate: Gate;
  rhythm?: Partial<PollRhythm>;
  /** Reads in flight at once. */
  maxConcurrentPolls?: number;
  log?: (message: string) => void;
  now?: () => number;
  /**
   * Every job's end is announced through `hint` (the in-process engine): reads are only a safety
   * net, every `maxMs`.
   */
  announced?: boolean;
}

const HINT_TTL_MS = 10 * 60_000;

export class JobWatcher {
  private watches = new Map<string, Watch>();
  private pendingHints = new Map<string, number>();
  /** Signed documents of ended jobs that arrived before their wait began (taken by `wait`). */
  private early = new Map<string, Job>();
  private callbackMode = false;
  private timer: NodeJS.Timeout | null = null;
  private inflight = 0;
  private closed = false;
  /** Smoothed time from start of watching to completion. */
  private typicalMs: number | null = null;
  private readonly rhythm: PollRhythm;
  private readonly now: () => number;
  private readonly maxPolls: number;

  constructor(private readonly opts: WatcherOptions) {
    this.rhythm = { ...defaultRhythm, ...opts.rhythm };
    this.now = opts.now ?? Date.now;
    this.maxPolls = opts.maxConcurrentPolls ?? 8;
  }

  /** Resolves with the job once it is completed, failed or canceled. */
  wait(id: string, opts: { signal?: AbortSignal; onUpdate?: (job: Job) => void; immediate?: boolean; viaCallback?: boolean } = {}): Promise<Job> {
    const existing = this.watches.get(id);
    if (existing) existing.reject(abortError('replaced by a newer watch'));
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      opts.onUpdate?.(early);
      return Promise.resolve(early);
    }
    return new Promise<Job>((resolve, reject) => {
      const now = this.now();
      const immediate = opts.immediate || this.consumeHint(id);
      const viaCallback = opts.viaCallback ?? false;
      const first = immediate ? 0 : this.firstDelay(viaCallback);
      const w: Watch = {
        id,
        startedAt: now,
        nextAt: now + first,
        delay: this.rhythm.initialMs,
        lastPollAt: now,
        polling: false,
        resolve: (job) => {
          cleanup();
          resolve(job);
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
        onUpdate: opts.onUpdate,
        viaCallback,
      };
      const onAbort = () => {
        if (this.watches.get(id) === w) this.watches.delete(id);
        w.reject(abortError('aborted'));
      };
      const cleanup = () => opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) return reject(abortError('aborted'));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.watches.set(id, w);
      this.arm();
    });
  }

  isWatched(id: string): boolean {
    return this.watches.has(id);
  }

  /** A callback says the job changed: read it now. False when the job is not being watched. */
  hint(id: string): boolean {
    const w = this.watches.get(id);
    if (!w) return false;
    if (!w.polling) {
      w.nextAt = this.now();
      this.arm();
    } else {
      // A read is under way but may predate the change: read once more right after it.
      w.nextAt = 0;
    }
    return true;
  }

  /**
   * A job document from a signed callback: taken as a read. An ended job that looks as expected
   * ends the wait without a request; one that does not (completed without outputs) is read back.
   * False when the job is not being watched.
   */
  deliver(job: Job, expected = false): boolean {
    const w = this.watches.get(job.id);
    if (!w) {
      // Ended before its wait began (a fast job, the runner still recording the previous phase).
      if (!expected || !isTerminal(job) || !this.usable(job)) return false;
      if (this.early.size >= 10_000) this.early.delete(this.early.keys().next().value!);
      this.early.set(job.id, job);
      return true;
    }
    w.viaCallback = true;
    w.onUpdate?.(job);
    if (!isTerminal(job)) return true;
    if (!this.usable(job)) return this.hint(job.id);
    this.watches.delete(job.id);
    w.resolve(job);
    return true;
  }

  /** An ended job document that can be acted on: a completed one has outputs or delivered targets. */
  private usable(job: Job): boolean {
    if (job.status.code.toLowerCase() !== 'completed') return true;
    const delivered = job.conversion.length > 0 && job.conversion.every((c) => (c.output_target ?? []).length > 0);
    return job.output.length > 0 || delivered;
  }

  /** Keeps a hint for a job whose id is not recorded yet (its creation is in flight). */
  keepHint(id: string): void {
    const now = this.now();
    for (const [k, t] of this.pendingHints) if (now - t > HINT_TTL_MS) this.pendingHints.delete(k);
    this.pendingHints.set(id, now);
  }

  consumeHint(id: string): boolean {
    const t = this.pendingHints.get(id);
    if (t === undefined) return false;
    this.pendingHints.delete(id);
    return this.now() - t <= HINT_TTL_MS;
  }

  setCallbackMode(on: boolean): void {
    if (this.callbackMode === on) return;
    this.callbackMode = on;
    const now = this.now();
    for (const w of this.watches.values()) {
      // A job created while polling has no callback URL: it keeps the polling rhythm.
      if (!w.viaCallback) continue;
      if (on) w.nextAt = Math.max(w.nextAt, now + Math.min(this.rhythm.safetyMs, w.delay * 4));
      else w.nextAt = Math.min(w.nextAt, now + this.rhythm.initialMs);
    }
    this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.watches.values()) w.reject(abortError('queue closed'));
    this.watches.clear();
    this.early.clear();
  }

  private firstDelay(viaCallback: boolean): number {
    if (this.callbackMode && viaCallback) return this.rhythm.safetyMs;
    if (this.opts.announced) return this.rhythm.maxMs;
    const typical = this.typicalMs;
    if (typical === null) return this.rhythm.initialMs;
    return Math.min(Math.max(this.rhythm.firstMinMs, Math.round(typical)), this.rhythm.maxMs);
  }

  private arm(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let soonest = Infinity;
    for (const w of this.watches.values()) if (!w.polling && w.nextAt < soonest) soonest = w.nextAt;
    if (soonest === Infinity) return;
    const delay = Math.max(0, soonest - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick();
    }, delay);
  }

  private tick(): void {
    if (this.closed) return;
    const now = this.now();
    const due = [...this.watches.values()].filter((w) => !w.polling && w.nextAt <= now).sort((a, b) => a.nextAt - b.nextAt);
    for (const w of due) {
      if (this.inflight >= this.maxPolls) break;
      void this.poll(w);
    }
    this.arm();
  }

  private async poll(w: Watch): Promise<void> {
    w.polling = true;
    this.inflight++;
    const rehint = () => w.nextAt === 0;
    w.nextAt = Infinity;
    const pollStart = this.now();
    try {
      await this.opts.gate.pass();
      const job = await this.opts.getJob(w.id);
      if (this.watches.get(w.id) !== w) return;
      w.viaCallback = Boolean(job.callback);
      w.onUpdate?.(job);
      if (isTerminal(job)) {
        this.learn(w, pollStart);
        this.watches.delete(w.id);
        w.resolve(job);
        return;
      }
      w.lastPollAt = pollStart;
      const interval = this.callbackMode && w.viaCallback ? this.rhythm.safetyMs : this.opts.announced ? this.rhythm.maxMs : w.delay;
      w.delay = Math.min(Math.round(w.delay * this.rhythm.factor), this.rhythm.maxMs);
      w.nextAt = rehint() ? this.now() : this.now() + interval;
    } catch (err) {
      if (this.watches.get(w.id) !== w) return;
      const v = classify(err);
      if (v.kind === 'abort') {
        if (this.closed) return;
        w.nextAt = this.now() + w.delay;
      } else if (v.kind === 'permanent' && ['not_found', 'auth', 'bad_response'].includes(v.error.code)) {
        this.watches.delete(w.id);
        w.reject(err);
        return;
      } else {
        if (v.kind === 'offline') this.opts.gate.offline(v.reason);
        else if (v.kind === 'unavailable') this.opts.gate.unavailable(v.reason);
        else if (v.kind === 'rate_limit') this.opts.gate.rateLimited(v.retryAfterMs, v.reason);
        else if (v.kind === 'auth') {
          this.opts.gate.haltAuth(v.reason);
        }
        w.nextAt = this.now() + Math.max(w.delay, 500);
      }
    } finally {
      w.polling = false;
      this.inflight--;
      this.arm();
    }
  }

  /**
   * Learns how long jobs take. Found finished on the first read: it took at most that long, so the
   * estimate creeps down (×0.9) until a first read comes too early; found on a later read: it
   * finished between the last two reads (midpoint). The first read thus lands just after most
   * jobs finish: about one read per job, little delay.
   */
  private learn(w: Watch, pollStart: number): void {
    const firstRead = w.lastPollAt === w.startedAt;
    const estimate = firstRead ? 0.9 * (pollStart - w.startedAt) : (w.lastPollAt + pollStart) / 2 - w.startedAt;
    if (estimate <= 0) return;
    this.typicalMs = this.typicalMs === null ? estimate : this.typicalMs * 0.8 + estimate * 0.2;
  }
}

/** The platform's AbortError with a reason (isAbort() checks the name). */
function abortError(message: string): Error {
  return new DOMException(message, 'AbortError');
}
