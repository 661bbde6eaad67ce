/**
 * Waiting for a job to finish by polling in the official clients' rhythm (1 s, ×1.5, up to 5 s,
 * +0–25 % jitter, 300 s in total by default). A `wake` hook (callbacks) cuts a wait short.
 * Transient failures while polling (network, 5xx, 429) do not end the wait; the total limit does.
 */
import { DEFAULT_POLL, abortError, pollDelays, sleep, type PollOptions } from './backoff';
import { ApiError, TimeoutError, formatMs, isAbortError } from './errors';
import { isTerminal, type Job } from './types';

export interface WaitOptions {
  signal?: AbortSignal;
  poll?: PollOptions;
  /** Called with every job read while waiting (including the final one). */
  onUpdate?: (job: Job) => void;
  /** Registers a listener that ends the current wait early; returns its unsubscribe function. */
  wake?: (listener: () => void) => () => void;
}

export async function waitForJob(
  getJob: (id: string, signal?: AbortSignal) => Promise<Job>,
  id: string,
  opts: WaitOptions = {},
  random = Math.random,
): Promise<Job> {
  const totalMs = opts.poll?.totalMs ?? DEFAULT_POLL.totalMs;
  const deadline = Number.isFinite(totalMs) && totalMs > 0 ? Date.now() + totalMs : Infinity;
  const delays = pollDelays(opts.poll, random);
  let last: Job | undefined;
  let lastError: unknown;
  let woken = false;
  let cutShort: (() => void) | undefined;
  // A wake during a wait ends it; one that arrives while a request is in flight makes the next wait zero.
  const unsubscribe = opts.wake?.(() => {
    if (cutShort) cutShort();
    else woken = true;
  });
  const localWake = (listener: () => void) => {
    cutShort = listener;
    return () => {
      cutShort = undefined;
    };
  };
  try {
    for (;;) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const wait = Math.min(delays.next().value, Math.max(0, deadline - Date.now()));
      if (woken) woken = false;
      else await sleep(wait, opts.signal, opts.wake ? localWake : undefined);
      try {
        last = await getJob(id, opts.signal);
        lastError = undefined;
        opts.onUpdate?.(last);
        if (isTerminal(last)) return last;
      } catch (err) {
        if (isAbortError(err) || opts.signal?.aborted) throw err;
        // Final errors (404, auth…) end the wait; transient ones are waited out.
        if (!(err instanceof ApiError) || !err.retryable) throw err;
        lastError = err;
      }
      if (Date.now() >= deadline) {
        const status = last ? `last status: ${last.status.code}` : lastError instanceof Error ? `last error: ${lastError.message}` : 'no answer';
        throw new TimeoutError(`job ${id} did not finish within ${formatMs(totalMs)} (${status})`, { method: 'GET', path: `/jobs/${id}` });
      }
    }
  } finally {
    unsubscribe?.();
  }
}
