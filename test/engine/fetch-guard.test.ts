/**
 * Remote inputs on an engine that others can reach: loopback, link-local and private addresses are
 * refused (literal, by name, and at the end of a redirect), redirects are limited in number, and
 * the engine bound to loopback (the default, in-process case) still fetches from local servers.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../engine/index';
import { fetchRemote, InputFetchError } from '../../engine/jobs/fetch-remote';
import { BlockedAddressError, isPrivateAddress } from '../../engine/jobs/guarded-get';

let server: http.Server;
let base: string;
let hits = 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-fetch-guard-'));
beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits++;
    const m = /^\/hop\/(\d+)$/.exec(req.url ?? '');
    if (m) {
      const n = Number(m[1]);
      res.writeHead(302, { Location: n > 0 ? `/hop/${n - 1}` : '/file.txt' }).end();
      return;
    }
    if (req.url === '/to-localhost') {
      res.writeHead(302, { Location: `http://localhost:${(server.address() as { port: number }).port}/file.txt` }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hello');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

const opts = (extra: Partial<Parameters<typeof fetchRemote>[2]> = {}) => ({ maxBytes: 1e6, timeoutMs: 10_000, connectTimeoutMs: 5_000, ...extra });

describe('address ranges', () => {
  it('knows loopback, link-local, private, mapped and unspecified addresses from public ones', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false);
  });
});

describe('fetchRemote without private addresses', () => {
  it('refuses a literal loopback address, a name that resolves to loopback, and never connects', async () => {
    const before = hits;
    for (const url of [
      `${base}/file.txt`,
      base.replace('127.0.0.1', 'localhost') + '/file.txt',
      base.replace('127.0.0.1', '[::ffff:127.0.0.1]') + '/file.txt',
    ]) {
      const err = await fetchRemote(url, path.join(tmp, 'a'), opts({ allowPrivate: false })).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(InputFetchError);
      expect((err as InputFetchError).message, url).toMatch(/loopback, link-local or private address/);
    }
    expect(hits).toBe(before);
  });

  it('follows at most the allowed number of redirects', async () => {
    await expect(fetchRemote(`${base}/hop/2`, path.join(tmp, 'b'), opts({ allowPrivate: true, maxRedirects: 5 }))).resolves.toMatchObject({ size: 5 });
    const err = await fetchRemote(`${base}/hop/9`, path.join(tmp, 'c'), opts({ allowPrivate: true, maxRedirects: 5 })).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/more than 5 redirects/);
  });

  it('checks every redirect hop: a redirect to a loopback name is refused', async () => {
    const { guardedGet } = await import('../../engine/jobs/guarded-get');
    // The first hop is allowed here only so that a local server can play the public one.
    const first = await guardedGet(new URL(`${base}/to-localhost`), { allowPrivate: true, maxRedirects: 0, signal: AbortSignal.timeout(5000) }).catch(
      (e: unknown) => e,
    );
    expect((first as Error).message).toMatch(/more than 0 redirects/);
    const blocked = await guardedGet(new URL(base.replace('127.0.0.1', 'localhost') + '/file.txt'), {
      allowPrivate: false,
      maxRedirects: 5,
      signal: AbortSignal.timeout(5000),
    }).catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(BlockedAddressError);
  });
});

describe('the engine', () => {
  let strict: Engine;
  let local: Engine;
  beforeAll(async () => {
    strict = await createEngine({ dataDir: path.join(tmp, 'strict'), apiKey: 'k1-strict-key', allowPrivateFetch: false }, { log: () => {} });
    local = await createEngine({ dataDir: path.join(tmp, 'local'), apiKey: 'k2-local-key' }, { log: () => {} });
  });
  afterAll(async () => {
    await strict?.close();
    await local?.close();
  });

  async function convertUrl(engine: Engine, key: string, url: string) {
    const res = await fetch(`${engine.baseUrl}/v2/jobs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api2convert-Api-Key': key },
      body: JSON.stringify({ input: [{ type: 'remote', source: url }], conversion: [{ target: 'txt' }], process: true }),
    });
    const job = (await res.json()) as { id: string };
    for (let i = 0; i < 200; i++) {
      const j = (await (await fetch(`${engine.baseUrl}/v2/jobs/${job.id}`, { headers: { 'X-Api2convert-Api-Key': key } })).json()) as {
        status: { code: string };
        errors: Array<{ message: string }>;
      };
      if (['completed', 'failed', 'canceled'].includes(j.status.code)) return j;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('job did not end');
  }

  it('beyond loopback (allowPrivateFetch off) fails a remote input on a local server with the reason', async () => {
    const before = hits;
    const job = await convertUrl(strict, 'k1-strict-key', `${base}/file.txt`);
    expect(job.status.code).toBe('failed');
    expect(job.errors.map((e) => e.message).join(' ')).toMatch(/loopback, link-local or private address/);
    expect(hits).toBe(before);
  });

  it('bound to loopback (the default) still fetches from local servers', async () => {
    const before = hits;
    await convertUrl(local, 'k2-local-key', `${base}/file.txt`);
    expect(hits).toBeGreaterThan(before);
  });
});

describe('website capture without private addresses', () => {
  it('refuses a page on loopback (directly or by redirect) before Chromium runs', async () => {
    const { captureWebsite } = await import('../../engine/jobs/screenshot');
    const before = hits;
    for (const url of [`${base}/page.html`, base.replace('127.0.0.1', 'localhost') + '/page.html']) {
      const workDir = fs.mkdtempSync(path.join(tmp, 'shot-'));
      const err = await captureWebsite(url, path.join(workDir, 'out.png'), {
        pdf: false,
        connectTimeoutMs: 5_000,
        timeoutMs: 30_000,
        workDir,
        allowPrivate: false,
      }).catch((e: unknown) => e);
      expect(err, url).toBeInstanceOf(InputFetchError);
      expect((err as InputFetchError).message, url).toMatch(/cannot be captured: .*loopback, link-local or private address/);
      expect(fs.existsSync(path.join(workDir, 'chromium-profile')), 'Chromium never started').toBe(false);
    }
    expect(hits).toBe(before);
  });
});
