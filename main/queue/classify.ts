/**
 * What a failure means for the queue: wait for the connection, slow down, try the item again
 * later, or fail the item with a reason a user can act on.
 */
import type { ItemError } from '../../preload/contract';
import { ApiError, NetworkError, isAbortError } from '../api/errors';
import { redact } from '../log';

export type Verdict =
  | { kind: 'abort' }
  /** No answer at all: the queue goes offline and probes. */
  | { kind: 'offline'; reason: string }
  /** 502/503/504: the API is there but unavailable; retried without counting, offline when it persists. */
  | { kind: 'unavailable'; reason: string; retryAfterMs?: number }
  | { kind: 'rate_limit'; reason: string; retryAfterMs?: number }
  /** The key is refused: every item would fail alike, so the queue stops until the key changes. */
  | { kind: 'auth'; reason: string }
  /** 402: this item fails; the queue pauses so the rest do not burn through the same answer. */
  | { kind: 'payment'; error: ItemError }
  /** Worth another try after a backoff, a bounded number of times. */
  | { kind: 'transient'; reason: string }
  | { kind: 'permanent'; error: ItemError };

/** A failure of the item itself (bad source, failed conversion), already phrased for the user. */
export class ItemFailure extends Error {
  constructor(readonly error: ItemError) {
    super(error.message);
    this.name = 'ItemFailure';
  }
}

const UNAVAILABLE = new Set([502, 503, 504]);

function apiDetail(err: ApiError): string {
  return redact(err.apiMessage ? err.apiMessage : err.message);
}

export function classify(err: unknown): Verdict {
  if (isAbortError(err)) return { kind: 'abort' };
  if (err instanceof ItemFailure) return { kind: 'permanent', error: err.error };
  if (err instanceof ApiError) {
    switch (err.kind) {
      case 'network':
      case 'timeout':
        return { kind: 'offline', reason: redact(err.message) };
      case 'rate_limit':
        return { kind: 'rate_limit', reason: redact(err.message), retryAfterMs: err.retryAfterMs };
      case 'auth':
        return { kind: 'auth', reason: `The API refused the key (${err.status ?? 'auth'}): ${apiDetail(err)}` };
      case 'payment':
        return {
          kind: 'payment',
          error: { code: 'payment', message: `Payment required: ${apiDetail(err)}`, action: 'Check the account’s credits or contract' },
        };
      case 'validation':
        return {
          kind: 'permanent',
          error: { code: 'validation', message: `Rejected by the API: ${apiDetail(err)}`, action: 'Choose another target or options' },
        };
      case 'not_found':
        return {
          kind: 'permanent',
          error: { code: 'not_found', message: `Not found on the server: ${apiDetail(err)}`, action: 'Retry the item' },
        };
      case 'server':
        if (err.status !== undefined && UNAVAILABLE.has(err.status)) {
          return { kind: 'unavailable', reason: redact(err.message), retryAfterMs: err.retryAfterMs };
        }
        return { kind: 'transient', reason: redact(err.message) };
      case 'integrity':
        return { kind: 'transient', reason: redact(err.message) };
      default:
        return {
          kind: 'permanent',
          error: { code: err.kind, message: redact(err.message), action: 'Retry the item' },
        };
    }
  }
  if (err instanceof NetworkError) return { kind: 'offline', reason: redact(err.message) };
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC') {
    return { kind: 'permanent', error: { code: 'output', message: 'The disk is full', action: 'Free some space, then retry' } };
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return {
      kind: 'permanent',
      error: { code: 'output', message: `Cannot write the result: ${redact((err as Error).message)}`, action: 'Choose another output folder' },
    };
  }
  return { kind: 'transient', reason: redact(err instanceof Error ? err.message : String(err)) };
}

/** The user-facing error for a job the API reports as failed. */
export function jobFailure(
  errors: Array<{ source?: string; id_source?: string; code?: number; message?: string; details?: unknown }>,
  convId: string | null,
  inputId: string | null,
): ItemError {
  const mine = errors.filter(
    (e) => !e.id_source || e.id_source === convId || e.id_source === inputId || e.source === 'job',
  );
  const first = mine[0] ?? errors[0];
  const message = first?.message ? redact(first.message) : 'The conversion failed';
  // A cloud input the provider refused (engine: details.kind 'auth'): a credentials problem, exit 3 in the CLI.
  if (first?.source === 'input' && (first.details as { kind?: unknown } | undefined)?.kind === 'auth') {
    return { code: 'auth', message, action: 'Check the cloud account’s credentials' };
  }
  if (first?.source === 'input') return { code: 'input', message, action: 'Check the source (URL or file)' };
  return { code: 'conversion', message, action: 'Try another target or options' };
}
