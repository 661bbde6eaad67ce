/**
 * What a failure means for the queue, decided by who can fix it:
 *
 * | who fixes it              | verdict                      | the queue                                  |
 * | ------------------------- | ---------------------------- | ------------------------------------------ |
 * | the network / the API     | offline, unavailable, rate_limit | waits and probes; items stay resumable |
 * | the account owner         | auth, payment                | halts / pauses the queue                   |
 * | the local machine's owner | disk_full                    | halts until space returns (resumable)      |
 * | nobody by retrying        | permanent                    | fails the item with the reason             |
 * | maybe time                | transient                    | the item again after a backoff, bounded    |
 *
 * Only a failure to reach the API means "offline": a refused output host, a bad output URI or an
 * oversized answer is the item's problem, and a local file error is never a network error.
 */
import path from 'node:path';
import { UNREADABLE_SOURCE, type ItemError } from '../../preload/contract';
import { ApiError, NetworkError, isAbortError, isLocalFileError } from '../api/errors';
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
  /** The local disk (or quota) is full: nothing can be written until the user frees space. */
  | { kind: 'disk_full'; folder: string; reason: string }
  | { kind: 'permanent'; error: ItemError };

/** Errno codes for a file or folder that can never be written as asked (retrying cannot help). */
const UNUSABLE_PATH = new Set(['EACCES', 'EPERM', 'EROFS', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

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
      case 'bad_response':
        return {
          kind: 'permanent',
          error: {
            code: 'bad_response',
            message: `Unusable answer from the API: ${redact(err.message)}`,
            action: 'Retry the item later, or report it to the service',
          },
        };
      default:
        // conflict, or an HTTP status the API does not document
        return {
          kind: 'permanent',
          error: { code: 'server', message: redact(err.message), action: 'Retry the item' },
        };
    }
  }
  if (err instanceof NetworkError) return { kind: 'offline', reason: redact(err.message) };
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    // A copy's or link's error names its source as `path` and what it writes as `dest`: the full disk is the destination's.
    const file = isLocalFileError(err) ? ((err as { dest?: string }).dest ?? err.path!) : null;
    const folder = file ? path.dirname(file) : 'the output folder';
    return { kind: 'disk_full', folder, reason: diskFullMessage(folder) };
  }
  if (code && UNUSABLE_PATH.has(code)) {
    return {
      kind: 'permanent',
      error: { code: 'output', message: `Cannot write the result: ${redact((err as Error).message)}`, action: 'Choose another output folder' },
    };
  }
  return { kind: 'transient', reason: redact(err instanceof Error ? err.message : String(err)) };
}

/** The one phrasing of a full disk, in the app's banner and the CLI. */
export function diskFullMessage(folder: string): string {
  return `Disk full at ${folder}: free space and resume`;
}

/** The user-facing error for a job the API reports as failed. */
export function jobFailure(
  errors: Array<{ source?: string; id_source?: string; code?: number; message?: string; details?: unknown }>,
  convId: string | null,
  inputId: string | null,
): ItemError {
  const mine = errors.filter((e) => !e.id_source || e.id_source === convId || e.id_source === inputId || e.source === 'job');
  const first = mine[0] ?? errors[0];
  const message = first?.message ? redact(first.message) : 'The conversion failed';
  // A cloud input the provider refused (engine: details.kind 'auth'): a credentials problem, exit 3 in the CLI.
  if (first?.source === 'input' && (first.details as { kind?: unknown } | undefined)?.kind === 'auth') {
    return { code: 'auth', message, action: 'Check the cloud account’s credentials' };
  }
  if (first?.source === 'input') return { code: 'input', message, action: 'Check the source (URL or file)' };
  // Still a failed conversion (its exit code), but no other target or option would read the file.
  if (UNREADABLE_SOURCE.test(message)) return { code: 'conversion', message, action: 'Check the file: it may be damaged, or not the format its name says' };
  return { code: 'conversion', message, action: 'Try another target or options' };
}
