/**
 * Downloads against scripted servers: temp file + rename, size and checksum verification, resume
 * with Range, and the download password never crossing to another host.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, IntegrityError, NotFoundError } from '../../main/api/index';
import { API_KEY, fastClient, json, startServer, type TestServer } from './helpers';

let dir: string;
const servers: TestServer[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-download-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const leftovers = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith('.part'));

/** Serves `bytes` with Range support. */
function fileHandler(bytes: Buffer) {
  return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (m) {
      const start = Number(m[1]);
      res.writeHead(206, { 'Content-Length': bytes.length - start, 'Content-Range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
      res.end(bytes.subarray(start));
    } else {
      res.writeHead(200, { 'Content-Length': bytes.length, 'Content-Type': 'image/png' });
      res.end(bytes);
    }
  };
}

describe('downloadOutput', () => {
  it('streams to a temp file, verifies size and sha256, renames into place, reports progress', async () => {
    const bytes = crypto.randomBytes(300_000);
    const s = await serve(fileHandler(bytes));
    const client = fastClient(`${s.url}/v2`);
    const dest = path.join(dir, 'ok', 'result.png');
    const seen: Array<[number, number | null]> = [];
    const r = await client.downloadOutput({ id: 'o1', uri: `${s.url}/dl/o1`, size: bytes.length, checksum: sha256(bytes) }, dest, {
      onProgress: (a, b) => seen.push([a, b]),
    });
    expect(r.size).toBe(bytes.length);
    expect(fs.readFileSync(dest).equals(bytes)).toBe(true);
    expect(leftovers(path.dirname(dest))).toEqual([]);
    expect(seen.at(-1)).toEqual([bytes.length, bytes.length]);
    // Output URIs need no auth: the account key is not sent.
    expect(s.requests[0].headers['x-api2convert-api-key']).toBeUndefined();
    client.close();
  });

  it('resumes a broken transfer with a Range request and still verifies the whole file', async () => {
    const bytes = crypto.randomBytes(400_000);
    let first = true;
    const s = await serve(
      (req, res) => {
        if (first) {
          first = false;
          res.writeHead(200, { 'Content-Length': bytes.length });
          res.write(bytes.subarray(0, 150_000), () => setTimeout(() => req.socket.destroy(), 20));
          return;
        }
        fileHandler(bytes)(req, res);
      },
      { raw: true },
    );
    const client = fastClient(`${s.url}/v2`);
    const dest = path.join(dir, 'resumed.bin');
    await client.downloadOutput({ id: 'o1', uri: `${s.url}/dl/o1`, size: bytes.length, checksum: `sha256:${sha256(bytes)}` }, dest);
    expect(fs.readFileSync(dest).equals(bytes)).toBe(true);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1].headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/(\d+)/.exec(String(s.requests[1].headers.range))![1])).toBeGreaterThan(0);
    client.close();
  });

  it('a size mismatch fails with IntegrityError and leaves neither the destination nor a temp file', async () => {
    const bytes = crypto.randomBytes(1000);
    const s = await serve(fileHandler(bytes));
    const client = fastClient(`${s.url}/v2`, { retry: { retries: 1 } });
    const dest = path.join(dir, 'short.bin');
    const err = await client.downloadOutput({ id: 'o1', uri: `${s.url}/dl/o1`, size: 2000 }, dest).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(fs.existsSync(dest)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
    client.close();
  });

  it('a checksum mismatch fails with IntegrityError (after one fresh retry)', async () => {
    const bytes = crypto.randomBytes(1000);
    const s = await serve(fileHandler(bytes));
    const client = fastClient(`${s.url}/v2`, { retry: { retries: 1 } });
    const dest = path.join(dir, 'corrupt.bin');
    const err = await client.downloadOutput({ id: 'o1', uri: `${s.url}/dl/o1`, size: 1000, checksum: sha256(Buffer.from('other')) }, dest).catch((e) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.message).toContain('checksum mismatch');
    expect(s.requests).toHaveLength(2);
    expect(s.requests.every((r) => r.headers.range === undefined)).toBe(true);
    expect(fs.existsSync(dest)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
    client.close();
  });

  it('keeps an existing destination untouched when the download fails', async () => {
    const s = await serve((_req, res) => json(res, 404, { message: 'The requested output has expired and was deleted' }));
    const client = fastClient(`${s.url}/v2`);
    const dest = path.join(dir, 'keep.txt');
    fs.writeFileSync(dest, 'previous');
    const err = await client.downloadOutput({ id: 'o1', uri: `${s.url}/dl/o1`, size: 5 }, dest).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toContain('expired');
    expect(fs.readFileSync(dest, 'utf8')).toBe('previous');
    client.close();
  });

  it('sends the download password to the output host but never forwards it on a redirect to another host', async () => {
    const bytes = Buffer.from('converted bytes');
    const other = await serve(fileHandler(bytes));
    const origin = await serve((req, res) => {
      if (req.url === '/dl/o1') {
        res.writeHead(302, { Location: '/dl/o1-moved' });
        res.end();
      } else {
        res.writeHead(307, { Location: `${other.url}/cdn/o1` });
        res.end();
      }
    });
    const client = fastClient(`${origin.url}/v2`);
    const dest = path.join(dir, 'redirected.txt');
    await client.downloadOutput({ id: 'o1', uri: `${origin.url}/dl/o1`, size: bytes.length }, dest, { password: 'pw-very-secret' });
    expect(fs.readFileSync(dest).equals(bytes)).toBe(true);
    // Same origin (both hops): the password goes along.
    expect(origin.requests.map((r) => r.headers['x-api2convert-download-password'])).toEqual(['pw-very-secret', 'pw-very-secret']);
    // Another host: neither password nor key.
    expect(other.requests).toHaveLength(1);
    const h = other.requests[0].headers;
    expect(h['x-api2convert-download-password']).toBeUndefined();
    expect(h['x-oc-download-password']).toBeUndefined();
    expect(JSON.stringify(h)).not.toContain('pw-very-secret');
    expect(JSON.stringify(h)).not.toContain(API_KEY);
    client.close();
  });

  it('a protected output without (or with a wrong) password is an AuthError that never shows the password', async () => {
    const s = await serve((req, res) =>
      json(res, 401, {
        message: req.headers['x-api2convert-download-password'] ? `Wrong download password ${req.headers['x-api2convert-download-password']}` : 'protected',
      }),
    );
    const client = fastClient(`${s.url}/v2`);
    const none = await client.downloadOutput({ id: 'o1', uri: `${s.url}/dl/o1` }, path.join(dir, 'p1')).catch((e) => e);
    expect(none).toBeInstanceOf(AuthError);
    expect(none.message).toContain('protected by a download password');
    const wrong = await client.downloadOutput({ id: 'o1', uri: `${s.url}/dl/o1` }, path.join(dir, 'p2'), { password: 'hunter2-wrong' }).catch((e) => e);
    expect(wrong).toBeInstanceOf(AuthError);
    expect(wrong.message).toContain('password was refused');
    expect(wrong.message).not.toContain('hunter2-wrong');
    client.close();
  });

  it('abort removes the partial temp file', async () => {
    const s = await serve(
      (_req, res) => {
        res.writeHead(200, { 'Content-Length': 10_000_000 });
        res.write(Buffer.alloc(100_000)); // then nothing more
      },
      { raw: true },
    );
    const client = fastClient(`${s.url}/v2`);
    const sub = path.join(dir, 'abort');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const err = await client
      .downloadOutput({ id: 'o1', uri: `${s.url}/dl/o1`, size: 10_000_000 }, path.join(sub, 'x.bin'), { signal: ac.signal })
      .catch((e) => e);
    expect(err.name).toBe('AbortError');
    expect(fs.readdirSync(sub)).toEqual([]);
    client.close();
  });

  it('an output without a URI (sent to an output target) is a clear error', async () => {
    const client = fastClient('http://127.0.0.1:9/v2');
    await expect(client.downloadOutput({ id: 'o1' }, path.join(dir, 'x'))).rejects.toThrow(/no download URI/);
    client.close();
  });
});
