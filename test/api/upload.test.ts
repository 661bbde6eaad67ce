/**
 * Uploads against scripted servers: token auth (never the key), a streamed multipart body with an
 * exact Content-Length, byte progress, safe retries, and the chunked protocol's resume paths.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, NetworkError } from '../../main/api/index';
import { API_KEY, fastClient, json, parseMultipart, sampleJob, startServer, type TestServer } from './helpers';

let dir: string;
let server: TestServer | undefined;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-upload-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function makeFile(name: string, size: number): { file: string; bytes: Buffer } {
  const bytes = crypto.randomBytes(size);
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { file, bytes };
}

const uploadedInput = (filename: string, size: number) => ({ id: `in-${filename}`, type: 'upload', status: 'ready', source: filename, filename, size });

describe('single upload', () => {
  it('authorises with the job token only, streams an exact multipart body and reports progress', async () => {
    const { file, bytes } = makeFile('photo.jpg', 700_000);
    server = await startServer((_req, res) => json(res, 201, uploadedInput('photo.jpg', bytes.length)));
    const client = fastClient(`${server.url}/v2`);
    const progress: number[] = [];
    const input = await client.uploadFile({ id: 'job-1', server: `${server.url}/v2/dl/web1`, token: 'job-token-xyz' }, file, {
      onProgress: (sent, total) => {
        expect(total).toBe(bytes.length);
        progress.push(sent);
      },
    });
    expect(input.id).toBe('in-photo.jpg');
    const r = server.requests[0];
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/v2/dl/web1/upload-file/job-1');
    expect(r.headers['x-api2convert-token']).toBe('job-token-xyz');
    expect(r.headers['x-api2convert-api-key']).toBeUndefined();
    expect(r.headers['x-oc-api-key']).toBeUndefined();
    expect(JSON.stringify(r.headers)).not.toContain(API_KEY);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(r.headers['transfer-encoding']).toBeUndefined();
    const part = parseMultipart(r.body, String(r.headers['content-type']));
    expect(part.disposition).toBe('form-data; name="file"; filename="photo.jpg"');
    expect(part.data.equals(bytes)).toBe(true);
    expect(progress.at(-1)).toBe(bytes.length);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress); // monotonic
    client.close();
  });

  it('sends only a safe base name: no path, no quotes, no CR/LF', async () => {
    const { file } = makeFile('x.bin', 10);
    server = await startServer((_req, res) => json(res, 201, uploadedInput('x', 10)));
    const client = fastClient(`${server.url}/v2`);
    await client.uploadFile({ id: 'j', server: server.url, token: 't-123456' }, file, { filename: '../../etc/"evil"\r\nX-Injected: 1.png' });
    const part = parseMultipart(server.requests[0].body, String(server.requests[0].headers['content-type']));
    expect(part.disposition).toBe('form-data; name="file"; filename="evilX-Injected: 1.png"');
    client.close();
  });

  it('a 401 from the upload server is an AuthError that names the request, not the token', async () => {
    const { file } = makeFile('y.bin', 10);
    server = await startServer((_req, res) => json(res, 401, { message: 'Invalid job token' }));
    const client = fastClient(`${server.url}/v2`);
    const err = await client.uploadFile({ id: 'j', server: server.url, token: 'tok-secret-value' }, file).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('POST /upload-file/j');
    expect(err.message).toContain('Invalid job token');
    expect(err.message).toContain('job token was refused');
    expect(err.message).not.toContain('tok-secret-value');
    client.close();
  });

  it('after a broken connection, asks the job whether the file arrived instead of uploading twice', async () => {
    const { file, bytes } = makeFile('landed.bin', 50_000);
    server = await startServer((req, res) => {
      if (req.method === 'POST')
        req.socket.destroy(); // the server kept the file, the answer was lost
      else json(res, 200, sampleJob({ input: [uploadedInput('landed.bin', bytes.length)] }));
    });
    const client = fastClient(`${server.url}/v2`);
    const input = await client.uploadFile({ id: 'job-1', server: server.url, token: 't-123456' }, file);
    expect(input.id).toBe('in-landed.bin');
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /upload-file/job-1', 'GET /v2/jobs/job-1']);
    // The job read uses the account key (it is an account request), the upload never does.
    expect(server.requests[1].headers['x-api2convert-api-key']).toBe(API_KEY);
    client.close();
  });

  it('after a broken connection with no file in the job, uploads again', async () => {
    const { file, bytes } = makeFile('again.bin', 5_000);
    let posts = 0;
    server = await startServer((req, res) => {
      if (req.method === 'POST' && posts++ === 0) req.socket.destroy();
      else if (req.method === 'POST') json(res, 201, uploadedInput('again.bin', bytes.length));
      else json(res, 200, sampleJob());
    });
    const client = fastClient(`${server.url}/v2`);
    const input = await client.uploadFile({ id: 'job-1', server: server.url, token: 't-123456' }, file);
    expect(input.id).toBe('in-again.bin');
    expect(server.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'POST']);
    client.close();
  });

  it('when the job cannot be checked, does not risk a second copy', async () => {
    const { file } = makeFile('unsure.bin', 5_000);
    server = await startServer((req, res) => {
      if (req.method === 'POST') req.socket.destroy();
      else json(res, 500, { message: 'down' });
    });
    const client = fastClient(`${server.url}/v2`, { retry: { retries: 1 } });
    await expect(client.uploadFile({ id: 'job-1', server: server.url, token: 't-123456' }, file)).rejects.toBeInstanceOf(NetworkError);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    client.close();
  });

  it('abort stops a streaming upload promptly', async () => {
    const { file } = makeFile('abort.bin', 4_000_000);
    // A server that reads very slowly, so the upload is still streaming when aborted.
    server = await startServer(
      (req) => {
        req.pause();
      },
      { raw: true },
    );
    const client = fastClient(`${server.url}/v2`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const err = await client.uploadFile({ id: 'j', server: server.url, token: 't-123456' }, file, { signal: ac.signal }).catch((e) => e);
    expect(err.name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1); // not retried
    client.close();
  });

  it('a stalled upload times out on inactivity, not on total duration', async () => {
    const { file } = makeFile('slow.bin', 3_000_000);
    // Reads 64 KiB every 30 ms: slow (≈2 MB/s) but never idle for the 250 ms limit.
    server = await startServer(
      async (req, res) => {
        let n = 0;
        for await (const c of req) {
          n += (c as Buffer).length;
          req.pause();
          await new Promise((r) => setTimeout(r, 30));
          req.resume();
        }
        json(res, 201, uploadedInput('slow.bin', n));
      },
      { raw: true },
    );
    const client = fastClient(`${server.url}/v2`, { timeoutMs: 250 });
    const started = Date.now();
    const input = await client.uploadFile({ id: 'j', server: server.url, token: 't-123456' }, file);
    expect(input.id).toBe('in-slow.bin');
    expect(Date.now() - started).toBeGreaterThan(250); // longer than the timeout in total
    client.close();
  });

  it('a missing file is a clear local error and sends nothing', async () => {
    server = await startServer((_req, res) => json(res, 201, {}));
    const client = fastClient(`${server.url}/v2`);
    await expect(client.uploadFile({ id: 'j', server: server.url, token: 't-123456' }, path.join(dir, 'nope.bin'))).rejects.toThrow(/file not found/);
    expect(server.requests).toHaveLength(0);
    client.close();
  });
});

describe('Expect: 100-continue for large bodies', () => {
  /** A server that decides on `Expect: 100-continue` itself; counts body bytes it receives. */
  async function expectServer(decide: (req: http.IncomingMessage, res: http.ServerResponse, srv: http.Server) => void) {
    let bodyBytes = 0;
    const srv = http.createServer((req, res) => {
      req.on('data', (c: Buffer) => (bodyBytes += c.length));
      req.on('end', () => json(res, 201, uploadedInput('big', bodyBytes)));
    });
    srv.on('checkContinue', (req, res) => decide(req, res, srv));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    return {
      url,
      bodyBytes: () => bodyBytes,
      close: () => new Promise<void>((r) => (srv.closeAllConnections(), srv.close(() => r()))),
    };
  }

  it('a refusal comes before the body is sent', async () => {
    const { file } = makeFile('refused.bin', 3_000_000);
    const s = await expectServer((_req, res) => json(res, 401, { message: 'Invalid job token' }));
    const client = fastClient(`${s.url}/v2`);
    const err = await client.uploadFile({ id: 'j', server: s.url, token: 'bad-token-1' }, file).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('Invalid job token');
    expect(s.bodyBytes()).toBe(0);
    client.close();
    await s.close();
  });

  it('a server that never answers the Expect gets the body after a short wait', async () => {
    const { file, bytes } = makeFile('silent.bin', 1_000_000);
    // Accepts the request without sending 100 Continue.
    const s = await expectServer((req, res, srv) => srv.emit('request', req, res));
    const client = fastClient(`${s.url}/v2`);
    const started = Date.now();
    await client.uploadFile({ id: 'j', server: s.url, token: 't-123456' }, file);
    expect(s.bodyBytes()).toBeGreaterThan(bytes.length);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    client.close();
    await s.close();
  });

  it('417 Expectation Failed: sends again without the Expect header', async () => {
    const { file, bytes } = makeFile('417.bin', 1_000_000);
    const s = await expectServer((_req, res) => json(res, 417, { message: 'no expectations' }));
    const client = fastClient(`${s.url}/v2`);
    const input = await client.uploadFile({ id: 'j', server: s.url, token: 't-123456' }, file);
    expect(input.id).toBe('in-big');
    expect(s.bodyBytes()).toBeGreaterThan(bytes.length);
    client.close();
    await s.close();
  });
});

