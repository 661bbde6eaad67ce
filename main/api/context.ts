/** What every request needs from its client: connections, timing rules, logging and known secrets. */
import { DEFAULT_RETRY, backoffDelay, retryAfterDelay, type RetryOptions } from './backoff';
import { ApiError, NetworkError, formatMs } from './errors';
import { redactText } from './redact';
import type { Agents } from './transport';

export interface ApiContext {
  agents: Agents;
  /** Per request for JSON calls; inactivity limit for streamed bodies. */
  timeoutMs: number;
  /** Largest JSON answer accepted (default: readBody's 16 MiB). */
  maxJsonBytes?: number;
  retry: Required<RetryOptions>;
  /** Already-redacted lines only. */
  log: (message: string) => void;
  /** Secret values to scrub from any text that leaves the client. */
  secrets: Set<string>;
  random: () => number;
  /** Called for every HTTP answer from the API (any status), before it is parsed or retried. */
  onResponse?: ResponseHook;
  /** Answers some calls in this process instead of over HTTP (the in-process engine; see LocalExchange). */
  local?: LocalExchange;
}

/**
 * A JSON call answered in this process (the in-process engine), with the status and body the HTTP
 * route would have answered; `undefined` when it does not handle the call (it goes over HTTP). A
 * refusal is thrown as an error carrying the route's `status` (and `headers`, e.g. Retry-After).
 */
export type LocalExchange = (call: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  json?: unknown;
}) => { status: number; headers?: Record<string, string>; data: unknown } | undefined;

/** Sees each answer of the API: that it answered at all (a queue learns it is online), and how. */
export type ResponseHook = (r: { method: string; path: string; status: number }) => void;

/** Options a single request (or a client view, see Api2ConvertClient.withOptions) may set. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's retry policy for this request (e.g. `{ rateLimitRetries: 0 }`). */
  retry?: RetryOptions;
  /** Runs after the client's own hook, if any. */
  onResponse?: ResponseHook;
}

/** The context for one request: the client's, with the request's retry policy and hook on top. */
export function contextFor(ctx: ApiContext, o: Omit<RequestOptions, 'signal'> | undefined): ApiContext {
  if (!o || (!o.retry && !o.onResponse)) return ctx;
  const outer = ctx.onResponse;
  const inner = o.onResponse;
  return {
    ...ctx, // the same connections and secrets
    retry: o.retry ? defaultRetry({ ...ctx.retry, ...o.retry }) : ctx.retry,
    onResponse: inner ? (r) => (outer?.(r), inner(r)) : outer,
  };
}

/** Tells the hook about an answer; a hook that throws never breaks the request. */
export function noteResponse(ctx: ApiContext, method: string, path: string, status: number): void {
  try {
    ctx.onResponse?.({ method, path, status });
  } catch {
    /* a hook's problem is not the request's */
  }
}

/** Most recent secret values kept for scrubbing (the account key is always kept). */
const MAX_SECRETS = 2_000;

/** Remembers a secret value (job token, password…) so no message will ever show it. */
export function addSecret(ctx: Pick<ApiContext, 'secrets'>, value: string | undefined | null): void {
  if (!value || value.length < 4 || ctx.secrets.has(value)) return;
  ctx.secrets.add(value);
  if (ctx.secrets.size > MAX_SECRETS) {
    // Sets iterate in insertion order: drop the oldest after the first (the account key).
    const it = ctx.secrets.values();
    it.next();
    const oldest = it.next().value;
    if (oldest !== undefined) ctx.secrets.delete(oldest);
  }
}

export function redactFor(ctx: ApiContext, text: string): string {
  return redactText(text, ctx.secrets);
}

export interface RetryState {
  /** Retries spent on 5xx / network / timeouts. */
  failures: number;
  /** Retries spent on 429. */
  rateLimits: number;
}

export interface RetryVerdict {
  retry: boolean;
  delayMs: number;
  /** Why not, when not (for the log). */
  reason?: string;
}

/**
 * Whether a failed attempt may be sent again, and after how long.
 * - 429: always (the server did not act on it), waiting `Retry-After` when given.
 * - 5xx, timeouts, broken connections: only when repeating cannot duplicate anything: an
 *   idempotent request, a creation carrying an Idempotency-Key, or a request that provably never
 *   reached the server (connection refused, DNS failure).
 * - Everything else (4xx, validation, auth…) is final.
 */
export function retryVerdict(err: unknown, safeToRepeat: boolean, state: RetryState, ctx: Pick<ApiContext, 'retry' | 'random'>): RetryVerdict {
  if (!(err instanceof ApiError)) return { retry: false, delayMs: 0, reason: 'not an API error' };
  const r = ctx.retry;
  if (err.kind === 'rate_limit') {
    if (state.rateLimits >= r.rateLimitRetries) return { retry: false, delayMs: 0, reason: 'rate-limit retries exhausted' };
    if (err.retryAfterMs !== undefined) {
      if (err.retryAfterMs > r.maxRetryAfterMs) return { retry: false, delayMs: 0, reason: `Retry-After ${formatMs(err.retryAfterMs)} is too long to wait` };
      return { retry: true, delayMs: retryAfterDelay(err.retryAfterMs, ctx.random) };
    }
    return { retry: true, delayMs: backoff(state.rateLimits, r, ctx.random) };
  }
  const transient = err.kind === 'server' || err.kind === 'network' || err.kind === 'timeout' || err.kind === 'integrity';
  if (!transient || !err.retryable) return { retry: false, delayMs: 0 };
  const neverArrived = err instanceof NetworkError && !err.maybeDelivered;
  if (!safeToRepeat && !neverArrived) return { retry: false, delayMs: 0, reason: 'not safe to repeat (could act twice)' };
  if (state.failures >= r.retries) return { retry: false, delayMs: 0, reason: 'retries exhausted' };
  // A 503 may say when to come back.
  if (err.retryAfterMs !== undefined && err.retryAfterMs <= r.maxRetryAfterMs) {
    return { retry: true, delayMs: retryAfterDelay(err.retryAfterMs, ctx.random) };
  }
  return { retry: true, delayMs: backoff(state.failures, r, ctx.random) };
}

const backoff = (attempt: number, r: Required<RetryOptions>, random: () => number) => backoffDelay(attempt, r, random);

export function countRetry(err: unknown, state: RetryState): void {
  if (err instanceof ApiError && err.kind === 'rate_limit') state.rateLimits++;
  else state.failures++;
}

export function defaultRetry(opts?: RetryOptions): Required<RetryOptions> {
  const out = { ...DEFAULT_RETRY };
  for (const [k, v] of Object.entries(opts ?? {})) if (typeof v === 'number' && v >= 0) (out as Record<string, number>)[k] = v;
  return out;
}
