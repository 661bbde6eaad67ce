/** Tiny real HTTP servers for the client's tests: real sockets, scripted answers, recorded requests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api2ConvertClient, type ClientOptions } from '../../main/api/index';

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, index: number) => void | Promise<void>;

export interface TestServer {
  url: string;
  port: number;
  requests: Recorded[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1:0 that records every request (body read fully unless `raw`) and runs `handler`. */
export async function startServer(handler: Handler, opts: { raw?: boolean } = {}): Promise<TestServer> {
  const requests: Recorded[] = [];
  const server = http.createServer(async (req, res) => {
    const index = requests.length;
    const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.alloc(0) };
    requests.push(rec);
    try {
      if (!opts.raw) {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        rec.body = Buffer.concat(chunks);
      }
      await handler(req, res, rec.body, index);
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: `test server error: ${(err as Error).message}` }));
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export const API_KEY = 'test-key-0123456789abcdef-SECRET';

/** A client with fast retries so tests spend milliseconds, not seconds, waiting. */
export function fastClient(baseUrl: string, extra: Partial<ClientOptions> = {}): Api2ConvertClient {
  return new Api2ConvertClient({
    baseUrl,
    apiKey: API_KEY,
    timeoutMs: 5_000,
    ...extra,
    retry: { baseDelayMs: 5, maxDelayMs: 40, ...extra.retry },
  });
}

export function sampleJob(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'job-1',
    token: 'job-token-abcdef123456',
    type: 'job',
    status: { code: 'incomplete', info: '' },
    errors: [],
    warnings: [],
    process: false,
    fail_on_input_error: true,
    fail_on_conversion_error: true,
    conversion: [],
    input: [],
    output: [],
    notify_status: false,
    server: 'http://127.0.0.1:1/v2/dl/web1',
    ...over,
  };
}

/** Parses a multipart body with one file part: its headers and exact bytes. */
export function parseMultipart(body: Buffer, contentType: string): { disposition: string; data: Buffer } {
  const m = /boundary=(.+)$/.exec(contentType);
  if (!m) throw new Error('no boundary');
  const boundary = Buffer.from(`--${m[1]}`);
  const start = body.indexOf(boundary);
  const headerEnd = body.indexOf('\r\n\r\n', start);
  const head = body.subarray(start + boundary.length + 2, headerEnd).toString('utf8');
  const end = body.indexOf(Buffer.from(`\r\n--${m[1]}--`), headerEnd);
  const disposition = /content-disposition: (.*)/i.exec(head)?.[1] ?? '';
  return { disposition, data: body.subarray(headerEnd + 4, end) };
}
