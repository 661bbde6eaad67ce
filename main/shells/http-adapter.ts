/**
 * Browser mode's transport: the contract's handlers over HTTP on loopback.
 *
 *   POST /api/<method>          JSON argument in, JSON result out (one POST per method)
 *   GET  /api/events?token=…    Server-Sent Events, one `event:` per contract event
 *   POST /api/upload?name=…     raw file bytes streamed to the host's staging folder
 *   GET  /api/files/<itemId>    a finished item's result (what `files.open` points at)
 *   GET  /api/thumbs/<itemId>/<source|result>   a row's thumbnail (small WebP; 404 when it has none)
 *   GET  /, /assets/…           the built renderer
 *
 * Guards, in this order: a Host that is not a loopback name → 403 (DNS rebinding); no or wrong
 * token → 401. The token in the URL (`?token=`) is accepted on the page load only: it sets an
 * httpOnly, SameSite=Strict session cookie and redirects to the bare URL, so the token leaves the
 * address bar. `/api/` takes the `X-Convoy-Token` header or that cookie, never `?token=`; method
 * calls take JSON only with `Content-Type: application/json` (a foreign page cannot send that, nor
 * the header, without a CORS preflight, which is never answered). No CORS headers are ever sent.
 * Slow clients are bounded: headers within `headersTimeoutMs`, a JSON body within `bodyTimeoutMs`,
 * and no socket idle longer than `idleTimeoutMs` (the events stream pings every 15 s).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ContractError, eventNames, isMethodName, type Handlers } from '../../preload/contract';
import type { EventBus } from '../events';
import { mimeOf } from '../mime';
import { dispatch, errorShape, httpStatusFor } from '../service';

export interface HttpAdapterOptions {
  handlers: Handlers;
  events: EventBus;
  token: string;
  /** Folder with the built renderer (index.html + assets/); omitted → API only. */
  staticDir?: string | null;
  /** Where uploaded bytes are staged (browser mode has no file paths of its own). */
  uploadDir: string;
  /** Resolves a finished item's local result for GET /api/files/<itemId>. */
  resultPath?: (itemId: string) => Promise<string | null>;
  /** Resolves a row's thumbnail for GET /api/thumbs/<itemId>/<source|result>. */
  thumbnailPath?: (itemId: string, of: 'source' | 'result') => Promise<string | null>;
  log?: (message: string) => void;
  /** Largest JSON body accepted on POST /api/<method>. */
  maxJsonBytes?: number;
  /** Slow-client bounds (ms): all headers (default 10 s), a JSON body (30 s), any idle socket (60 s). */
  timeouts?: { headersTimeoutMs?: number; bodyTimeoutMs?: number; idleTimeoutMs?: number };
}

/** The session cookie's name (per port: cookies are shared by every port of a host). */
export function sessionCookieName(port: number): string {
  return `convoy_session_${port}`;
}

/** The cookie value proving a page load with the token (derived, so the cookie is not the token). */
function sessionValue(token: string): string {
  return crypto.createHmac('sha256', token).update('convoy browser session').digest('base64url');
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Largest upload name, in UTF-8 bytes (file systems allow 255; room is left for " (n)" suffixes). */
const MAX_NAME_BYTES = 200;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True when the Host header names loopback (any port). */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return LOOPBACK_HOSTS.has(name) || /^127(\.\d{1,3}){3}$/.test(name);
}

export function generateToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

function tokensEqual(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // The token travels in the page URL: never leak it through Referer.
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export const BROWSER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body ?? null);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8' });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { code, message });
}

