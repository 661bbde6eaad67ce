import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callbackStatusLines, createCallbackManager, startCallbacksForCli } from '../../main/callbacks';
import { CallbackOptionError, parseCallbackPort } from '../../main/callbacks/cli';
import type { CallbackManagerOptions } from '../../main/callbacks/manager';
import { PATH_SECRET_NAME } from '../../main/callbacks/secrets';
import { signBody } from '../../main/callbacks/signature';
import type { TunnelProvider } from '../../main/callbacks/tunnel';
import { EventBus } from '../../main/events';
import type { Settings } from '../../preload/contract';
import { captureLog, FakeQueue, FakeSettings, MemorySecrets, statusEvents } from './support/fakes';
import { waitFor } from '../queue/helpers';
import { TestTunnelProxy } from './support/proxy';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function setup(extra: Partial<CallbackManagerOptions> = {}) {
  const queue = new FakeQueue();
  const secrets = new MemorySecrets();
  const settings = new FakeSettings();
  const events = new EventBus();
  const log = captureLog();
  const seen = statusEvents(events);
  const make = (more: Partial<CallbackManagerOptions> = {}) => {
    const m = createCallbackManager({ queue, secrets, settings, events, log, probeTimeoutMs: 1500, ...extra, ...more });
    cleanups.push(() => m.close());
    return m;
  };
  return { queue, secrets, settings, events, log, seen, make };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A manager on a fixed port with a public URL, so the proxy can be created before it starts. */
async function withProxy(extra: Partial<CallbackManagerOptions> = {}) {
  const env = setup(extra);
  const port = await freePort();
  const proxy = new TestTunnelProxy({ host: '127.0.0.1', port });
  await proxy.start();
  cleanups.push(() => proxy.stop());
  env.settings.value.callbackPublicUrl = proxy.url;
  env.settings.value.callbackPort = port;
  return { ...env, proxy, port };
}

describe('callback manager', () => {
  it('polls, without listening at all, when no public URL is set', async () => {
    const { make, seen } = setup();
    const m = make();
    const s = await m.start();
    expect(s.mode).toBe('polling');
    expect(s.reason).toMatch(/No public URL set/);
    expect(s.publicUrl).toBeNull();
    expect(m.stats().localPort).toBeNull();
    expect(seen.at(-1)?.mode).toBe('polling');
  });

  it('enters callback mode once a signed probe arrives through the tunnel, and tells the queue', async () => {
    const { make, queue, proxy, secrets, seen } = await withProxy();
    const m = make();
    const s = await m.start();
    expect(s.mode).toBe('callback');
    expect(s.publicUrl).toBe(proxy.url);
    expect(s.lastProbe).toMatchObject({ ok: true, reason: null });
    const secret = secrets.values.get(PATH_SECRET_NAME)!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(queue.target).toEqual({ url: `${proxy.url}/callbacks/${secret}`, notifyStatus: true });
    expect(proxy.forwarded).toBe(1);
    expect(seen.at(-1)?.mode).toBe('callback');
    // The path secret is never part of what the UI sees.
    expect(JSON.stringify(seen)).not.toContain(secret);
  });

  it('keeps the callback path across restarts (same keychain)', async () => {
    const { make, queue } = await withProxy();
    const first = make();
    await first.start();
    const url = queue.target!.url;
    await first.close();
    const second = make();
    expect((await second.start()).mode).toBe('callback');
    expect(queue.target!.url).toBe(url);
  });

  it('falls back to polling when the tunnel goes down and back to callbacks when it returns (periodic re-test)', async () => {
    const { make, queue, proxy, seen } = await withProxy({ recheckMs: 200, retryMs: 200 });
    const m = make();
    expect((await m.start()).mode).toBe('callback');
    await proxy.stop();
    await waitFor(() => m.status().mode === 'polling', 5000, 'polling after the tunnel stopped');
    expect(m.status().reason).toMatch(/Self-test failed: Connection refused by 127\.0\.0\.2:\d+/);
    expect(m.status().lastProbe?.ok).toBe(false);
    expect(queue.target).toBeNull();
    await proxy.start();
    await waitFor(() => m.status().mode === 'callback', 5000, 'callback mode after the tunnel returned');
    expect(queue.target?.url).toContain(proxy.url);
    expect(seen.map((s) => s.mode)).toEqual(expect.arrayContaining(['callback', 'polling']));
  });

  it('reports DNS failures by name (no real DNS traffic: the lookup is injected)', async () => {
    const { make, settings } = setup({
      lookup: ((hostname: string, _o: unknown, cb: (e: NodeJS.ErrnoException) => void) => {
        const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
        err.code = 'ENOTFOUND';
        process.nextTick(() => cb(err));
      }) as never,
    });
    settings.value.callbackPublicUrl = 'https://tunnel.convoy-test.invalid';
    const m = make();
    const s = await m.start();
    expect(s.mode).toBe('polling');
    expect(m.lastProbe()?.code).toBe('dns');
    expect(s.lastProbe?.reason).toMatch(/^DNS: the host tunnel\.convoy-test\.invalid could not be resolved/);
  });

  it('reports a timeout when the tunnel accepts but never answers', async () => {
    const silent = net.createServer(() => {});
    const sockets: net.Socket[] = [];
    silent.on('connection', (s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.2', () => r()));
    cleanups.push(() => new Promise((r) => (sockets.forEach((s) => s.destroy()), silent.close(r))));
    const { make, settings } = setup({ probeTimeoutMs: 600 });
    settings.value.callbackPublicUrl = `http://127.0.0.2:${(silent.address() as AddressInfo).port}`;
    const m = make();
    const t0 = Date.now();
    const s = await m.start();
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(m.lastProbe()?.code).toBe('timeout');
    expect(s.reason).toMatch(/Timed out: .* did not answer within 0\.6 s/);
  });

  it('reports TLS failures', async () => {
    const plain = http.createServer((_q, r) => r.end('hi'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.2', () => r()));
    cleanups.push(() => new Promise((r) => (plain.closeAllConnections(), plain.close(r))));
    const { make, settings } = setup();
    settings.value.callbackPublicUrl = `https://127.0.0.2:${(plain.address() as AddressInfo).port}`;
    const m = make();
    const s = await m.start();
    expect(m.lastProbe()?.code).toBe('tls');
    expect(s.mode).toBe('polling');
    expect(s.lastProbe?.reason).toMatch(/^TLS: /);
  });

  it.each([
    ['blackhole', /answered HTTP 200 but the probe never reached Convoy's callback server/],
    ['bad-gateway', /answered HTTP 502 instead of passing the probe/],
    ['redirect', /redirects \(HTTP 301 to https:\/\/127\.0\.0\.2:\d+\/callbacks\/…\/probe\)/],
    ['strip-signature', /without its X-Oc-Signature header/],
  ] as const)('reports wrong forwarding (%s)', async (mode, reason) => {
    const { make, proxy, queue } = await withProxy();
    proxy.mode = mode;
    const m = make();
    const s = await m.start();
    expect(s.mode).toBe('polling');
    expect(m.lastProbe()?.code).toBe('forwarding');
    expect(s.lastProbe?.reason).toMatch(reason);
    expect(s.reason).not.toContain('token=abc');
    expect(queue.target).toBeNull();
  });

  it('reports a busy callback port and polls', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => blocker.close(r)));
    const { make, settings } = setup();
    settings.value.callbackPublicUrl = 'http://127.0.0.2:9';
    settings.value.callbackPort = (blocker.address() as AddressInfo).port;
    const s = await make().start();
    expect(s.mode).toBe('polling');
    expect(s.reason).toMatch(/Callback port \d+ is already in use/);
  });

  it('re-tests when the public URL changes in the settings, and follows liveStatus', async () => {
    const { make, settings, events, queue } = setup();
    const m = make();
    expect((await m.start()).mode).toBe('polling');
    // The user sets a port for their tunnel and pastes its URL.
    const port = await freePort();
    const proxy = new TestTunnelProxy({ host: '127.0.0.1', port });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    settings.value = { ...settings.value, callbackPublicUrl: proxy.url, callbackPort: port };
    events.emit('settings', { ...settings.value, hasTunnelToken: false } as unknown as Settings);
    await waitFor(() => m.status().mode === 'callback', 10_000, 'callback mode after the URL was set');
    expect(m.stats().localPort).toBe(port);
    settings.value = { ...settings.value, liveStatus: false };
    events.emit('settings', { ...settings.value, hasTunnelToken: false } as unknown as Settings);
    expect(queue.target?.notifyStatus).toBe(false);
    settings.value = { ...settings.value, callbackPublicUrl: null };
    events.emit('settings', { ...settings.value, hasTunnelToken: false } as unknown as Settings);
    await waitFor(() => m.status().mode === 'polling', 10_000, 'polling after the URL was cleared');
    expect(queue.target).toBeNull();
    expect(m.stats().localPort).toBeNull();
  });

  it('a failing built-in tunnel gives polling mode with the reason, never the token', async () => {
    const token = 'ngrok-authtoken-SECRET-1234';
    const calls: number[] = [];
    const failing: TunnelProvider = {
      name: 'ngrok',
      async start({ localPort, authtoken }) {
        calls.push(localPort);
        throw new Error(`failed to connect session: dial tcp: lookup connect.ngrok-agent.com: no such host (authtoken ${authtoken})`);
      },
    };
    const { make, secrets, log } = setup({ tunnel: failing });
    await secrets.set('tunnel-token', token);
    const m = make();
    const s = await m.start();
    expect(calls.length).toBe(1);
    expect(calls[0]).toBe(m.stats().localPort);
    expect(s.mode).toBe('polling');
    expect(s.reason).toMatch(/^Built-in ngrok tunnel could not start: failed to connect session/);
    expect(s.lastProbe).toMatchObject({ ok: false });
    expect(JSON.stringify(s)).not.toContain(token);
    expect(log.lines.join('\n')).not.toContain(token);
  });

  it('a hanging tunnel start times out into polling mode', async () => {
    const hanging: TunnelProvider = { name: 'ngrok', start: () => new Promise(() => {}) };
    const { make, secrets } = setup({ tunnel: hanging, tunnelTimeoutMs: 300 });
    await secrets.set('tunnel-token', 'tok-123456');
    const s = await make().start();
    expect(s.mode).toBe('polling');
    expect(s.reason).toMatch(/tunnel could not start: no connection to ngrok within/);
  });

  it('a working built-in tunnel gives callback mode through its URL', async () => {
    let proxy: TestTunnelProxy | null = null;
    const fake: TunnelProvider = {
      name: 'ngrok',
      async start({ localPort }) {
        proxy = new TestTunnelProxy({ host: '127.0.0.1', port: localPort });
        await proxy.start();
        return { url: proxy.url, close: () => proxy!.stop() };
      },
    };
    const { make, secrets, queue } = setup({ tunnel: fake });
    await secrets.set('tunnel-token', 'tok-123456');
    const m = make();
    const s = await m.start();
    expect(s.mode).toBe('callback');
    expect(s.publicUrl).toBe(proxy!.url);
    expect(queue.target?.url.startsWith(`${proxy!.url}/callbacks/`)).toBe(true);
  });

  it('serves callbacks.status and callbacks.probe through its handlers', async () => {
    const { make, proxy } = await withProxy();
    const m = make();
    const h = m.handlers();
    const first = await h['callbacks.probe']!(undefined);
    expect(first.mode).toBe('callback');
    proxy.mode = 'bad-gateway';
    const second = await h['callbacks.probe']!(undefined);
    expect(second.mode).toBe('polling');
    expect(await h['callbacks.status']!(undefined)).toEqual(second);
  });

  it('counts received and rejected callbacks in the status', async () => {
    const { make, proxy, queue, secrets } = await withProxy();
    queue.known.add('job-1');
    const m = make();
    await m.start();
    const url = `${proxy.url}/callbacks/${secrets.values.get(PATH_SECRET_NAME)}`;
    const post = (u: string, body: string) => fetch(u, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect((await post(url, '{"id":"job-1"}')).status).toBe(202);
    expect((await post(url, '{"id":"job-2"}')).status).toBe(404);
    expect((await post(`${proxy.url}/callbacks/guess`, '{"id":"job-1"}')).status).toBe(404);
    expect(m.status()).toMatchObject({ received: 1, rejected: 2 });
    expect(m.stats().byReason).toEqual({ unknown_job: 1, wrong_path: 1 });
  });

  it('counts and logs callbacks that fail the signature check but never switches the mode for them', async () => {
    const { make, proxy, queue, secrets, log } = await withProxy({ signingSecret: 'the-right-secret', retryMs: 300 });
    queue.known.add('job-1');
    const m = make();
    expect((await m.start()).mode).toBe('callback');
    const target = queue.target;
    const url = `${proxy.url}/callbacks/${secrets.values.get(PATH_SECRET_NAME)}`;
    const body = '{"id":"job-1","status":{"code":"completed"}}';
    const send = (sig: string) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-oc-signature': sig } });
    expect((await send(signBody(body, 'the-right-secret'))).status).toBe(202);
    for (let i = 0; i < 20; i++) expect((await send(signBody(body, 'an-old-secret'))).status).toBe(401);
    // Forgeries are counted, logged once, and change nothing: the self-test decides the mode.
    expect(m.status().mode).toBe('callback');
    expect(queue.target).toEqual(target);
    expect(m.status().rejected).toBe(20);
    expect(m.stats().byReason).toMatchObject({ signature_invalid: 20 });
    expect(log.lines.filter((l) => l.includes('callback rejected: signature invalid'))).toHaveLength(1);
    expect(log.lines.filter((l) => l.includes('failed the signature check'))).toHaveLength(1);
    expect(log.lines.join('\n')).not.toContain('the-right-secret');
    await new Promise((r) => setTimeout(r, 500));
    expect(m.status().mode).toBe('callback');
  });
});

describe('what a callback costs', () => {
  const post = (url: string, body: string, sig?: string) =>
    fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(sig ? { 'x-oc-signature': sig } : {}) } });

  it('unsigned: a status-only callback is never acted on (no re-read); an ended one is re-read', async () => {
    const { make, proxy, queue, secrets } = await withProxy();
    queue.known.add('job-1');
    const m = make();
    expect((await m.start()).mode).toBe('callback');
    const url = `${proxy.url}/callbacks/${secrets.values.get(PATH_SECRET_NAME)}`;
    for (const code of ['downloading', 'processing', 'processing']) {
      expect((await post(url, JSON.stringify({ id: 'job-1', status: { code } }))).status).toBe(202);
    }
    expect((await post(url, JSON.stringify({ id: 'job-x', status: { code: 'processing' } }))).status).toBe(404);
    expect(queue.hints).toEqual([]);
    expect(queue.looked).toEqual(['job-1', 'job-1', 'job-1', 'job-x']);
    expect(queue.taken).toEqual([]); // an unsigned document is never taken as the job's state
    expect((await post(url, JSON.stringify({ id: 'job-1', status: { code: 'completed' } }))).status).toBe(202);
    expect(queue.hints).toEqual(['job-1']);
  });

  it('signed: the document is taken as the job state without a read, unless it disagrees', async () => {
    const { make, proxy, queue, secrets } = await withProxy({ signingSecret: 'the-right-secret' });
    queue.known.add('job-1');
    queue.known.add('job-2');
    queue.disagree.add('job-2');
    const m = make();
    expect((await m.start()).mode).toBe('callback');
    const url = `${proxy.url}/callbacks/${secrets.values.get(PATH_SECRET_NAME)}`;
    const one = JSON.stringify({ id: 'job-1', status: { code: 'completed' } });
    const two = JSON.stringify({ id: 'job-2', status: { code: 'completed' } });
    expect((await post(url, one, signBody(one, 'the-right-secret'))).status).toBe(202);
    expect((await post(url, two, signBody(two, 'the-right-secret'))).status).toBe(202);
    expect(queue.taken).toEqual([JSON.parse(one)]);
    expect(queue.hints).toEqual(['job-2']); // only the one that disagreed is read back
  });
});

describe('CLI helpers', () => {
  it('rejects a bad --public-url and --callback-port with a clear message', async () => {
    const { queue, secrets, settings, events, log } = setup();
    await expect(startCallbacksForCli({ publicUrl: 'ftp://x', queue, secrets, settings, events, log })).rejects.toThrow(
      /--public-url: The public URL must start with http:\/\/ or https:\/\//,
    );
    await expect(startCallbacksForCli({ publicUrl: 'not a url', queue, secrets, settings, events, log })).rejects.toBeInstanceOf(CallbackOptionError);
    expect(() => parseCallbackPort('70000')).toThrow(/--callback-port must be a port number/);
    expect(() => parseCallbackPort('12a')).toThrow(CallbackOptionError);
    expect(parseCallbackPort('0')).toBe(0);
  });

  it('uses --public-url and --callback-port over the settings and prints the mode and last probe', async () => {
    const { queue, secrets, settings, events, log } = setup();
    settings.value.callbackPublicUrl = 'http://127.0.0.2:9'; // overridden below
    const port = await freePort();
    const proxy = new TestTunnelProxy({ host: '127.0.0.1', port });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const { manager, status } = await startCallbacksForCli({ publicUrl: proxy.url, port, queue, secrets, settings, events, log });
    cleanups.push(() => manager.close());
    expect(status.mode).toBe('callback');
    expect(manager.stats().localPort).toBe(port);
    const lines = callbackStatusLines(status);
    expect(lines[0]).toBe('Mode: callback');
    expect(lines).toContain(`Public URL: ${proxy.url}`);
    expect(lines.find((l) => l.startsWith('Last probe:'))).toMatch(/^Last probe: ok at \d{4}-/);
  });
});