/** A minimal server for the chunked protocol, scriptable per request. */
function chunkServer(total: number, script: { breakAt?: (n: number) => number | undefined; initial?: Buffer; probeSays?: number } = {}) {
  const held = Buffer.alloc(total);
  let received = 0;
  if (script.initial) {
    script.initial.copy(held);
    received = script.initial.length;
  }
  let chunkNo = 0;
  const state = { received: () => received, held, chunkHeaders: [] as Array<Record<string, string | undefined>> };
  const handler = async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const range = String(req.headers['content-range'] ?? '');
    state.chunkHeaders.push({
      range,
      uuid: req.headers['x-oc-upload-uuid'] as string | undefined,
      token: req.headers['x-api2convert-token'] as string | undefined,
    });
    const star = /^bytes \*\/(\d+)$/.exec(range);
    if (star) {
      req.resume();
      const says = script.probeSays ?? received;
      return json(res, 200, { received: says }, says > 0 ? { Range: `bytes=0-${says - 1}` } : {});
    }
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(range);
    if (!m) return json(res, 400, { message: 'no range' });
    const start = Number(m[1]);
    const end = Number(m[2]);
    if (start > received) return json(res, 416, { message: 'gap' }, { Range: `bytes=0-${received - 1}` });
    const n = chunkNo++;
    const breakAfter = script.breakAt?.(n);
    // Read the multipart body, writing the file part's bytes at `start` as they arrive.
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const c of req) {
      chunks.push(c as Buffer);
      got += (c as Buffer).length;
      if (breakAfter !== undefined && got >= breakAfter) {
        // Keep what arrived (minus multipart framing), then break the connection.
        const body = Buffer.concat(chunks);
        const headerEnd = body.indexOf('\r\n\r\n') + 4;
        const data = body.subarray(headerEnd, Math.min(body.length, headerEnd + (end - start + 1)));
        data.copy(held, start);
        received = start + data.length;
        req.socket.destroy();
        return;
      }
    }
    const part = parseMultipart(Buffer.concat(chunks), String(req.headers['content-type']));
    part.data.copy(held, start);
    received = start + part.data.length;
    if (received >= total) return json(res, 201, { id: 'in-chunked', type: 'upload', filename: 'big.bin', size: total });
    return json(res, 200, { received }, { Range: `bytes=0-${received - 1}` });
  };
  return { handler, state };
}

