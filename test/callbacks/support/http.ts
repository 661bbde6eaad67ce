import http from 'node:http';
import net from 'node:net';

export interface Reply {
  status: number;
  body: string;
}

/** A plain POST with exact control over the headers (no fetch defaults). */
export function post(url: string, body: string | Buffer, headers: Record<string, string | number> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function request(url: string, method: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends `head` at once, then `body` one byte every `everyMs`, and reports when (and how) the
 * server ended the connection.
 */
export function trickle(
  host: string,
  port: number,
  head: string,
  body: string,
  everyMs: number,
): Promise<{ closedAfterMs: number; sentBytes: number; response: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, host);
    let sent = 0;
    let response = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent >= body.length || socket.destroyed) return;
        socket.write(body[sent]);
        sent++;
      }, everyMs);
    });
    socket.on('data', (d) => (response += d.toString('latin1')));
    const done = () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, sentBytes: sent, response });
    };
    socket.on('close', done);
    socket.on('error', () => {});
  });
}

/** Streams `total` bytes with chunked encoding (no Content-Length) and reports the outcome. */
export function postChunked(
  url: string,
  total: number,
  headers: Record<string, string> = {},
): Promise<{ status: number | null; error: string | null; sent: number }> {
  return new Promise((resolve) => {
    let sent = 0;
    let settled = false;
    const finish = (status: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      resolve({ status, error, sent });
    };
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      finish(res.statusCode ?? null, null);
    });
    req.on('error', (e: NodeJS.ErrnoException) => finish(null, e.code ?? e.message));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = () => {
      while (sent < total && !settled) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!settled) req.end();
    };
    req.write('{"id":"job-1","pad":"');
    pump();
  });
}
