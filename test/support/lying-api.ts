/**
 * A hostile api2convert: a real HTTP proxy on 127.0.0.1 in front of the local engine that passes
 * every request through and then lies in the answers it is told to (a finished job's outputs, the
 * size of a job document, whether /jobs answers at all). Used to prove that what retrying cannot fix
 * fails the item instead of looping, and that only a failure to reach the API counts as offline.
 */
import http from 'node:http';

export type Lie =
  | { kind: 'none' }
  /** Every output of a completed job gets this URI (file:///etc/passwd, a refused port, an endless stream). */
  | { kind: 'output-uri'; uri: string; size?: number | null }
  /** A completed job claims this many outputs (copies of its first). */
  | { kind: 'many-outputs'; count: number }
  /** A completed job's document is padded to this many bytes. */
  | { kind: 'huge-json'; bytes: number }
  /** Requests under /v2/jobs get their connection reset (the probe, /v2/contracts, still answers). */
  | { kind: 'reset-jobs' };

export interface LyingApi {
  /** Base URL including /v2. */
  api: string;
  lie: Lie;
  requests: () => number;
  close(): Promise<void>;
}

export async function startLyingApi(engineBase: string): Promise<LyingApi> {
  const target = new URL(engineBase);
  let requests = 0;
  const state: LyingApi = {
    api: '',
    lie: { kind: 'none' },
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    requests++;
    const lie = state.lie;
    if (lie.kind === 'reset-jobs' && (req.url ?? '').startsWith('/v2/jobs')) {
      req.socket.destroy();
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (up) => {
        const isJobRead = req.method === 'GET' && /^\/v2\/jobs\/[^/?]+$/.test(req.url ?? '') && (up.statusCode ?? 0) === 200;
        if (!isJobRead || lie.kind === 'none') {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          const job = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status: { code: string }; output: Array<Record<string, unknown>> };
          let body: string;
          if (job.status.code !== 'completed') body = JSON.stringify(job);
          else if (lie.kind === 'output-uri') {
            for (const o of job.output) {
              o.uri = lie.uri;
              if (lie.size === null) delete o.size;
              else if (lie.size !== undefined) o.size = lie.size;
              delete o.checksum;
            }
            body = JSON.stringify(job);
          } else if (lie.kind === 'many-outputs') {
            const first = job.output[0];
            job.output = Array.from({ length: lie.count }, (_, i) => ({ ...first, id: `${String(first.id)}-${i}` }));
            body = JSON.stringify(job);
          } else if (lie.kind === 'huge-json') {
            const base = JSON.stringify(job);
            body = `${base.slice(0, -1)},"padding":"${'x'.repeat(Math.max(0, lie.bytes - base.length))}"}`;
          } else body = JSON.stringify(job);
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.api = `http://127.0.0.1:${(server.address() as { port: number }).port}/v2`;
  return state;
}

/** A server whose every answer is an endless body with no length. */
export async function startEndlessServer(): Promise<{ url: string; sent: () => number; close(): Promise<void> }> {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/endless.png`,
    sent: () => sent,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
