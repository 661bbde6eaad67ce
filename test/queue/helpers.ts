/** Shared fixtures for the queue and CLI tests: an engine, small images, a file server, a queue. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createEngine, type Engine, type EngineFaults } from '../../engine/index';
import { Api2ConvertClient } from '../../main/api/index';
import { openDatabase, type Db } from '../../main/db';
import { EventBus } from '../../main/events';
import { createQueue, type Queue, type QueueOptions } from '../../main/queue/index';
import type { Events } from '../../preload/contract';

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

const tmpDirs: string[] = [];
// Temporary folders go when the test file's process ends (servers are closed by then).
process.on('exit', () => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `convoy-${prefix}-`));
  tmpDirs.push(dir);
  return dir;
}

export interface TestEngine {
  engine: Engine;
  apiKey: string;
  dataDir: string;
  port: number;
  /** Base URL including /v2. */
  api: string;
}

export async function startEngine(
  opts: { faults?: Partial<EngineFaults>; dataDir?: string; apiKey?: string; port?: number; maxConcurrentConversions?: number } = {},
): Promise<TestEngine> {
  const apiKey = opts.apiKey ?? `test-key-${crypto.randomBytes(12).toString('hex')}`;
  const dataDir = opts.dataDir ?? tmpDir('engine');
  const engine = await createEngine(
    { port: opts.port ?? 0, dataDir, apiKey, faults: opts.faults, maxConcurrentConversions: opts.maxConcurrentConversions },
    { log: () => {} },
  );
  const port = Number(new URL(engine.baseUrl).port);
  return { engine, apiKey, dataDir, port, api: `${engine.baseUrl}/v2` };
}

/** n small distinct JPEG images named img-000.jpg… (a few hundred bytes each). */
export async function makeImages(dir: string, n: number, opts: { prefix?: string; size?: number } = {}): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const size = opts.size ?? 24;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `${opts.prefix ?? 'img'}-${String(i).padStart(3, '0')}.jpg`);
    await sharp({ create: { width: size, height: size, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } } })
      .jpeg()
      .toFile(file);
    out.push(file);
  }
  return out;
}

/** A static file server on 127.0.0.1 (URL sources); `/missing/...` answers 404. */
export async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void>; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const file = path.join(dir, path.basename(name));
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': st.size });
      fs.createReadStream(file).pipe(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export interface TestQueue {
  queue: Queue;
  db: Db;
  events: EventBus;
  client: Api2ConvertClient;
  seen: Array<Events['items']>;
  batchDone: Array<Events['batchDone']>;
  close(): Promise<void>;
}

export function openQueue(te: TestEngine, dataDir: string, opts: Partial<QueueOptions> = {}): TestQueue {
  const db = openDatabase(dataDir);
  const events = new EventBus();
  const client = new Api2ConvertClient({ baseUrl: te.api, apiKey: te.apiKey, timeoutMs: 10_000, retry: { rateLimitRetries: 0 } });
  const seen: Array<Events['items']> = [];
  const batchDone: Array<Events['batchDone']> = [];
  events.on('items', (e) => seen.push(e));
  events.on('batchDone', (e) => batchDone.push(e));
  const queue = createQueue({
    db,
    client,
    events,
    dataDir,
    outputDir: path.join(dataDir, 'out'),
    probe: { initialMs: 200, maxMs: 1000, timeoutMs: 2000 },
    retry: { baseMs: 100 },
    ...opts,
  });
  return {
    queue,
    db,
    events,
    client,
    seen,
    batchDone,
    async close() {
      await queue.close();
      client.close();
      db.close();
    },
  };
}

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 30_000, what = 'condition'): Promise<NonNullable<T>> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves when every started item of these batches has ended. */
export function waitForBatches(q: Queue, batchIds: string[], timeoutMs = 45_000) {
  return waitFor(() => q.unfinishedCount(batchIds) === 0, timeoutMs, `batches ${batchIds.join(',')} to finish`);
}

export async function isPng(file: string): Promise<boolean> {
  const meta = await sharp(file)
    .metadata()
    .catch(() => null);
  return meta?.format === 'png';
}

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: string;
  status?: number;
}

/** A pass-through proxy to the engine that records every API request (to check what was sent). */
export async function recordingProxy(targetBase: string): Promise<{ api: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const target = new URL(targetBase);
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        body: body.toString('utf8'),
      };
      requests.push(rec);
      const headers = { ...req.headers, host: target.host };
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upRes) => {
        rec.status = upRes.statusCode;
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    api: `http://127.0.0.1:${port}${target.pathname.replace(/\/+$/, '')}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
