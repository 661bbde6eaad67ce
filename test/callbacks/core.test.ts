/**
 * The callback manager as the core wires it: the settings' public URL and port drive it through
 * the contract (settings.update → self-test → callback mode), and the local engine's callbacks
 * finish real items.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core';
import { dispatch } from '../../main/service';
import type { CallbackStatus } from '../../preload/contract';
import { statusEvents } from './support/fakes';
import { waitFor } from '../queue/helpers';
import { TestTunnelProxy } from './support/proxy';
import { freePort } from './support/stack';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('callbacks in the core', () => {
  it('follows the settings: polling without a URL, callback mode once a working URL is set, polling again when cleared', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-cb-core-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const core: Core = await createCore({ shell: 'cli', dataDir: path.join(dir, 'data'), secretsBackend: 'memory', env: {} });
    cleanups.push(() => core.close());
    const seen: CallbackStatus[] = statusEvents(core.events);
    const call = <M extends Parameters<typeof dispatch>[1]>(m: M, a?: unknown) => dispatch(core.handlers, m, a);

    await waitFor(async () => (await call('callbacks.status')).reason.startsWith('No public URL set'), 10_000, 'initial polling status');
    expect((await call('callbacks.status')).mode).toBe('polling');

    const port = await freePort();
    const proxy = new TestTunnelProxy({ host: '127.0.0.1', port });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    await call('settings.update', { callbackPort: port, callbackPublicUrl: proxy.url });
    await waitFor(async () => (await call('callbacks.status')).mode === 'callback', 10_000, 'callback mode after settings.update');
    expect(seen.at(-1)).toMatchObject({ mode: 'callback', publicUrl: proxy.url, lastProbe: { ok: true } });

    const src = path.join(dir, 'a.jpg');
    await sharp({ create: { width: 24, height: 24, channels: 3, background: '#336699' } })
      .jpeg()
      .toFile(src);
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const before = proxy.forwarded;
    const added = await call('queue.add', { items: [{ source: { kind: 'file', path: src } }], target: 'png', destination: { kind: 'folder', path: out } });
    await call('queue.start', { batchId: added.batchId });
    await waitFor(async () => (await call('queue.list')).items.every((i) => i.state === 'done'), 30_000, 'the item done');
    expect(fs.readdirSync(out)).toEqual(['a.png']);
    expect(proxy.forwarded).toBeGreaterThan(before); // the engine's callbacks came through the tunnel
    expect((await call('callbacks.status')).received).toBeGreaterThanOrEqual(1);

    // The probe method runs the self-test now.
    proxy.mode = 'bad-gateway';
    const probed = await call('callbacks.probe');
    expect(probed.mode).toBe('polling');
    expect(probed.lastProbe?.reason).toMatch(/answered HTTP 502/);

    await call('settings.update', { callbackPublicUrl: null });
    await waitFor(async () => (await call('callbacks.status')).reason.startsWith('No public URL set'), 10_000, 'polling after clearing the URL');
  });
});
