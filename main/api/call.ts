/**
 * A JSON request with the retry policy applied: typed errors by status, `Retry-After` honoured,
 * repeats only when they cannot act twice, and a total time limit per attempt.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { abortError, parseRetryAfter, sleep } from './backoff';
import { countRetry, noteResponse, redactFor, retryVerdict, type ApiContext, type RetryState } from './context';
import { ApiError, TimeoutError, errorForStatus, formatMs, isAbortError } from './errors';
import { maskSecrets } from './redact';
import { discard, readBody, send } from './transport';

export interface CallSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  url: URL;
  /** Secret-free name of the endpoint for messages, e.g. `/jobs/8c26…`. */
  path: string;
  headers: Record<string, string>;
  json?: unknown;
  /** Repeating after a 5xx / broken connection cannot act twice (idempotent, or an Idempotency-Key). */
  safeToRepeat: boolean;
  signal?: AbortSignal;
}

export interface CallResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or null for an empty body (204). */
  data: unknown;
  /** How many attempts were made (1 = no retry). */
  attempts: number;
}

export async function callJson(ctx: ApiContext, spec: CallSpec): Promise<CallResult> {
  const state: RetryState = { failures: 0, rateLimits: 0 };
  const body = spec.json === undefined ? undefined : Buffer.from(JSON.stringify(spec.json), 'utf8');
  const headers: Record<string, string> = { Accept: 'application/json', ...spec.headers };
  if (body) headers['Content-Type'] = 'application/json';
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await attemptOnce(ctx, spec, headers, body);
      return { ...res, attempts: attempt };
    } catch (err) {
      if (isAbortError(err) || spec.signal?.aborted) throw spec.signal?.aborted ? abortError(spec.signal) : err;
      const verdict = retryVerdict(err, spec.safeToRepeat, state, ctx);
      if (!verdict.retry) {
        if (err instanceof ApiError) err.attempts = attempt;
        if (attempt > 1 && err instanceof ApiError)
          ctx.log(`${spec.method} ${spec.path}: giving up after ${attempt} attempts (${err.kind}${verdict.reason ? `; ${verdict.reason}` : ''})`);
        throw err;
      }
      countRetry(err, state);
      ctx.log(
        `${spec.method} ${spec.path}: ${(err as ApiError).kind}${(err as ApiError).status ? ` ${(err as ApiError).status}` : ''}; retry ${attempt} in ${formatMs(verdict.delayMs)}`,
      );
      await sleep(verdict.delayMs, spec.signal);
    }
  }
}

