/**
 * Bounded concurrency over units. A slot is held by a unit while its job is the API's work: from
 * creation until the job has finished (so at most `limit` jobs are in flight on the API). Its
 * results are then downloaded outside the slot, under a separate bound on parallel downloads, so
 * the next job starts meanwhile. A 429 halves the effective limit; it grows back by one per
 * successful start once the API has been quiet for a while (AIMD).
 */
import type { Gate } from './gate';
import type { QueueStore } from './store';

export interface SchedulerOptions {
  store: QueueStore;
  gate: Gate;
  run: (unitId: string, signal: AbortSignal) => Promise<void>;
  concurrency: number;
  log?: (message: string) => void;
  now?: () => number;
  /** Called whenever the set of running units changes. */
  onChange?: () => void;
}

export class Scheduler {
  private running = new Map<string, { ctrl: AbortController; done: Promise<void> }>();
  /** Running units that hold a slot (those downloading gave theirs back). */
  private slots = new Set<string>();
  private configured: number;
  private limit: number;
  private lastLimitedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private pumping = false;
  /** When set, only units of these batches run (the CLI's `convert` runs its own batch only). */
  private allowed: Set<string> | null;
  /** Paused: units under way go on, none starts (their jobs exist on the API; new ones wait). */
  private paused = false;
  private readonly now: () => number;

  constructor(
    private readonly opts: SchedulerOptions,
    allowAll: boolean,
  ) {
    this.configured = Math.max(1, opts.concurrency);
    this.limit = this.configured;
    this.allowed = allowAll ? null : new Set();
    this.now = opts.now ?? Date.now;
  }

  get concurrency(): number {
    return this.configured;
  }

  get effectiveLimit(): number {
    return this.limit;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** The unit's job has finished on the API: its slot goes to the next unit. */
  releaseSlot(unitId: string): void {
    if (this.slots.delete(unitId)) queueMicrotask(() => this.pump());
  }

  isRunning(unitId: string): boolean {
    return this.running.has(unitId);
  }

  allowBatch(batchId: string): void {
    this.allowed?.add(batchId);
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.pump();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  allowAll(): void {
    this.allowed = null;
    this.pump();
  }

  setConcurrency(n: number): void {
    this.configured = Math.max(1, Math.floor(n));
    this.limit = Math.min(Math.max(this.limit, 1), this.configured);
    if (this.now() - this.lastLimitedAt > 5000) this.limit = this.configured;
    this.pump();
  }

  rateLimited(): void {
    const now = this.now();
    // One storm halves once, not once per in-flight request.
    if (now - this.lastLimitedAt < 1000) return;
    this.lastLimitedAt = now;
    const next = Math.max(1, Math.floor(this.limit / 2));
    if (next !== this.limit) this.opts.log?.(`rate limited: concurrency ${this.limit} → ${next}`);
    this.limit = next;
  }

  success(): void {
    if (this.limit < this.configured && this.now() - this.lastLimitedAt > 3000) {
      this.limit += 1;
      this.pump();
    }
  }

  /** Stops a unit's runner (cancel). */
  abort(unitId: string): Promise<void> {
    const r = this.running.get(unitId);
    if (!r) return Promise.resolve();
    r.ctrl.abort();
    return r.done;
  }

  /** Starts due units while slots are free. */
  pump(): void {
    if (this.closed || this.pumping) return;
    this.pumping = true;
    try {
      if (!this.opts.gate.isOpen()) return; // the gate's onChange pumps again when it opens
      const free = this.limit - this.slots.size;
      if (free <= 0) return;
      const now = this.now();
      const batches = this.allowed ? [...this.allowed] : undefined;
      if (batches && batches.length === 0) return;
      const candidates = this.opts.store.runnableUnits(now, free + this.running.size, batches, !this.paused);
      let started = 0;
      for (const u of candidates) {
        if (started >= free) break;
        if (this.running.has(u.id)) continue;
        this.launch(u.id);
        started++;
      }
      if (started < free) this.armTimer(now, batches);
    } finally {
      this.pumping = false;
    }
    this.opts.onChange?.();
  }

  private launch(unitId: string): void {
    const ctrl = new AbortController();
    const done = this.opts
      .run(unitId, ctrl.signal)
      .catch((err: unknown) => this.opts.log?.(`unit ${unitId} stopped on an unexpected error: ${(err as Error)?.message ?? err}`))
      .finally(() => {
        this.running.delete(unitId);
        this.slots.delete(unitId);
        if (!this.closed) queueMicrotask(() => this.pump());
      });
    this.running.set(unitId, { ctrl, done });
    this.slots.add(unitId);
  }

  private armTimer(now: number, batches?: string[]): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const due = this.opts.store.nextDueAt(now, batches, !this.paused);
    if (due === null) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.pump();
      },
      Math.max(10, due - now),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const all = [...this.running.values()];
    for (const r of all) r.ctrl.abort();
    await Promise.all(all.map((r) => r.done));
  }
}
