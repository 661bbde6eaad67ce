/**
 * Local stand-ins for the outside world: a file server for `remote` inputs (with misbehaving
 * routes) and a callback receiver that records what the engine posts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FileRoute {
  body?: Buffer | string;
  status?: number;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Send headers, then hang forever (until the server closes). */
  hang?: boolean;
  /** Claim this Content-Length but send `body` and cut the connection. */
  lieLength?: number;
}

export interface FileServer {
  url: string;
  routes: Map<string, FileRoute>;
  hits: Map<string, number>;
  set(path: string, route: FileRoute | Buffer): string;
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const routes = new Map<string, FileRoute>();
  const hits = new Map<string, number>();
  const server = http.createServer(async (req, res) => {
    const p = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    hits.set(p, (hits.get(p) ?? 0) + 1);
    const route = routes.get(p);
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    if (route.delayMs) await new Promise((r) => setTimeout(r, route.delayMs));
    const body = route.body === undefined ? Buffer.alloc(0) : Buffer.from(route.body);
    if (route.hang) {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write(body);
      return;
    }
    if (route.lieLength !== undefined) {
      res.writeHead(200, { 'Content-Length': String(route.lieLength), ...route.headers });
      res.write(body);
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.writeHead(route.status ?? 200, { 'Content-Length': String(body.length), ...route.headers });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    routes,
    hits,
    set(path, route) {
      routes.set(path, Buffer.isBuffer(route) ? { body: route } : route);
      return url + path.split('/').map(encodeURIComponent).join('/');
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface ReceivedCallback {
  body: any;
  raw: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface CallbackReceiver {
  url: string;
  received: ReceivedCallback[];
  /** Status to answer (default 200); a function may vary it per call. */
  respond: number | ((n: number) => number | 'hang');
  waitFor(pred: (list: ReceivedCallback[]) => boolean, timeoutMs?: number): Promise<ReceivedCallback[]>;
  close(): Promise<void>;
}

export async function startCallbackReceiver(): Promise<CallbackReceiver> {
  const received: ReceivedCallback[] = [];
  const receiver: CallbackReceiver = {
    url: '',
    received,
    respond: 200,
    async waitFor(pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pred(received)) return received;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`callbacks did not arrive as expected; got ${received.length}: ${JSON.stringify(received.map((r) => r.body?.status?.code))}`);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      received.push({ body, raw, headers: req.headers, at: Date.now() });
      const status = typeof receiver.respond === 'function' ? receiver.respond(received.length) : receiver.respond;
      if (status === 'hang') return;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  return receiver;
}
