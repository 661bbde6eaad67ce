/**
 * `convoy convert … --public-url <url> --callback-port <port>` and `convoy status`, in process,
 * with the built-in local engine posting callbacks through a reverse proxy on 127.0.0.2.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../main/shells/cli';
import { TestTunnelProxy } from './support/proxy';
import { freePort } from './support/stack';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runCli(args, {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  return { code, out, err };
}

async function workspace(n: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-cb-cli-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const src = path.join(dir, 'src');
  fs.mkdirSync(src);
  for (let i = 0; i < n; i++) {
    await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 10 * i, g: 0, b: 0 } } })
      .jpeg()
      .toFile(path.join(src, `p${i}.jpg`));
  }
  return { dir, src, out: path.join(dir, 'out'), data: path.join(dir, 'data') };
}

describe('convoy convert --public-url / convoy status', () => {
  it('converts in callback mode through the public URL and shows the mode and last probe', async () => {
    const ws = await workspace(3);
    fs.mkdirSync(ws.out);
    const port = await freePort();
    const proxy = new TestTunnelProxy({ host: '127.0.0.1', port });
    await proxy.start();
    cleanups.push(() => proxy.stop());

    const r = await cli([
      'convert',
      ws.src,
      '--to',
      'png',
      '--out-dir',
      ws.out,
      '--data-dir',
      ws.data,
      '--public-url',
      proxy.url,
      '--callback-port',
      String(port),
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Callbacks: on — Callbacks arrive through ${proxy.url} (self-test passed)`);
    // the dropped folder's structure is kept
    expect(fs.readdirSync(ws.out).sort()).toEqual(['p0.png', 'p1.png', 'p2.png']);
    // The probe and then the engine's callbacks went through the tunnel.
    expect(proxy.forwarded).toBeGreaterThanOrEqual(1 + 3);

    const st = await cli(['status', '--data-dir', ws.data]);
    expect(st.code).toBe(0);
    expect(st.out).toMatch(/Callbacks \(as last recorded, .* UTC; that Convoy has ended\):/);
    expect(st.out).toContain('  Mode: callback');
    expect(st.out).toMatch(/ {2}Last probe: ok at \d{4}-\d\d-\d\dT/);
    expect(st.out).toMatch(/ {2}Callbacks received: [3-9]\d*, rejected: 0/);
    const json = JSON.parse((await cli(['status', '--data-dir', ws.data, '--json'])).out);
    expect(json.callbacks).toMatchObject({ mode: 'callback', publicUrl: proxy.url, lastProbe: { ok: true } });
  });

  it('polls without --public-url, and says so', async () => {
    const ws = await workspace(1);
    fs.mkdirSync(ws.out);
    const r = await cli(['convert', ws.src, '--to', 'png', '--out-dir', ws.out, '--data-dir', ws.data]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('Callbacks: on');
    const st = await cli(['status', '--data-dir', ws.data]);
    expect(st.out).toContain('  Mode: polling');
    expect(st.out).toContain('  Reason: No public URL set; polling the API for job status');
    expect(st.out).toContain('  Last probe: none');
    // A data folder no Convoy has run in yet: what the settings imply.
    const fresh = await cli(['status', '--data-dir', `${ws.data}-fresh`]);
    expect(fresh.out).toContain('Callbacks: off — polling (no public URL set)');
  });

  it('a public URL whose tunnel is down: polling with the reason, and every item still completes', async () => {
    const ws = await workspace(2);
    fs.mkdirSync(ws.out);
    const port = await freePort();
    const dead = await freePort(); // nothing listens there
    const r = await cli([
      'convert',
      ws.src,
      '--to',
      'png',
      '--out-dir',
      ws.out,
      '--data-dir',
      ws.data,
      '--public-url',
      `http://127.0.0.2:${dead}`,
      '--callback-port',
      String(port),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Callbacks: off, polling — Self-test failed: Connection refused by 127\.0\.0\.2:\d+/);
    // the dropped folder's structure is kept
    expect(fs.readdirSync(ws.out).sort()).toEqual(['p0.png', 'p1.png']);
    const st = await cli(['status', '--data-dir', ws.data]);
    expect(st.out).toContain('  Mode: polling');
    expect(st.out).toMatch(/ {2}Last probe: failed at .*: Connection refused/);
  });

  it('rejects a bad --public-url as a usage error', async () => {
    const ws = await workspace(1);
    const r = await cli(['convert', ws.src, '--to', 'png', '--out-dir', ws.dir, '--data-dir', ws.data, '--public-url', 'ftp://example']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--public-url: The public URL must start with http:\/\/ or https:\/\//);
  });
});
