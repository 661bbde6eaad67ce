/**
 * The engine's HTTP front: routing, fault injection, stats, and the rule that every failure is
 * an answer with `{"message"}` — never a crash.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Faults } from '../faults';
import type { EngineStats } from '../types';
import { sleep } from '../util/async';
import type { Ctx, Handler } from './api';
import { HttpError, sendError } from './respond';
import type { Router } from './router';

export interface ServerDeps {
  router: Router<Handler>;
  faults: Faults;
  stats: EngineStats;
  log: (msg: string) => void;
  /** Runs before any answer leaves (commits pending state, so nothing answered can be lost). */
  beforeAnswer: () => void;
}

export function createHttpServer(deps: ServerDeps): http.Server & { sockets: Set<Socket> } {
  const sockets = new Set<Socket>();
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 }, (req, res) => {
    handle(deps, req, res).catch((err) => {
      deps.log(`[request ${String(res.getHeader('X-Request-Id') ?? '-')}] request handling failed: ${(err as Error)?.stack ?? String(err)}`);
      res.destroy();
    });
  }) as http.Server & { sockets: Set<Socket> };
  // Idle sockets (including a client that stops sending mid-upload) are closed after 2 minutes.
  server.setTimeout(120_000, (socket) => socket.destroy());
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.sockets = sockets;
  return server;
}

/** A client's own X-Request-Id is kept when it is sane; otherwise the engine makes one. */
function requestIdOf(req: http.IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const value = Array.isArray(given) ? given[0] : given;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : crypto.randomUUID();
}

async function handle(deps: ServerDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { stats, faults } = deps;
  stats.requests++;
  const requestId = requestIdOf(req);
  // On every answer (errors, downloads, uploads too), and in every log line about this request.
  res.setHeader('X-Request-Id', requestId);
  const log = (msg: string) => deps.log(`[request ${requestId}] ${msg}`);
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://engine.local');
  } catch {
    return sendError(res, 400, 'Malformed request URL');
  }
  const method = req.method ?? 'GET';
  const writeHead = res.writeHead;
  res.writeHead = function (this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
    try {
      deps.beforeAnswer();
    } catch (err) {
      log(`could not commit state before answering: ${(err as Error).message}`);
    }
    return writeHead.apply(this, args);
  } as typeof writeHead;
  const match = deps.router.match(method, url.pathname);
  const key = typeof match === 'object' ? match.key : 'UNMATCHED';
  stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
  try {
    if (faults.get().stall) {
      await faults.waitWhileStalled();
      if (req.destroyed || res.destroyed) return;
    }
    const f = faults.get();
    if (f.latencyMs > 0) await sleep(f.latencyMs);
    if (faults.takeTransient5xx()) {
      stats.injected5xx++;
      throw new HttpError(503, 'The service is temporarily unavailable (injected fault); retry', { 'Retry-After': '1' });
    }
    if (match === undefined) throw new HttpError(404, `No such endpoint: ${method} ${url.pathname}`);
    if (match === 'method') throw new HttpError(405, `Method ${method} is not allowed on ${url.pathname}`);
    const ctx: Ctx = { req, res, params: match.params, url };
    await match.handler(ctx);
  } catch (err) {
    if (err instanceof HttpError) {
      if (err.status === 429) stats.rejected429++;
      return answerError(res, req, err.status, err.message, err.headers);
    }
    if (err instanceof RangeError && /call stack/i.test(err.message)) {
      return answerError(res, req, 400, 'The request body is nested too deeply');
    }
    log(`${method} ${url.pathname}: ${(err as Error)?.stack ?? String(err)}`);
    answerError(res, req, 500, 'The engine failed to handle this request');
  }
}

function answerError(res: http.ServerResponse, req: http.IncomingMessage, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A body we did not read (e.g. a refused upload) is not drained: close the connection instead.
  if (!req.complete) headers = { ...headers, Connection: 'close' };
  sendError(res, status, message, headers);
  if (!req.complete) res.on('finish', () => req.socket.end());
}
