import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../log';
import { BodyError, readBody } from './body';
import { safeEqual, SIGNATURE_HEADER, verifySignature } from './signature';

export type HintResult = 'known' | 'pending' | 'unknown';

/** Why a request was refused; counted per reason so tests and logs can tell them apart. */
export type RejectReason =
  | 'wrong_path'
  | 'method'
  | 'content_type'
  | 'too_large'
  | 'timeout'
  | 'aborted'
  | 'malformed_json'
  | 'not_a_job'
  | 'signature_missing'
  | 'signature_invalid'
  | 'unknown_job'
  | 'probe_invalid'
  | 'too_many_connections';

export interface CallbackServerLimits {
  /** A callback is one job document; 2 MiB leaves room for jobs with hundreds of files. */
  maxBodyBytes: number;
  /** The whole body must arrive within this time after the headers. */
  bodyTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** A connection that sends nothing for this long after opening is closed (idle slots are free to take). */
  firstByteTimeoutMs: number;
  /** Open connections per remote address (one host cannot take every slot). */
  maxConnectionsPerIp: number;
}

export const defaultLimits: CallbackServerLimits = {
  maxBodyBytes: 2 * 1024 * 1024,
  bodyTimeoutMs: 5_000,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  firstByteTimeoutMs: 2_000,
  maxConnectionsPerIp: 64,
};

export interface CallbackServerOptions {
  host?: string;
  port?: number;
  pathSecret: string;
  /** Read on every request, so a secret set while running applies at once. */
  signingSecret: () => string | null;
  /** Key the self-test probe is signed with. */
  probeKey: string;
  /**
   * Called for each accepted callback with the job id. `claimsEnded`: the body says
   * completed/failed/canceled (or gives no status). `signed`: its X-Oc-Signature verified against
   * the signing secret, so `doc` (the parsed body) is the API's own word on the job; an unsigned
   * body is never acted on beyond deciding when to re-read.
   */
  onCallback: (jobId: string, claimsEnded: boolean, body: { signed: boolean; doc: unknown }) => HintResult;
  /**
   * Called for each probe; returns false when no probe with that nonce is pending. `authentic` is
   * false when the nonce is readable but the signature does not match (a tunnel that alters requests).
   */
  onProbe: (nonce: string, authentic: boolean) => boolean;
  onReceived?: () => void;
  onRejected?: (reason: RejectReason) => void;
  limits?: Partial<CallbackServerLimits>;
  log: Logger;
}

export interface CallbackServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Only the id is ever read from a callback body; everything else comes from the API. */
const CallbackBody = z
  .object({
    id: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_-]+$/),
    status: z
      .object({ code: z.string().max(64) })
      .passthrough()
      .optional()
      .catch(undefined),
  })
  .passthrough();
const ENDED = new Set(['completed', 'failed', 'canceled']);
const ProbeBody = z.object({ probe: z.string().regex(/^[0-9a-f]{32}$/) }).strict();

/**
 * The local callback server: loopback only, one secret path, JSON bodies under a size cap with a
 * strict deadline, and a 4xx for everything that is not an authentic callback (a 4xx is final for
 * api2convert, so a forger gains no retries). A 5xx only when Convoy itself could not take the
 * hint, so the API retries and the callback is not lost.
 */
