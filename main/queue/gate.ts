/**
 * The queue's connection gate. Every request the queue makes passes it first; when the API cannot
 * be reached the gate closes for everyone (offline), probes the API with backoff and opens again by
 * itself; a 429 closes it until the Retry-After; a refused key or an exhausted quota holds it.
 * Items waiting here are waiting, not failing.
 */
import fs from 'node:fs';
import { abortError, backoffDelay, withTimeout } from '../api/backoff';
import { classify, diskFullMessage } from './classify';

export type Connection = 'online' | 'offline' | 'rate_limited';

export interface GateSnapshot {
  connection: Connection;
  reason: string | null;
  retryAt: number | null;
  /** Set when nothing can proceed until the user acts (auth) or a long pause (quota). */
  halt: { kind: 'auth' | 'quota' | 'disk'; reason: string } | null;
}

export interface GateOptions {
  /** A cheap authenticated request; resolves when the API answered. */
  probe: () => Promise<void>;
  probeInitialMs?: number;
  probeMaxMs?: number;
  /** How long one probe may take before it counts as "no answer". */
  probeTimeoutMs?: number;
  /** First pause after a 402; doubles per repeat. */
  quotaPauseMs?: number;
  /** How often a disk-full halt checks whether space returned (default 2 s). */
  diskCheckMs?: number;
  onChange: () => void;
  log?: (message: string) => void;
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class Gate {
  private state: GateSnapshot = { connection: 'online', reason: null, retryAt: null, halt: null };
  private waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | null = null;
  /** Failed probes since the gate went offline: the backoff's attempt number. */
  private probeFailures = 0;
  private unavailableStreak = 0;
  private quotaPause: number;
  private closed = false;
  private probing = false;
  private diskTimer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: GateOptions) {
    this.quotaPause = opts.quotaPauseMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  snapshot(): GateSnapshot {
    return { ...this.state };
  }

  isOpen(): boolean {
    return !this.closed && this.state.connection === 'online' && !this.state.halt;
  }

  /** Resolves when requests may be sent; rejects with an AbortError when `signal` aborts. */
  pass(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.closed) return Promise.reject(abortError());
    if (this.isOpen()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          this.waiters.delete(w);
          reject(abortError());
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.add(w);
    });
  }

  /** A request got an answer: the API is reachable. */
  ok(): void {
    this.unavailableStreak = 0;
    if (this.state.connection === 'offline') this.goOnline();
  }

  offline(reason: string): void {
    this.unavailableStreak = 0;
    if (this.closed) return;
    if (this.state.connection === 'offline') return;
    this.opts.log?.(`queue offline: ${reason}`);
    this.probeFailures = 0;
    const first = this.opts.probeInitialMs ?? 500;
    this.set({ connection: 'offline', reason: `Cannot reach the API: ${reason}`, retryAt: this.now() + first });
    this.schedule(first, () => void this.runProbe());
  }

  /** A 502/503/504: one is a blip, a streak means the API is down for now. */
  unavailable(reason: string): void {
    this.unavailableStreak += 1;
    if (this.unavailableStreak >= 3) this.offline(reason);
  }

  rateLimited(retryAfterMs: number | undefined, reason: string): void {
    if (this.closed || this.state.connection === 'offline') return;
    const wait = Math.min(Math.max(retryAfterMs ?? 2000, 250), 10 * 60_000);
    const until = this.now() + wait;
    if (this.state.connection === 'rate_limited' && (this.state.retryAt ?? 0) >= until) return;
    this.set({ connection: 'rate_limited', reason: `Rate limited by the API; waiting ${Math.ceil(wait / 1000)} s (${reason})`, retryAt: until });
    this.schedule(wait, () => this.goOnline());
  }

  /** 402: pause everything for a while, doubling on each repeat. */
  quota(reason: string): void {
    if (this.closed) return;
    const wait = this.quotaPause;
    this.quotaPause = Math.min(this.quotaPause * 2, 15 * 60_000);
    this.state.halt = { kind: 'quota', reason };
    this.set({
      connection: 'rate_limited',
      reason: `Quota exhausted; waiting ${Math.ceil(wait / 1000)} s before trying again (${reason})`,
      retryAt: this.now() + wait,
    });
    this.schedule(wait, () => {
      this.state.halt = null;
      this.goOnline();
    });
  }

  /** The key was refused: hold until `resume()` (a new key). */
  haltAuth(reason: string): void {
    if (this.state.halt?.kind === 'auth') return;
    this.opts.log?.(`queue halted: ${reason}`);
    this.state.halt = { kind: 'auth', reason };
    this.opts.onChange();
  }

  /**
   * A write failed for lack of space: hold everything (items stay resumable) and check the free
   * space of `folder` until it has grown by `needBytes` (or 1 MiB) since the halt, then go on.
   */
  haltDisk(folder: string, needBytes = 0): void {
    if (this.closed || this.state.halt?.kind === 'auth') return;
    if (this.state.halt?.kind === 'disk') return;
    const reason = diskFullMessage(folder);
    this.opts.log?.(`queue halted: ${reason}`);
    this.state.halt = { kind: 'disk', reason };
    this.opts.onChange();
    const freeNow = () =>
      fs.promises.statfs(folder).then(
        (s) => s.bavail * s.bsize,
        () => null,
      );
    void freeNow().then((atHalt) => {
      const want = (atHalt ?? 0) + Math.max(needBytes, 1024 * 1024);
      const check = () => {
        this.diskTimer = null;
        if (this.closed || this.state.halt?.kind !== 'disk') return;
        void freeNow().then((free) => {
          if (this.closed || this.state.halt?.kind !== 'disk') return;
          if (free !== null && free >= want) {
            this.opts.log?.(`space returned at ${folder}; the queue continues`);
            this.resume();
            return;
          }
          this.diskTimer = setTimeout(check, this.opts.diskCheckMs ?? 2000);
        });
      };
      this.diskTimer = setTimeout(check, this.opts.diskCheckMs ?? 2000);
    });
  }

  resume(): void {
    if (this.diskTimer) clearTimeout(this.diskTimer);
    this.diskTimer = null;
    this.state.halt = null;
    this.quotaPause = this.opts.quotaPauseMs ?? 60_000;
    if (this.state.connection !== 'online') {
      this.goOnline();
    } else {
      this.opts.onChange();
      this.release();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.diskTimer) clearTimeout(this.diskTimer);
    this.timer = null;
    for (const w of this.waiters) {
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.reject(abortError());
    }
    this.waiters.clear();
  }

  private async runProbe(): Promise<void> {
    if (this.closed || this.probing || this.state.connection !== 'offline') return;
    this.probing = true;
    let answered = false;
    let verdictReason = '';
    try {
      await withTimeout(this.opts.probe(), this.opts.probeTimeoutMs ?? 10_000);
      answered = true;
    } catch (err) {
      const v = classify(err);
      if (v.kind === 'offline' || v.kind === 'unavailable' || v.kind === 'transient') verdictReason = v.reason;
      else if (v.kind === 'auth') {
        answered = true;
        this.haltAuth(v.reason);
      } else answered = true; // any other answer means the API is there
    } finally {
      this.probing = false;
    }
    if (this.closed) return;
    if (answered) {
      this.opts.log?.('queue online again');
      this.goOnline();
      return;
    }
    const delay = Math.round(backoffDelay(++this.probeFailures, { baseDelayMs: this.opts.probeInitialMs ?? 500, maxDelayMs: this.opts.probeMaxMs ?? 8000 }));
    this.set({ connection: 'offline', reason: `Cannot reach the API: ${verdictReason}`, retryAt: this.now() + delay });
    this.schedule(delay, () => void this.runProbe());
  }

  private goOnline(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unavailableStreak = 0;
    this.set({ connection: 'online', reason: this.state.halt ? this.state.halt.reason : null, retryAt: null });
    this.release();
  }

  private release(): void {
    if (!this.isOpen()) return;
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) {
      if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
  }

  private set(patch: Partial<GateSnapshot>): void {
    this.state = { ...this.state, ...patch };
    this.opts.onChange();
  }

  private schedule(ms: number, fn: () => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      fn();
    }, ms);
  }
}