describe('chunked, resumable upload', () => {
  it('sends ranges under one uuid and resumes after a broken chunk from what the server holds', async () => {
    const size = 1_000_000;
    const { file, bytes } = makeFile('big.bin', size);
    const cs = chunkServer(size, { breakAt: (n) => (n === 1 ? 150_000 : undefined) });
    server = await startServer(cs.handler, { raw: true });
    const client = fastClient(`${server.url}/v2`);
    const progress: number[] = [];
    const input = await client.uploadFile({ id: 'job-1', server: server.url, token: 'tok-chunk' }, file, {
      chunkSize: 300_000,
      onProgress: (s) => progress.push(s),
    });
    expect(input.id).toBe('in-chunked');
    expect(cs.state.held.equals(bytes)).toBe(true);
    const ranges = cs.state.chunkHeaders.map((h) => h.range);
    expect(ranges[0]).toBe('bytes 0-299999/1000000');
    expect(ranges[1]).toBe('bytes 300000-599999/1000000');
    expect(ranges[2]).toBe('bytes */1000000'); // the probe after the break
    // Resumed where the server stopped, not at the chunk's start.
    const resumed = /^bytes (\d+)-/.exec(ranges[3] ?? '')![1];
    expect(Number(resumed)).toBeGreaterThan(300_000);
    expect(new Set(cs.state.chunkHeaders.map((h) => h.uuid)).size).toBe(1);
    expect(cs.state.chunkHeaders.every((h) => h.token === 'tok-chunk')).toBe(true);
    expect(progress.at(-1)).toBe(size);
    client.close();
  });

  it('a restart with the same uploadUuid asks first and continues from the server offset', async () => {
    const size = 400_000;
    const { file, bytes } = makeFile('restart.bin', size);
    const cs = chunkServer(size, { breakAt: (n) => (n === 0 ? 250_000 : undefined) });
    server = await startServer(cs.handler, { raw: true });
    const job = { id: 'job-1', server: server.url, token: 'tok-r' };
    // First process: the connection breaks and retries are off, so the upload fails.
    const first = fastClient(`${server.url}/v2`, { retry: { retries: 0 } });
    await expect(first.uploadFile(job, file, { chunkSize: 300_000, uploadUuid: 'item-7-upload' })).rejects.toBeInstanceOf(NetworkError);
    first.close();
    const heldBefore = cs.state.received();
    expect(heldBefore).toBeGreaterThan(0);
    const before = cs.state.chunkHeaders.length;
    // Second process, same uuid.
    const second = fastClient(`${server.url}/v2`);
    const input = await second.uploadFile(job, file, { chunkSize: 300_000, uploadUuid: 'item-7-upload' });
    expect(input.id).toBe('in-chunked');
    expect(cs.state.held.equals(bytes)).toBe(true);
    const after = cs.state.chunkHeaders.slice(before).map((h) => h.range);
    expect(after).toEqual(['bytes */400000', `bytes ${heldBefore}-399999/400000`]);
    expect(cs.state.chunkHeaders.every((h) => h.uuid === 'item-7-upload')).toBe(true);
    second.close();
  });

  it('a 416 naming the held range moves the upload there', async () => {
    const size = 200_000;
    const { file, bytes } = makeFile('gap.bin', size);
    // The server holds 100 000 bytes but its probe answer claims 150 000 (state lost in between).
    const cs = chunkServer(size, { initial: bytes.subarray(0, 100_000), probeSays: 150_000 });
    server = await startServer(cs.handler, { raw: true });
    const client = fastClient(`${server.url}/v2`);
    const input = await client.uploadFile({ id: 'j', server: server.url, token: 't-123456' }, file, { chunkSize: 70_000, uploadUuid: 'u-416' });
    expect(input.id).toBe('in-chunked');
    expect(cs.state.held.equals(bytes)).toBe(true);
    expect(cs.state.chunkHeaders.map((h) => h.range)).toEqual([
      'bytes */200000',
      'bytes 150000-199999/200000', // rejected: 416, Range bytes=0-99999
      'bytes 100000-169999/200000',
      'bytes 170000-199999/200000',
    ]);
    client.close();
  });
});
