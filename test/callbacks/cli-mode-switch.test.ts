/**
 * A running `convoy convert` prints every callback mode switch (to polling when the public URL
 * stops working, back to callbacks when it works again), not only the mode at start. The real
 * callback manager re-tests through a real reverse proxy that is taken down and brought back.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createCallbackManager } from '../../main/callbacks';
import { EventBus } from '../../main/events';
import { printCallbackSwitches } from '../../main/shells/commands/cloud-input-flags';
import { captureLog, FakeQueue, FakeSettings, MemorySecrets } from './support/fakes';
import { waitFor } from '../queue/helpers';
import { TestTunnelProxy } from './support/proxy';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('convoy convert callback mode lines', () => {
  it('prints the switch to polling and back while the run lasts', async () => {
    const port = await freePort();
    const proxy = new TestTunnelProxy({ host: '127.0.0.1', port });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const settings = new FakeSettings();
    settings.value.callbackPublicUrl = proxy.url;
    settings.value.callbackPort = port;
    const events = new EventBus();
    const m = createCallbackManager({
      queue: new FakeQueue(),
      secrets: new MemorySecrets(),
      settings,
      events,
      log: captureLog(),
      probeTimeoutMs: 1500,
      recheckMs: 300,
      retryMs: 300,
    });
    cleanups.push(() => m.close());
    const start = await m.start();
    expect(start.mode).toBe('callback');

    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const stop = printCallbackSwitches(events, { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {} }, start.mode);
    cleanups.push(stop);

    await proxy.stop();
    await waitFor(() => out.includes('Callbacks: off, polling — '), 20_000, 'the polling line');
    await proxy.start();
    await waitFor(() => /Callbacks: on — Callbacks arrive through/.test(out), 20_000, 'the callback line');
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^Callbacks: off, polling — Self-test failed/);
    expect(lines.at(-1)).toBe(`Callbacks: on — Callbacks arrive through ${proxy.url} (self-test passed)`);
    // One line per switch, not per re-test.
    expect(lines.length).toBe(2);
  });
});