export async function startCallbackServer(opts: CallbackServerOptions): Promise<CallbackServer> {
  const limits = { ...defaultLimits, ...opts.limits };
  const host = opts.host ?? '127.0.0.1';
  // Loaded here, not at the top: most runs poll and never start this server, and express is slow to load.
  const { default: express } = await import('express');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const reject = (req: Request, res: Response, status: number, reason: RejectReason, message: string) => {
    opts.onRejected?.(reason);
    if (!req.complete) {
      // Do not read (or keep) the rest of an unwanted body: answer and close the connection.
      res.setHeader('Connection', 'close');
      res.on('finish', () => setTimeout(() => req.socket.destroy(), 250).unref());
    }
    if (!res.headersSent) res.status(status).json({ message });
    else req.socket.destroy();
  };

  /** Validates the secret path segment in constant time. */
  const pathOk = (segment: string | undefined) => typeof segment === 'string' && safeEqual(segment, opts.pathSecret);

  const readJsonBody = async (req: Request, res: Response, maxBytes: number): Promise<{ raw: Buffer; json: unknown } | null> => {
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      reject(req, res, 415, 'content_type', 'Content-Type must be application/json');
      return null;
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, maxBytes, limits.bodyTimeoutMs);
    } catch (err) {
      if (err instanceof BodyError) {
        reject(req, res, err.status, err.reason, err.message);
        if (err.reason === 'timeout') req.socket.destroy();
        return null;
      }
      throw err;
    }
    try {
      return { raw, json: JSON.parse(raw.toString('utf8')) };
    } catch {
      reject(req, res, 400, 'malformed_json', 'Body is not valid JSON');
      return null;
    }
  };

  app.post('/callbacks/:secret/probe', async (req, res) => {
    if (!pathOk(req.params.secret)) return reject(req, res, 404, 'wrong_path', 'Not found');
    const body = await readJsonBody(req, res, 4096);
    if (!body) return;
    const parsed = ProbeBody.safeParse(body.json);
    if (!parsed.success) return reject(req, res, 400, 'probe_invalid', 'Invalid probe');
    if (!verifySignature(body.raw, req.headers[SIGNATURE_HEADER], opts.probeKey)) {
      opts.onProbe(parsed.data.probe, false);
      return reject(req, res, 400, 'probe_invalid', 'Invalid probe signature');
    }
    if (!opts.onProbe(parsed.data.probe, true)) return reject(req, res, 404, 'probe_invalid', 'No such probe');
    res.status(204).end();
  });

  app.post('/callbacks/:secret', async (req, res) => {
    if (!pathOk(req.params.secret)) return reject(req, res, 404, 'wrong_path', 'Not found');
    const body = await readJsonBody(req, res, limits.maxBodyBytes);
    if (!body) return;
    const secret = opts.signingSecret();
    if (secret) {
      const header = req.headers[SIGNATURE_HEADER];
      if (header === undefined) return reject(req, res, 401, 'signature_missing', 'Missing X-Oc-Signature');
      if (!verifySignature(body.raw, header, secret)) return reject(req, res, 401, 'signature_invalid', 'Bad signature');
    }
    const parsed = CallbackBody.safeParse(body.json);
    if (!parsed.success) return reject(req, res, 422, 'not_a_job', 'Body is not a job document');
    let hint: HintResult;
    try {
      const code = parsed.data.status?.code.toLowerCase();
      hint = opts.onCallback(parsed.data.id, code === undefined || ENDED.has(code), { signed: secret !== null, doc: body.json });
    } catch (err) {
      opts.log.error(`callback for job ${parsed.data.id} could not be handled: ${err instanceof Error ? err.message : String(err)}`);
      res.status(503).json({ message: 'Try again' });
      return;
    }
    if (hint === 'unknown') return reject(req, res, 404, 'unknown_job', 'Unknown job');
    opts.onReceived?.();
    res.status(202).json({ accepted: true });
  });

  app.all('/callbacks/:secret', (req, res) => {
    if (!pathOk(req.params.secret)) return reject(req, res, 404, 'wrong_path', 'Not found');
    res.setHeader('Allow', 'POST');
    reject(req, res, 405, 'method', 'Method not allowed');
  });

  app.use((req, res) => reject(req, res, 404, 'wrong_path', 'Not found'));

  // Express's own errors (e.g. a malformed URL) become 4xx and never show a stack.
  app.use((err: unknown, req: Request, res: Response, _next: () => void) => {
    const status = (err as { status?: number })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) return reject(req, res, status, 'wrong_path', 'Bad request');
    opts.log.error(`callback server error: ${err instanceof Error ? err.message : String(err)}`);
    if (!res.headersSent) res.status(503).json({ message: 'Try again' });
  });

  const server = http.createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1_000,
      maxHeaderSize: 16 * 1024,
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  const perIp = new Map<string, number>();
  server.on('connection', (socket) => {
    const ip = socket.remoteAddress ?? '?';
    const n = (perIp.get(ip) ?? 0) + 1;
    if (n > limits.maxConnectionsPerIp) {
      opts.onRejected?.('too_many_connections');
      socket.destroy();
      return;
    }
    perIp.set(ip, n);
    socket.once('close', () => {
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left <= 0) perIp.delete(ip);
      else perIp.set(ip, left);
    });
    // Until a first request arrives, the connection only holds a slot: close it soon. (The HTTP
    // parser reads the socket directly, so 'data' events cannot tell; a parsed request can. A
    // request whose headers trickle in is cut by headersTimeout.)
    const idle = setTimeout(() => {
      if (socket.bytesRead > 0) return;
      opts.onRejected?.('timeout');
      socket.destroy();
    }, limits.firstByteTimeoutMs);
    idle.unref();
    socket.once('close', () => clearTimeout(idle));
  });
  server.on('clientError', (_err, socket) => {
    // Garbage or timed-out requests: a bare 400 and close, never a crash.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, rejectListen) => {
    const onError = (err: Error) => rejectListen(err);
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => opts.log.error(`callback server: ${err.message}`));
  const port = (server.address() as AddressInfo).port;

  return {
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