async function readJson(req: http.IncomingMessage, limit: number, timeoutMs: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new ContractError('too_large', `Request body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  // A body that trickles in is cut off: it would hold the connection (and its memory) forever.
  const timer = setTimeout(() => req.destroy(new ContractError('timeout', `Request body not received within ${timeoutMs} ms`)), timeoutMs);
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new ContractError('too_large', `Request body over ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
  } finally {
    clearTimeout(timer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ContractError('invalid_argument', 'Request body is not valid JSON');
  }
}

/** A file name from the client, reduced to a safe base name. */
export function safeFileName(name: string | null): string {
  let base = path
    .basename(String(name ?? '').replace(/\\/g, '/'))
    .replace(/[\r\n"<>:|?*\x00-\x1f]/g, '_')
    .trim();
  if (!base || base === '.' || base === '..') return 'upload.bin';
  // Too long for a file system: keep the extension, shorten the stem (by bytes, not characters).
  if (Buffer.byteLength(base) > MAX_NAME_BYTES) {
    const ext = path.extname(base).slice(0, 16);
    let stem = base.slice(0, base.length - path.extname(base).length);
    while (stem && Buffer.byteLength(stem + ext) > MAX_NAME_BYTES) stem = stem.slice(0, -1);
    base = (stem || 'upload') + ext;
  }
  return base;
}

/** A relative folder from the client, with every `..`, absolute root and odd character removed. */
export function safeRelDir(rel: string | null): string {
  if (!rel) return '';
  return rel
    .replace(/\\/g, '/')
    .split('/')
    .map((part) => part.replace(/[\r\n"<>:|?*\x00-\x1f]/g, '_').trim())
    .filter((part) => part && part !== '.' && part !== '..')
    .join('/');
}

export function createHttpHandler(opts: HttpAdapterOptions): http.RequestListener {
  const log = opts.log ?? (() => {});
  const maxJson = opts.maxJsonBytes ?? 64 * 1024 * 1024;
  const bodyTimeoutMs = opts.timeouts?.bodyTimeoutMs ?? 30_000;
  const session = sessionValue(opts.token);

  return (req, res) => {
    handle(req, res).catch((err) => {
      log(`browser adapter: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) sendError(res, 500, 'internal', 'Internal error');
      else res.destroy();
    });
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!isLoopbackHost(req.headers.host)) {
      return sendError(res, 403, 'forbidden_host', 'Host must be a loopback name (127.0.0.1, localhost or [::1])');
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headerToken = req.headers['x-convoy-token'];
    const cookieName = sessionCookieName(req.socket.localPort ?? 0);
    const authorised =
      tokensEqual(Array.isArray(headerToken) ? headerToken[0] : headerToken, opts.token) || tokensEqual(cookieValue(req.headers.cookie, cookieName), session);

    if (url.pathname.startsWith('/api/')) {
      if (!authorised) return sendError(res, 401, 'unauthorized', 'Missing or wrong access token');
      return api(req, res, url);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD' });
      return void res.end();
    }
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    if (isPage && url.searchParams.has('token')) {
      // The token's one use: a session cookie scripts cannot read and other sites never send; then the bare URL.
      if (!tokensEqual(url.searchParams.get('token'), opts.token)) return serveStatic(req, res, url, false);
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        'Set-Cookie': `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        Location: '/',
      });
      return void res.end();
    }
    return serveStatic(req, res, url, authorised);
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const route = url.pathname.slice('/api/'.length);
    if (route === 'events' && req.method === 'GET') return events(req, res);
    if (route === 'upload' && req.method === 'POST') return upload(req, res, url);
    if (route.startsWith('files/') && req.method === 'GET') {
      const id = decodeOrNull(route.slice(6));
      if (id === null) return sendError(res, 400, 'invalid_argument', 'Bad percent-escape in the item id');
      return file(res, id);
    }
    if (route.startsWith('thumbs/') && req.method === 'GET') {
      const m = /^thumbs\/([^/]+)\/(source|result)$/.exec(route);
      const id = m ? decodeOrNull(m[1]) : null;
      if (!m || id === null) return sendError(res, 400, 'invalid_argument', 'Expected /api/thumbs/<itemId>/source or /result');
      const found = opts.thumbnailPath ? await opts.thumbnailPath(id, m[2] as 'source' | 'result').catch(() => null) : null;
      if (!found) return sendError(res, 404, 'not_found', 'No thumbnail for that item');
      return sendFile(res, found);
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'POST' });
      return void res.end();
    }
    if (!isMethodName(route)) return sendError(res, 404, 'not_found', `Unknown method "${route}"`);
    // JSON only as JSON: a body without this type is what a foreign page can send without a preflight.
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (type !== 'application/json') {
      return sendError(res, 415, 'unsupported_media_type', 'Send the argument as application/json');
    }
    try {
      const raw = await readJson(req, maxJson, bodyTimeoutMs);
      const result = await dispatch(opts.handlers, route, raw, log);
      sendJson(res, 200, result);
    } catch (err) {
      const e = err instanceof ContractError ? err : new ContractError('internal', 'Internal error');
      const status = httpStatusFor(e.code);
      if (e.code === 'timeout') return void res.destroy();
      sendJson(res, status, errorShape(e));
    }
  }

  function events(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\n\n');
    const unsubscribers = eventNames.map((name) =>
      opts.events.on(name, (payload) => {
        res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
      }),
    );
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
    heartbeat.unref();
    const close = () => {
      clearInterval(heartbeat);
      for (const off of unsubscribers) off();
    };
    req.on('close', close);
    res.on('error', close);
  }

  /** Streams the body to `<uploadDir>/<random>/<relDir>/<name>`; answers the host path. */
  async function upload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const name = safeFileName(url.searchParams.get('name'));
    const relDir = safeRelDir(url.searchParams.get('relDir'));
    const dir = path.join(opts.uploadDir, crypto.randomUUID(), relDir);
    try {
      await fs.promises.mkdir(dir, { recursive: true });
    } catch (err) {
      // A folder name no file system takes (too long, reserved): the client's to fix.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENAMETOOLONG' || code === 'EINVAL') return sendError(res, 400, 'invalid_argument', `The folder name cannot be stored here (${code})`);
      throw err;
    }
    const dest = path.join(dir, name);
    try {
      await pipeline(req, fs.createWriteStream(dest, { flags: 'wx' }));
    } catch (err) {
      await fs.promises.rm(dest, { force: true });
      throw err;
    }
    const { size } = await fs.promises.stat(dest);
    sendJson(res, 201, { path: dest, name, relDir: relDir || undefined, size });
  }

  async function file(res: http.ServerResponse, itemId: string): Promise<void> {
    const found = opts.resultPath ? await opts.resultPath(itemId) : null;
    if (!found) return sendError(res, 404, 'not_found', 'No local result for that item');
    return sendFile(res, found);
  }

  /** Streams a local file shown by the page (a result, a thumbnail): inline, sandboxed. */
  async function sendFile(res: http.ServerResponse, found: string): Promise<void> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(found);
    } catch {
      return sendError(res, 404, 'not_found', 'The file is no longer there');
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': mimeOf(found),
      'Content-Length': String(stat.size),
      'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(path.basename(found))}`,
      'Content-Security-Policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    });
    await pipeline(fs.createReadStream(found), res);
  }

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, url: URL, authorised: boolean): Promise<void> {
    if (!opts.staticDir) return sendError(res, 404, 'not_found', 'No renderer build to serve (run npm run build)');
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    // The page is the entry to everything: it needs the token. Assets are the app's public code.
    if (isPage && !authorised) {
      res.writeHead(401, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('Open the URL Convoy printed on start: it carries the access token.');
    }
    const decoded = decodeOrNull(url.pathname);
    if (decoded === null) return sendError(res, 400, 'invalid_argument', 'Bad percent-escape in the path');
    const rel = isPage ? 'index.html' : decoded.replace(/^\/+/, '');
    const root = path.resolve(opts.staticDir);
    const target = path.resolve(root, rel);
    if (!target.startsWith(root + path.sep)) return sendError(res, 404, 'not_found', 'Not found');
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(target);
      if (!stat.isFile()) throw new Error('not a file');
    } catch {
      return sendError(res, 404, 'not_found', 'Not found');
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': mimeOf(target),
      'Content-Length': String(stat.size),
      ...(isPage ? { 'Content-Security-Policy': BROWSER_CSP } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    await pipeline(fs.createReadStream(target), res);
  }
}

function decodeOrNull(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/** Starts the adapter on 127.0.0.1 (never another interface). */
export async function startHttpAdapter(
  opts: HttpAdapterOptions & { port?: number },
): Promise<{ server: http.Server; port: number; url: string; close(): Promise<void> }> {
  const headersTimeout = opts.timeouts?.headersTimeoutMs ?? 10_000;
  // Checked this often, so a connection that never finishes its headers goes in time.
  const server = http.createServer({ connectionsCheckingInterval: Math.min(5_000, headersTimeout) }, createHttpHandler(opts));
  server.requestTimeout = 0; // uploads may be long: a stalled one is cut by the idle limit instead
  server.headersTimeout = headersTimeout;
  server.timeout = opts.timeouts?.idleTimeoutMs ?? 60_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}/?token=${encodeURIComponent(opts.token)}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
