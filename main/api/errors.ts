/**
 * Typed errors for every way an API call can fail. The class (and `kind`) says what went wrong,
 * `retryable` says whether trying again later can help, and the message names the request and the
 * API's own explanation, never the account key, a job token or a download password.
 */

export type ApiErrorKind =
  | 'validation'
  | 'auth'
  | 'payment'
  | 'not_found'
  | 'conflict'
  | 'rate_limit'
  | 'server'
  | 'network'
  | 'timeout'
  | 'http'
  /** A download arrived with the wrong size or checksum. */
  | 'integrity'
  /**
   * The answer cannot be used and asking again will not change it (a body over the size limit, an
   * output URI that is not http(s), a download larger than declared or allowed): the item fails.
   */
  | 'bad_response';

export interface ApiErrorDetails {
  kind: ApiErrorKind;
  status?: number;
  retryAfterMs?: number;
  retryable?: boolean;
  method?: string;
  /** Path of the request (no host, no secrets), e.g. `/jobs/8c26…/input`. */
  path?: string;
  /** The API's own `message`, when its error body had one. */
  apiMessage?: string;
  /** The API's numeric error `code`, when given. */
  code?: number;
  /** The server's `X-Request-Id` for the failed request (to quote to support / find in logs). */
  requestId?: string;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly retryable: boolean;
  readonly method?: string;
  readonly path?: string;
  readonly apiMessage?: string;
  readonly code?: number;
  readonly requestId?: string;
  /** Attempts made before this error was final (1 = no retry). */
  attempts = 1;

  constructor(message: string, details: ApiErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ApiError';
    this.kind = details.kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.retryable = details.retryable ?? DEFAULT_RETRYABLE[details.kind];
    this.method = details.method;
    this.path = details.path;
    this.apiMessage = details.apiMessage;
    this.code = details.code;
    this.requestId = details.requestId;
  }
}

const DEFAULT_RETRYABLE: Record<ApiErrorKind, boolean> = {
  validation: false,
  auth: false,
  payment: false,
  not_found: false,
  conflict: false,
  rate_limit: true,
  server: true,
  network: true,
  timeout: true,
  http: false,
  integrity: true,
  bad_response: false,
};

type Details = Omit<ApiErrorDetails, 'kind'>;

export class ValidationError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'validation' });
    this.name = 'ValidationError';
  }
}
export class AuthError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'auth' });
    this.name = 'AuthError';
  }
}
export class PaymentError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'payment' });
    this.name = 'PaymentError';
  }
}
export class NotFoundError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'not_found' });
    this.name = 'NotFoundError';
  }
}
export class ConflictError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'conflict' });
    this.name = 'ConflictError';
  }
}
export class RateLimitError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'rate_limit' });
    this.name = 'RateLimitError';
  }
}
export class ServerError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'server' });
    this.name = 'ServerError';
  }
}
export class NetworkError extends ApiError {
  /** False when the request certainly never reached the server (e.g. connection refused). */
  readonly maybeDelivered: boolean;
  constructor(message: string, d: Details & { maybeDelivered?: boolean } = {}) {
    super(message, { ...d, kind: 'network' });
    this.name = 'NetworkError';
    this.maybeDelivered = d.maybeDelivered ?? true;
  }
}
export class TimeoutError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'timeout' });
    this.name = 'TimeoutError';
  }
}
export class IntegrityError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'integrity' });
    this.name = 'IntegrityError';
  }
}

/** The API answered with something that cannot be used (see `bad_response`); never retried. */
export class BadResponseError extends ApiError {
  constructor(message: string, d: Details = {}) {
    super(message, { ...d, kind: 'bad_response', retryable: false });
    this.name = 'BadResponseError';
  }
}

/**
 * A local file error (ENOSPC, EACCES, ENOTDIR…) with the path it concerns: it says nothing about
 * the network, so it is never wrapped as one.
 */
export function isLocalFileError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  if (!(err instanceof Error) || 'kind' in err) return false;
  const e = err as NodeJS.ErrnoException;
  return typeof e.code === 'string' && typeof e.path === 'string' && typeof e.syscall === 'string';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'invalid request',
  401: 'authentication failed (missing or invalid API key)',
  402: 'payment required (contract limits or credits exhausted)',
  403: 'access denied',
  404: 'not found',
  409: 'conflict (the job is in a state that cannot change)',
  422: 'invalid request',
  429: 'rate limited',
};

export interface HttpFailure {
  method: string;
  path: string;
  status: number;
  /** Already redacted. */
  apiMessage?: string;
  code?: number;
  retryAfterMs?: number;
  /** Replaces the generic explanation of the status (e.g. for downloads, where 401 is about the password). */
  explanation?: string;
  /** The answer's X-Request-Id header. */
  requestId?: string;
}

/** The typed error for an HTTP error status. */
export function errorForStatus(f: HttpFailure): ApiError {
  const what = f.explanation ?? STATUS_TEXT[f.status] ?? (f.status >= 500 ? 'server error' : 'request failed');
  let message = `${f.method} ${f.path} failed: ${f.status} ${what}`;
  if (f.apiMessage) message += ` — ${f.apiMessage}`;
  if (f.status === 429 && f.retryAfterMs !== undefined) message += ` (retry after ${formatMs(f.retryAfterMs)})`;
  const requestId = f.requestId && /^[A-Za-z0-9._:-]{1,128}$/.test(f.requestId) ? f.requestId : undefined;
  if (requestId) message += ` [request id ${requestId}]`;
  const d: Details = { status: f.status, method: f.method, path: f.path, apiMessage: f.apiMessage, code: f.code, retryAfterMs: f.retryAfterMs, requestId };
  switch (f.status) {
    case 400:
    case 422:
      return new ValidationError(message, d);
    case 401:
    case 403:
      return new AuthError(message, d);
    case 402:
      return new PaymentError(message, d);
    case 404:
    case 410:
      return new NotFoundError(message, d);
    case 409:
      return new ConflictError(message, d);
    case 429:
      return new RateLimitError(message, d);
    case 408:
      return new TimeoutError(message, d);
  }
  if (f.status >= 500) return new ServerError(message, d);
  return new ApiError(message, { ...d, kind: 'http' });
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}

/** True for the error a cancelled AbortSignal produces (never retried, never wrapped). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}