async function attemptOnce(ctx: ApiContext, spec: CallSpec, headers: Record<string, string>, body: Buffer | undefined): Promise<Omit<CallResult, 'attempts'>> {
  const inProcess = ctx.local && exchangeInProcess(ctx, spec, headers);
  if (inProcess) return inProcess;
  const label = `${spec.method} ${spec.path}`;
  // One controller per attempt: the caller's signal or the total time limit ends it.
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, ctx.timeoutMs);
  const onAbort = () => ac.abort(spec.signal?.reason);
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await send({ method: spec.method, url: spec.url, headers, body, idleTimeoutMs: ctx.timeoutMs, signal: ac.signal, agents: ctx.agents, label });
    noteResponse(ctx, spec.method, spec.path, res.status);
    if (res.status >= 300 && res.status < 400) {
      discard(res.body);
      throw new ApiError(`${label} failed: unexpected redirect (${res.status}); API calls are not redirected`, {
        kind: 'http',
        status: res.status,
        method: spec.method,
        path: spec.path,
      });
    }
    const raw = await readBody(res.body, label, ctx.maxJsonBytes);
    if (res.status >= 400) throw errorFromBody(ctx, spec, res.status, res.headers, raw);
    return { status: res.status, headers: res.headers, data: parseJson(raw, label, spec) };
  } catch (err) {
    if (timedOut && !spec.signal?.aborted) {
      throw new TimeoutError(`${label}: no complete answer within ${formatMs(ctx.timeoutMs)} (timed out)`, { method: spec.method, path: spec.path });
    }
    throw err;
  } finally {
    clearTimeout(timer);
    spec.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The call answered by the in-process engine (ctx.local), or undefined when it goes over HTTP: the
 * same hook sees the status, and a refusal becomes the same typed error as the route's answer.
 */
function exchangeInProcess(ctx: ApiContext, spec: CallSpec, headers: Record<string, string>): Omit<CallResult, 'attempts'> | undefined {
  let answer: ReturnType<NonNullable<ApiContext['local']>>;
  try {
    answer = ctx.local!({ method: spec.method, url: spec.url, headers, json: spec.json });
  } catch (err) {
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status !== 'number') {
      // What the engine's server answers for a failure that is not a refusal (see engine/http/server.ts).
      ctx.log(`${spec.method} ${spec.path}: the in-process engine failed: ${(err as Error)?.message ?? String(err)}`);
      noteResponse(ctx, spec.method, spec.path, 500);
      throw errorForStatus({ method: spec.method, path: spec.path, status: 500, apiMessage: 'The engine failed to handle this request' });
    }
    noteResponse(ctx, spec.method, spec.path, status);
    const h = (err as { headers?: Record<string, string> }).headers ?? {};
    const message = (err as Error).message;
    throw errorForStatus({
      method: spec.method,
      path: spec.path,
      status,
      apiMessage: message ? redactFor(ctx, clip(oneLine(message), 600)) : undefined,
      retryAfterMs: parseRetryAfter(h['Retry-After'] ?? h['retry-after']),
    });
  }
  if (!answer) return undefined;
  noteResponse(ctx, spec.method, spec.path, answer.status);
  const lower: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(answer.headers ?? {})) lower[k.toLowerCase()] = v;
  return { status: answer.status, headers: lower, data: answer.data ?? null };
}

function parseJson(raw: Buffer, label: string, spec: CallSpec): unknown {
  if (raw.length === 0) return null;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(`${label}: the API answered with something that is not JSON`, { kind: 'http', method: spec.method, path: spec.path });
  }
}

/** The typed error for an HTTP error answer, carrying the API's own (redacted) message. */
export function errorFromBody(
  ctx: ApiContext,
  spec: { method: string; path: string },
  status: number,
  headers: IncomingHttpHeaders,
  raw: Buffer,
  explanation?: string,
): ApiError {
  const { message, code } = apiMessageOf(raw);
  return errorForStatus({
    explanation,
    method: spec.method,
    path: spec.path,
    status,
    apiMessage: message ? redactFor(ctx, message) : undefined,
    code,
    retryAfterMs: parseRetryAfter(headers['retry-after']),
    requestId: [headers['x-request-id']].flat()[0],
  });
}

/** `{"message": …, "code": …, "errors": {…}}` (or a short text body) as one line. */
export function apiMessageOf(raw: Buffer): { message?: string; code?: number } {
  const text = raw.toString('utf8').trim();
  if (!text) return {};
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      const nested = b.error && typeof b.error === 'object' ? (b.error as Record<string, unknown>) : undefined;
      let message =
        typeof b.message === 'string' ? b.message : typeof nested?.message === 'string' ? nested.message : typeof b.error === 'string' ? b.error : undefined;
      const code = typeof b.code === 'number' ? b.code : typeof nested?.code === 'number' ? nested.code : undefined;
      if (b.errors && typeof b.errors === 'object' && Object.keys(b.errors).length > 0) {
        const detail = JSON.stringify(maskSecrets(b.errors));
        message = `${message ?? 'invalid request'} ${clip(detail, 400)}`;
      }
      return { message: message ? clip(oneLine(message), 600) : undefined, code };
    }
  } catch {
    /* not JSON: use the text if it is short and printable */
  }
  if (/^<(!doctype|html)/i.test(text)) return {};
  return { message: clip(oneLine(text), 300) };
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
