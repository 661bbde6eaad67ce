import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../preload/contract';
import { EventBus } from '../../main/events';
import { createHandlers } from '../../main/service';
import { isLoopbackHost, safeFileName, safeRelDir, startHttpAdapter } from '../../main/shells/http-adapter';

const token = 'test-token-0123456789';
const settings: Settings = {
  provider: 'local',
  concurrency: 4,
  outputDir: null,
  conflictPolicy: 'rename',
  callbackPublicUrl: null,
  callbackPort: 0,
  liveStatus: true,
  notifyOnBatchEnd: false,
  ffmpegPath: null,
  sofficePath: null,
  apiKeyMasked: null,
  hasTunnelToken: false,
  hasCallbackSigningSecret: false,
};

/** A raw request, so the Host header can be anything (fetch would not let us forge it). */
function request(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('browser-mode HTTP adapter', () => {
  const events = new EventBus();
  let seenPatch: unknown = null;
  const handlers = createHandlers({
    'settings.get': async () => settings,
    'settings.update': async (patch) => {
      seenPatch = patch;
      const next = { ...settings, ...patch };
      events.emit('settings', next);
      return next;
    },
    'queue.status': async () => {
      throw new Error('database exploded with secret=hunter2');
    },
  });
  let tmp: string;
  let staticDir: string;
  let port: number;
  let close: () => Promise<void>;
  let files: Record<string, string>;

  let cookie = '';
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-adapter-'));
    staticDir = path.join(tmp, 'static');
    fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Convoy</title>');
    fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
    fs.writeFileSync(path.join(tmp, 'secret.txt'), 'outside the static dir');
    fs.writeFileSync(path.join(tmp, 'photo.webp'), 'RIFF....WEBP');
    files = { item1: path.join(tmp, 'secret.txt'), item2: path.join(tmp, 'photo.webp') };
    const started = await startHttpAdapter({
      handlers,
      events,
      token,
      staticDir,
      uploadDir: path.join(tmp, 'uploads'),
      resultPath: async (id) => files[id] ?? null,
      thumbnailPath: async (id, of) => (id === 'item1' && of === 'source' ? path.join(staticDir, 'assets', 'app.js') : null),
    });
    port = started.port;
    close = started.close;
    expect(started.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
    const load = await request(port, { path: `/?token=${token}` });
    cookie = (load.headers['set-cookie']?.[0] ?? '').split(';')[0];
  });
  afterAll(async () => {
    await close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const call = (method: string, body: unknown, headers: Record<string, string> = {}) =>
    request(port, {
      method: 'POST',
      path: `/api/${method}`,
      headers: { 'Content-Type': 'application/json', 'X-Convoy-Token': token, Host: `127.0.0.1:${port}`, ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('round-trips a handler call', async () => {
    const res = await call('settings.get', {});
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual(settings);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('delivers events over Server-Sent Events', async () => {
    const received = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/api/events', headers: { Cookie: cookie } }, (res) => {
        expect(res.headers['content-type']).toMatch(/text\/event-stream/);
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          if (buf.includes(': connected') && !buf.includes('event: settings')) {
            void call('settings.update', { concurrency: 7 });
          }
          if (buf.includes('event: settings')) {
            req.destroy();
            resolve(buf);
          }
        });
      });
      req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
    });
    const dataLine = received.split('\n').find((l) => l.startsWith('data: '))!;
    expect(JSON.parse(dataLine.slice(6)).concurrency).toBe(7);
    expect(seenPatch).toEqual({ concurrency: 7 });
  });

  it('answers 401 without the token or with a wrong one', async () => {
    expect((await call('settings.get', {}, { 'X-Convoy-Token': '' })).status).toBe(401);
    expect((await call('settings.get', {}, { 'X-Convoy-Token': 'wrong' })).status).toBe(401);
    const noHeader = await request(port, { method: 'POST', path: '/api/settings.get', headers: { 'Content-Type': 'application/json' } });
    expect(noHeader.status).toBe(401);
    expect((await request(port, { path: '/api/events' })).status).toBe(401);
    expect((await request(port, { path: '/' })).status).toBe(401);
    expect((await request(port, { method: 'POST', path: '/api/upload?name=a.txt', body: 'x' })).status).toBe(401);
  });

  it('answers 403 to a Host that is not a loopback name (DNS rebinding)', async () => {
    for (const host of ['evil.example', 'evil.example:1234', '10.0.0.1', 'localhost.evil.example']) {
      const res = await call('settings.get', {}, { Host: host });
      expect(res.status, host).toBe(403);
    }
    expect(isLoopbackHost('localhost:5173')).toBe(true);
    expect(isLoopbackHost('[::1]:80')).toBe(true);
    expect(isLoopbackHost(undefined)).toBe(false);
  });

  it('answers 400 with the zod message for invalid arguments, never a 500', async () => {
    const res = await call('settings.update', { concurrency: 'many' });
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body);
    expect(body.code).toBe('invalid_argument');
    expect(body.message).toMatch(/concurrency: Expected number, received string/);

    const unknownField = await call('settings.update', { colour: 'red' });
    expect(unknownField.status).toBe(400);
    expect(JSON.parse(unknownField.body).message).toMatch(/Unrecognized key/);

    const badJson = await request(port, {
      method: 'POST',
      path: '/api/settings.update',
      headers: { 'Content-Type': 'application/json', 'X-Convoy-Token': token },
      body: '{"concurrency": ',
    });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body).message).toMatch(/not valid JSON/);
  });

  it('names unknown methods with a 404 and unimplemented ones with a 503', async () => {
    const unknown = await call('nope.nothing', {});
    expect(unknown.status).toBe(404);
    const unavailable = await call('queue.batches', {});
    expect(unavailable.status).toBe(503);
    expect(JSON.parse(unavailable.body).message).toMatch(/queue.batches is not available/);
  });

  it('hides internal error details (and secrets in them) behind a generic 500', async () => {
    const res = await call('queue.status', {});
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(JSON.parse(res.body).message).toMatch(/Internal error in queue.status/);
  });

  it('serves the page with a CSP when the token is given, and assets without', async () => {
    const page = await request(port, { path: '/', headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect((await request(port, { path: '/assets/app.js' })).status).toBe(200);
    expect((await request(port, { path: '/assets/../../secret.txt' })).status).toBe(404);
    expect((await request(port, { path: '/%2e%2e/secret.txt' })).status).toBe(404);
  });

  it('streams an upload to the staging folder with a safe name', async () => {
    const res = await request(port, {
      method: 'POST',
      path: `/api/upload?name=${encodeURIComponent('../../evil\r\n.png')}&relDir=${encodeURIComponent('../a/./b')}`,
      headers: { 'X-Convoy-Token': token },
      body: Buffer.alloc(100_000, 7),
    });
    expect(res.status).toBe(201);
    const body = JSON.parse(res.body);
    expect(body.path.startsWith(path.join(tmp, 'uploads') + path.sep)).toBe(true);
    expect(path.basename(body.path)).toBe('evil__.png');
    expect(body.relDir).toBe('a/b');
    expect(fs.statSync(body.path).size).toBe(100_000);
    expect(safeFileName('..')).toBe('upload.bin');
    expect(safeRelDir('/abs/../x')).toBe('abs/x');
  });

  it('serves a finished item result and 404s unknown ones', async () => {
    const ok = await request(port, { path: '/api/files/item1', headers: { Cookie: cookie } });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('outside the static dir');
    expect((await request(port, { path: '/api/files/nope', headers: { Cookie: cookie } })).status).toBe(404);
    // Opened in a tab, an image result shows as one (it was application/octet-stream, so it downloaded).
    const image = await request(port, { path: '/api/files/item2', headers: { Cookie: cookie } });
    expect(image.headers['content-type']).toBe('image/webp');
    expect(image.headers['content-disposition']).toBe("inline; filename*=UTF-8''photo.webp");
  });

  it('serves a row thumbnail by item and side, with the session cookie only', async () => {
    const ok = await request(port, { path: '/api/thumbs/item1/source?v=1', headers: { Cookie: cookie } });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('console.log(1)');
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect((await request(port, { path: '/api/thumbs/item1/result', headers: { Cookie: cookie } })).status).toBe(404);
    for (const bad of ['/api/thumbs/item1', '/api/thumbs/item1/other', '/api/thumbs/%E0%A4%A/source', '/api/thumbs/a/source/x']) {
      expect((await request(port, { path: bad, headers: { Cookie: cookie } })).status, bad).toBe(400);
    }
    expect((await request(port, { path: '/api/thumbs/item1/source' })).status).toBe(401);
  });

  it('takes the URL token on the page load only: an httpOnly SameSite=Strict cookie, then the bare URL', async () => {
    const load = await request(port, { path: `/?token=${token}` });
    expect(load.status).toBe(303);
    expect(load.headers.location).toBe('/');
    const set = load.headers['set-cookie']?.[0] ?? '';
    expect(set).toMatch(new RegExp(`^convoy_session_${port}=[\\w-]{20,}; HttpOnly; SameSite=Strict; Path=/$`));
    expect(set).not.toContain(token);
    expect((await request(port, { path: '/?token=wrong' })).status).toBe(401);
    // ?token= no longer opens /api/: not for calls, events or files.
    const viaQuery = await request(port, {
      method: 'POST',
      path: `/api/settings.get?token=${token}`,
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(viaQuery.status).toBe(401);
    expect((await request(port, { path: `/api/events?token=${token}` })).status).toBe(401);
    expect((await request(port, { path: `/api/files/item1?token=${token}` })).status).toBe(401);
    expect((await request(port, { path: '/api/files/item1', headers: { Cookie: `convoy_session_${port}=forged` } })).status).toBe(401);
  });

  it('takes JSON only as application/json (no empty or text/plain bodies)', async () => {
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
      const res = await request(port, {
        method: 'POST',
        path: '/api/settings.update',
        headers: { 'X-Convoy-Token': token, ...(type ? { 'Content-Type': type } : {}) },
        body: '{"concurrency":3}',
      });
      expect(res.status, String(type)).toBe(415);
    }
    expect((await call('settings.get', {}, { 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(200);
  });

  it('answers 400, not 500, to bad percent-escapes, and shortens a 400-byte upload name', async () => {
    expect((await request(port, { path: '/api/files/%E0%A4%A', headers: { Cookie: cookie } })).status).toBe(400);
    expect((await request(port, { path: '/assets/%E0%A4%A.js' })).status).toBe(400);
    const long = `${'é'.repeat(200)}.png`;
    const res = await request(port, { method: 'POST', path: `/api/upload?name=${encodeURIComponent(long)}`, headers: { 'X-Convoy-Token': token }, body: 'x' });
    expect(res.status).toBe(201);
    const name = path.basename(JSON.parse(res.body).path as string);
    expect(name.endsWith('.png')).toBe(true);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    const longDir = await request(port, {
      method: 'POST',
      path: `/api/upload?name=a.png&relDir=${'d'.repeat(400)}`,
      headers: { 'X-Convoy-Token': token },
      body: 'x',
    });
    expect(longDir.status).toBe(400);
  });
});

describe('browser-mode HTTP adapter: slow clients', () => {
  it('closes a connection whose headers or JSON body never finish', async () => {
    const handlers = createHandlers({ 'settings.get': async () => settings });
    const started = await startHttpAdapter({
      handlers,
      events: new EventBus(),
      token,
      uploadDir: fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-adapter-slow-')),
      timeouts: { headersTimeoutMs: 1000, bodyTimeoutMs: 1000, idleTimeoutMs: 3000 },
    });
    const closedAfter = (first: string) =>
      new Promise<number>((resolve) => {
        const t0 = Date.now();
        const sock = net.connect(started.port, '127.0.0.1', () => sock.write(first));
        sock.on('data', () => {});
        sock.on('error', () => {});
        sock.on('close', () => resolve(Date.now() - t0));
      });
    try {
      const [slowHeaders, slowBody] = await Promise.all([
        closedAfter('POST /api/settings.get HTTP/1.1\r\nHost: 127.0.0.1\r\n'),
        closedAfter(
          `POST /api/settings.get HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Convoy-Token: ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
        ),
      ]);
      expect(slowHeaders).toBeLessThan(8000);
      expect(slowBody).toBeLessThan(8000);
    } finally {
      await started.close();
    }
  }, 20_000);
});
