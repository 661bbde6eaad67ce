/**
 * The least a server must do to answer bench/engine-ops.ts's HTTP client: create a job (JSON in,
 * JSON out), take its one multipart upload to disk, run the same bare sharp work with the same
 * number of conversions at once as the engine, POST the finished job to the job's callback, and
 * serve the output. No auth, job store, validation, checksums, limits or cleanup: it is the floor
 * under any server of this protocol on this machine, so the bench can say how much of the gap
 * between the engine and bare sharp is the protocol (two processes, four HTTP exchanges, the file
 * crossing loopback twice) and how much is the engine.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Semaphore } from '../engine/util/async';

export interface MinimalServer {
  baseUrl: string;
  close(): Promise<void>;
}

/** The bench's bare work for one operation, from file to file and from bytes to bytes. */
export interface BareWork {
  /** Writes `${outBase}.${ext}`. */
  file(input: string, outBase: string): Promise<void>;
  bytes(input: Buffer): Promise<Buffer>;
  ext: string;
}

/**
 * `files: 'disk'` keeps each upload and output in a file, as a server that keeps them for later
 * must; `'memory'` keeps them in memory (a server with no disk at all: the absolute floor).
 */
export async function startMinimalServer(dir: string, work: BareWork, files: 'disk' | 'memory', conversionsAtOnce: number): Promise<MinimalServer> {
  const { ext } = work;
  const kept = new Map<string, Buffer>();
  const slots = new Semaphore(conversionsAtOnce);
  const callbacks = new Map<string, string | undefined>();
  const agent = new http.Agent({ keepAlive: true });
  let baseUrl = '';

  const readBody = async (req: http.IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
  };

  /** Writes the multipart body's one file part to `file` (or memory): strips the part's head and the closing boundary. */
  const receive = async (req: http.IncomingMessage, file: string | undefined): Promise<Buffer | undefined> => {
    const boundary = /boundary=(.+)$/.exec(req.headers['content-type'] ?? '')?.[1] ?? '';
    const tailLength = Buffer.byteLength(`\r\n--${boundary}--\r\n`);
    let remaining = Number(req.headers['content-length']);
    let head: Buffer | undefined = Buffer.alloc(0);
    const parts: Buffer[] = [];
    const out = file ? fs.createWriteStream(file) : undefined;
    for await (const raw of req) {
      let chunk = raw as Buffer;
      remaining -= chunk.length;
      if (head) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) continue;
        chunk = head.subarray(end + 4);
        head = undefined;
      }
      // The last tailLength bytes of the body are the closing boundary.
      const keep = chunk.length - Math.max(0, tailLength - remaining);
      if (keep <= 0) continue;
      const data = chunk.subarray(0, Math.min(chunk.length, keep));
      if (!out) parts.push(data);
      else if (!out.write(data)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    if (!out) return Buffer.concat(parts);
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    return undefined;
  };

  const finish = (id: string) => {
    const body = JSON.stringify({ id, status: { code: 'completed' }, output: [{ uri: `${baseUrl}/dl/${id}`, filename: `${id}.${ext}` }] });
    const callback = callbacks.get(id);
    if (!callback) return;
    const req = http.request(
      callback,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => res.resume(),
    );
    req.on('error', () => {});
    req.end(body);
  };

  const server = http.createServer(async (req, res) => {
    try {
      const url = req.url ?? '';
      if (req.method === 'POST' && url === '/v2/jobs') {
        const { callback } = JSON.parse(await readBody(req)) as { callback?: string };
        const id = crypto.randomUUID();
        callbacks.set(id, callback);
        return json(res, 201, { id, token: 'minimal', server: baseUrl, status: { code: 'incomplete' } });
      }
      const upload = /^\/upload-file\/([\w-]+)$/.exec(url);
      if (req.method === 'POST' && upload) {
        const id = upload[1];
        const input = path.join(dir, `${id}.in`);
        const bytes = await receive(req, files === 'disk' ? input : undefined);
        json(res, 201, { id, status: 'ok' });
        const release = await slots.acquire();
        try {
          if (bytes) kept.set(id, await work.bytes(bytes));
          else await work.file(input, path.join(dir, id));
        } finally {
          release();
        }
        return finish(id);
      }
      const download = /^\/dl\/([\w-]+)$/.exec(url);
      if (req.method === 'GET' && download) {
        const inMemory = kept.get(download[1]);
        if (inMemory) return void res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': inMemory.length }).end(inMemory);
        const file = path.join(dir, `${download[1]}.${ext}`);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': fs.statSync(file).size });
        return await pipeline(fs.createReadStream(file), res);
      }
      json(res, 404, { message: 'not found' });
    } catch (err) {
      if (!res.headersSent) json(res, 500, { message: String(err) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
