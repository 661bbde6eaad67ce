/** Fault injection state (tests and benches); everything off by default. */
import { defaultFaults, type EngineFaults } from './types';

export class Faults {
  private current: EngineFaults;
  private stallWaiters: Array<() => void> = [];
  /** Share of a 503 owed so far: requests are failed evenly (exactly round(n × rate) of n), not by chance. */
  private owed5xx = 0.5;

  constructor(initial: Partial<EngineFaults> = {}) {
    this.current = validateFaults({ ...defaultFaults, ...initial });
  }

  get(): EngineFaults {
    return this.current;
  }

  set(change: Partial<EngineFaults>): void {
    const before = this.current.transient5xxRate;
    this.current = validateFaults({ ...this.current, ...change });
    if (this.current.transient5xxRate !== before) this.owed5xx = 0.5;
    if (!this.current.stall) this.releaseStalled();
  }

  /**
   * Whether this request answers with an injected 503. Spread evenly rather than drawn at random,
   * so a test or bench of n requests sees the same share every run (a run with none is impossible).
   */
  takeTransient5xx(): boolean {
    const rate = this.current.transient5xxRate;
    if (rate <= 0) return false;
    this.owed5xx += rate;
    if (this.owed5xx < 1) return false;
    this.owed5xx -= 1;
    return true;
  }

  /** Resolves once the stall is lifted (immediately when there is none). */
  waitWhileStalled(): Promise<void> {
    if (!this.current.stall) return Promise.resolve();
    return new Promise((resolve) => this.stallWaiters.push(resolve));
  }

  releaseStalled(): void {
    const waiters = this.stallWaiters;
    this.stallWaiters = [];
    for (const w of waiters) w();
  }
}

function validateFaults(f: EngineFaults): EngineFaults {
  const num = (name: keyof EngineFaults, min: number, max = Infinity) => {
    const v = f[name] as number;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw new RangeError(`fault ${name} must be a number in [${min}, ${max}], got ${String(v)}`);
    }
  };
  num('latencyMs', 0);
  num('conversionDelayMs', 0);
  num('maxConcurrentJobs', 0);
  num('retryAfterSeconds', 0);
  num('transient5xxRate', 0, 1);
  num('callbackDropRate', 0, 1);
  num('callbackDuplicateRate', 0, 1);
  if (typeof f.stall !== 'boolean') throw new RangeError('fault stall must be a boolean');
  return f;
}
