/**
 * One HTTP exchange over node:http(s): sends a buffer or a streamed body with an exact
 * Content-Length, and hands back the response with its body still streaming. Timeouts are about
 * inactivity (no bytes moving), so a 2 GB upload is never cut off for merely taking long.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { abortError } from './backoff';
import { BadResponseError, NetworkError, TimeoutError, formatMs, isLocalFileError } from './errors';

export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * Keep-alive pools. Idle sockets are dropped after 4 s (and sooner when the server's Keep-Alive
 * hint says so), before typical servers close them (5 s): reusing a socket the server is closing
 * would break a request that must not be repeated blindly.
 */
export function createAgents(): Agents {
  const opts = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' as const, timeout: 4_000 };
  return { http: new http.Agent(opts), https: new https.Agent(opts) };
}

/** A body produced on demand (so a retry can open the file again) with its exact length. */
export interface StreamBody {
  length: number;
  open(): Readable;
}

export interface SendOptions {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer | StreamBody;
  /** Abort when nothing moves for this long (request body, waiting for headers, response body). */
  idleTimeoutMs: number;
  /**
   * Once a streamed body is fully handed to the OS, how long to wait for the answer. The OS may
   * still be draining megabytes of socket buffer and the server may be storing or hashing the
   * file, so this is longer than the idle limit. Default: idle limit + 1 s per MiB of body.
   */
  answerTimeoutMs?: number;
  /**
   * Send `Expect: 100-continue` and hold a streamed body until the server says go (or 1 s passes
   * without a word, as curl does): a server that refuses the upload (bad token, too large, job
   * closed) answers before gigabytes are sent, and the answer is not lost to a connection reset.
   */
  expectContinue?: boolean;
  signal?: AbortSignal;
  agents?: Agents;
  /** How the request is named in errors (method and a secret-free path). */
  label: string;
}

export interface Sent {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/** Errors that prove the request never left this machine, so retrying cannot duplicate anything. */
const NOT_DELIVERED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export function send(o: SendOptions): Promise<Sent> {
  return new Promise<Sent>((resolve, reject) => {
    if (o.signal?.aborted) return reject(abortError(o.signal));
    const isHttps = o.url.protocol === 'https:';
    if (!isHttps && o.url.protocol !== 'http:') {
      // Not a connection problem: a URI the API gave that can never be fetched.
      return reject(new BadResponseError(`${o.label}: unsupported URL scheme ${o.url.protocol}`));
    }
    const headers: Record<string, string> = { ...o.headers };
    let bodyLength = 0;
    if (o.body) bodyLength = Buffer.isBuffer(o.body) ? o.body.length : o.body.length;
    if (o.body || !['GET', 'HEAD', 'DELETE'].includes(o.method)) headers['Content-Length'] = String(bodyLength);

    const agent = o.agents ? (isHttps ? o.agents.https : o.agents.http) : undefined;
    const req = (isHttps ? https : http).request(o.url, { method: o.method, headers, agent });
    let connected = false;
    let settled = false;
    let response: http.IncomingMessage | undefined;
    let source: Readable | undefined;

    const finish = (err: Error) => {
      if (response) {
        // Headers already handed out: the reader of the body sees the error.
        response.destroy(err);
      } else if (!settled) {
        settled = true;
        reject(err);
      }
      source?.destroy();
      req.destroy();
    };
    const onAbort = () => finish(abortError(o.signal));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => {
      o.signal?.removeEventListener('abort', onAbort);
      source?.destroy();
    });

    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
      // A dead peer is noticed by the OS even while we only wait.
      socket.setKeepAlive(true, 10_000);
    });
    let limit = o.idleTimeoutMs;
    req.setTimeout(limit, () => {
      finish(new TimeoutError(`${o.label}: no ${response ? 'data' : 'answer'} for ${formatMs(limit)} (timed out)`));
    });
    if (o.body && !Buffer.isBuffer(o.body)) {
      const answerMs = o.answerTimeoutMs ?? o.idleTimeoutMs + Math.ceil(bodyLength / 1024 / 1024) * 1000;
      req.once('finish', () => {
        if (response) return;
        limit = answerMs;
        req.setTimeout(answerMs);
      });
    }
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (settled && !response) return;
      if (response) return; // the response stream reports its own failure
      const code = err.code ?? '';
      const maybeDelivered = connected && !NOT_DELIVERED.has(code);
      finish(new NetworkError(`${o.label}: network error ${code || err.message}`.trim(), { maybeDelivered, cause: err }));
    });
    req.on('response', (res) => {
      response = res;
      settled = true;
      if (limit !== o.idleTimeoutMs) {
        limit = o.idleTimeoutMs;
        req.setTimeout(limit);
      }
      res.once('close', () => o.signal?.removeEventListener('abort', onAbort));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });

    if (!o.body) {
      req.end();
    } else if (Buffer.isBuffer(o.body)) {
      req.end(o.body);
    } else {
      const body = o.body;
      let continueTimer: NodeJS.Timeout | undefined;
      const startBody = () => {
        clearTimeout(continueTimer);
        if (source || response || req.destroyed) return;
        source = body.open();
        source.once('error', (err: NodeJS.ErrnoException) => {
          // A local read failure: the request is abandoned; the file error itself (with its path) is
          // what the caller sees, so it is never mistaken for the network.
          finish(
            isLocalFileError(err)
              ? err
              : new NetworkError(`${o.label}: could not read the file being sent (${err.code ?? err.message})`, {
                  maybeDelivered: connected,
                  retryable: false,
                  cause: err,
                }),
          );
        });
        source.pipe(req);
      };
      if (o.expectContinue) {
        req.setHeader('Expect', '100-continue');
        req.once('continue', startBody);
        req.once('response', (res) => {
          clearTimeout(continueTimer);
          // Answered before the body was sent: this connection cannot carry another request.
          if (!source) res.once('end', () => req.destroy());
        });
        req.once('socket', (socket) => {
          const arm = () => (continueTimer = setTimeout(startBody, 1_000));
          if (socket.connecting) socket.once('connect', arm);
          else arm();
        });
        req.flushHeaders();
      } else {
        startBody();
      }
    }
  });
}

/** Reads a (small) response body fully; bodies over `limit` bytes are an error, not a memory spike. */
export async function readBody(res: http.IncomingMessage, label: string, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        res.destroy();
        throw new BadResponseError(`${label}: the answer is larger than ${Math.round(limit / 1024 / 1024)} MiB (refused)`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw asTransportError(err, label);
  }
  return Buffer.concat(chunks);
}

/** Drains and discards a response body so the connection can be reused. */
export function discard(res: http.IncomingMessage): void {
  res.resume();
  res.on('error', () => {});
}

/** Keeps typed errors (timeouts, aborts, ours) and turns raw socket errors into NetworkError. */
export function asTransportError(err: unknown, label: string): Error {
  if (err instanceof Error && (err.name === 'AbortError' || 'kind' in err)) return err;
  if (isLocalFileError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  return new NetworkError(`${label}: connection broken while receiving (${code || e?.message || 'unknown error'})`, { cause: err });
}
