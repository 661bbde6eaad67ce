/**
 * Timing rules: retry backoff, `Retry-After` parsing, the polling rhythm, an abortable sleep and a time limit.
 * Defaults follow the official api2convert clients (see FACTS.md) so behaviour is comparable.
 */

export interface RetryOptions {
  /** Retries after a 5xx, network error or timeout (when the request may be retried at all). */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the error is surfaced with `retryAfterMs`. */
  maxRetryAfterMs?: number;
  /** Retries after a 429 (separate budget: a rate limit says "later", not "broken"). */
  rateLimitRetries?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 120_000,
  rateLimitRetries: 12,
};

/**
 * Delay before retry number `attempt` (0-based): base × 2^attempt, capped, with jitter so that
 * many clients failing together do not come back together. Never exceeds `maxDelayMs`.
 */
export function backoffDelay(attempt: number, opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'> = {}, random = Math.random): number {
  const base = opts.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = opts.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const raw = Math.min(max, base * 2 ** Math.max(0, attempt));
  // +0–25 % below the cap (as the official clients); at the cap, spread downwards instead.
  const jittered = raw * (1 + 0.25 * random());
  return jittered <= max ? jittered : max * (0.8 + 0.2 * random());
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date. Undefined when absent or unparsable. */
export function parseRetryAfter(value: string | string[] | undefined | null, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null) return undefined;
  const s = v.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  // An HTTP date names its month (and weekday); bare numbers like "-5" are not dates.
  if (!/[a-z]{3}/i.test(s)) return undefined;
  const at = Date.parse(s);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** A server's `Retry-After`, plus a little positive jitter so a crowd of clients spreads out. */
export function retryAfterDelay(ms: number, random = Math.random): number {
  return ms + Math.min(1_000, ms * 0.1) * random();
}

export interface PollOptions {
  /** Wait before the first poll (floor 500 ms). Default 1000. */
  initialMs?: number;
  /** Growth per poll. Default 1.5. */
  factor?: number;
  /** Longest wait between polls. Default 5000. */
  maxMs?: number;
  /** Extra 0–jitter fraction added to each wait. Default 0.25. */
  jitter?: number;
  /** Give up after this long in total (Infinity = never). Default 300 000. */
  totalMs?: number;
}

export const DEFAULT_POLL: Required<PollOptions> = { initialMs: 1_000, factor: 1.5, maxMs: 5_000, jitter: 0.25, totalMs: 300_000 };

/** The poll waits in order: initial, ×factor, … up to max, each with jitter. */
export function* pollDelays(opts: PollOptions = {}, random = Math.random): Generator<number, never> {
  const o = { ...DEFAULT_POLL, ...stripUndefined(opts) };
  const max = Math.max(o.maxMs, 1);
  let d = Math.min(max, Math.max(500, o.initialMs));
  for (;;) {
    yield d * (1 + Math.max(0, o.jitter) * random());
    d = Math.min(max, d * Math.max(1, o.factor));
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The AbortError for `signal` (its reason when that is an Error). */
export function abortError(signal?: AbortSignal): Error {
  const r = signal?.reason;
  if (r instanceof Error && r.name === 'AbortError') return r;
  const e = new Error(r instanceof Error ? r.message : 'The operation was aborted');
  e.name = 'AbortError';
  if (r instanceof Error) (e as Error & { cause?: unknown }).cause = r;
  return e;
}

/**
 * Waits `ms`, rejecting with an AbortError if `signal` aborts. `wake` (optional) registers a listener
 * that ends the wait early; it returns its own unsubscribe function.
 */
export function sleep(ms: number, signal?: AbortSignal, wake?: (listener: () => void) => () => void): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    let unwake: (() => void) | undefined;
    let settled = false;
    const done = () => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unwake?.();
    };
    const onAbort = () => {
      done();
      reject(abortError(signal));
    };
    const timer = setTimeout(
      () => {
        done();
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    if (wake) {
      unwake = wake(() => {
        if (settled) return;
        done();
        resolve();
      });
      // The listener may have fired while being registered.
      if (settled) unwake();
    }
  });
}

/**
 * `p`, or a rejection after `ms` (a TimeoutError, or `onTimeout()`) for a promise that takes no signal.
 * The timer never keeps the process alive and is cleared when `p` settles.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, onTimeout?: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout?.() ?? Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TimeoutError' })), ms);
    timer.unref();
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
