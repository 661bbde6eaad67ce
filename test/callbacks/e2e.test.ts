/**
 * Callbacks end to end: the local engine posts (signed) callbacks to a real reverse proxy on
 * 127.0.0.2 — the "tunnel" — which forwards to Convoy's callback server; the queue converts real
 * images. Nothing is mocked.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { signBody } from '../../main/callbacks/signature';
import { PATH_SECRET_NAME } from '../../main/callbacks/secrets';
import type { CallbackStatus, ItemView } from '../../preload/contract';
import { statusEvents } from './support/fakes';
import { waitFor } from '../queue/helpers';
import { post, postChunked, trickle } from './support/http';
import { startStack, type Stack } from './support/stack';

let stack: Stack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

const GET_JOB = 'GET /v2/jobs/:id';

async function expectRealPngs(items: ItemView[]): Promise<void> {
  for (const item of items) {
    expect(item.state, `${item.label}: ${item.error?.message ?? ''}`).toBe('done');
    expect(item.outputs).toHaveLength(1);
    expect(item.outputs[0]).toMatch(/img-\d+\.png$/);
    const meta = await sharp(fs.readFileSync(item.outputs[0]!)).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThanOrEqual(16);
  }
}

function doneCount(items: ItemView[]): number {
  return items.filter((i) => i.state === 'done').length;
}

describe('callbacks through a tunnel (reverse proxy on 127.0.0.2)', () => {
  it('detects every completion from its callback, without polling requests', async () => {
    stack = await startStack({ callbacks: true, liveStatus: false });
    expect(stack.manager.status().mode).toBe('callback');
    const files = await stack.makeImages(20);
    stack.engine.resetStats();
    const ids = await stack.add(files);
    const items = await stack.waitAllSettled(ids, 30_000);
    await expectRealPngs(items);
    const stats = stack.engine.stats();
    // One callback per job (notify_status off), signed, so its document is the job's state: no
    // read at all (no poll ran either; the safety net is a minute away). A file item costs
    // create, upload, start and download.
    expect(stats.callbacksSent).toBe(20);
    expect(stats.byRoute[GET_JOB] ?? 0).toBe(0);
    expect(stats.requests / 20).toBeLessThanOrEqual(4.0);
    expect(stack.manager.status().received).toBe(20);
    // Jobs were created with the callback URL through the tunnel.
    const job = await stack.client.getJob(stack.jobIds[0]!);
    expect(job.callback).toBe(`${stack.proxy.url}/callbacks/${stack.secrets.values.get(PATH_SECRET_NAME)}`);
    expect(job.notify_status).toBe(false);
  });

  it('switches to polling when the tunnel stops mid-batch, completes every item, and switches back', async () => {
    stack = await startStack({
      callbacks: true,
      liveStatus: false,
      concurrency: 2,
      faults: { conversionDelayMs: 250 },
      recheckMs: 250,
      retryMs: 250,
      callbackRetryBaseMs: 2000,
    });
    const s = stack;
    const modes = statusEvents(s.events);
    const files = await s.makeImages(30);
    const ids = await s.add(files);

    await waitFor(async () => doneCount(await s.items()) >= 6, 20_000, '6 items done via callbacks');
    await s.proxy.stop();
    await waitFor(() => s.manager.status().mode === 'polling', 5000, 'polling mode');
    // A probe already connected while the proxy shut down sees the connection closed instead of refused.
    expect(s.manager.status().reason).toMatch(/Self-test failed: (Connection refused|Wrong forwarding: .* closed the connection)/);
    const downAt = doneCount(await s.items());
    const receivedDown = s.manager.status().received;
    await waitFor(async () => doneCount(await s.items()) >= downAt + 6, 20_000, '6 more items done while polling');
    // Those completions were found by polling: no callback reached Convoy meanwhile.
    expect(s.manager.status().received).toBe(receivedDown);

    await s.proxy.start();
    await waitFor(() => s.manager.status().mode === 'callback', 5000, 'callback mode again');
    const items = await s.waitAllSettled(ids, 40_000);
    await expectRealPngs(items);
    expect(s.manager.status().received).toBeGreaterThan(receivedDown);
    const sequence = modes.map((m) => m.mode).filter((m, i, a) => i === 0 || a[i - 1] !== m);
    expect(sequence.slice(-3)).toEqual(['callback', 'polling', 'callback']);
  });

  it('a lost callback delays a result but never loses it (safety-net poll)', async () => {
    stack = await startStack({ callbacks: true, liveStatus: false, safetyMs: 400, faults: { callbackDropRate: 1 } });
    expect(stack.manager.status().mode).toBe('callback');
    const ids = await stack.add(await stack.makeImages(8));
    const items = await stack.waitAllSettled(ids, 30_000);
    await expectRealPngs(items);
    expect(stack.engine.stats().callbacksDropped).toBeGreaterThanOrEqual(8);
    expect(stack.manager.status().received).toBe(0);
  });

  it('ignores forged and broken callbacks: no item changes state, the server stays responsive', async () => {
    stack = await startStack({
      callbacks: true,
      liveStatus: false, // no status callbacks: every job read below is one a forged callback caused
      concurrency: 6,
      faults: { conversionDelayMs: 4000 },
      limits: { bodyTimeoutMs: 600 },
    });
    const s = stack;
    const ids = await s.add(await s.makeImages(6));
    await waitFor(async () => (await s.items()).every((i) => i.state === 'converting'), 15_000, 'all items converting');
    const before = (await s.items()).map((i) => [i.id, i.state, i.outputs.length]);
    s.engine.resetStats();
    const rejectedBefore = s.manager.status().rejected;
    const secret = s.secrets.values.get(PATH_SECRET_NAME)!;
    const url = `${s.proxy.url}/callbacks/${secret}`;
    const signing = s.signingSecret!;
    const json = { 'content-type': 'application/json' };
    const realJob = s.jobIds[0]!;
    const forged = JSON.stringify({
      id: realJob,
      status: { code: 'completed', info: 'done' },
      output: [{ id: 'evil', uri: 'http://127.0.0.1:9/evil.png', filename: 'evil.png', size: 10, checksum: 'x' }],
    });
    const foreign = JSON.stringify({ id: crypto.randomUUID(), status: { code: 'completed' } });
    const slow = trickle(
      '127.0.0.1',
      s.manager.stats().localPort!,
      `POST /callbacks/${secret} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${forged.length}\r\n\r\n`,
      forged,
      100,
    );
    const statuses = {
      wrongPath: (await post(`${s.proxy.url}/callbacks/${secret.slice(0, -2)}xx`, forged, { ...json, 'x-oc-signature': signBody(forged, signing) })).status,
      noSignature: (await post(url, forged, json)).status,
      badSignature: (await post(url, forged, { ...json, 'x-oc-signature': signBody(forged, 'not-the-secret') })).status,
      notOurs: (await post(url, foreign, { ...json, 'x-oc-signature': signBody(foreign, signing) })).status,
      malformed: (await post(url, '{"id":', { ...json, 'x-oc-signature': signBody('{"id":', signing) })).status,
      tenMegabytes: (await postChunked(url, 10 * 1024 * 1024, { 'x-oc-signature': 'f'.repeat(64) })).status,
      // A correctly signed body (a leaked secret) that does not match the job Convoy created
      // (no conversions of ours, outputs from nowhere) is not taken: Convoy re-reads the job.
      fakeOutput: (await post(url, forged, { ...json, 'x-oc-signature': signBody(forged, signing) })).status,
    };
    expect(statuses).toEqual({
      wrongPath: 404,
      noSignature: 401,
      badSignature: 401,
      notOurs: 404,
      malformed: 400,
      tenMegabytes: 413,
      fakeOutput: 202,
    });
    // Responsive while the trickling connection is still open.
    const t0 = Date.now();
    expect((await s.manager.probe()).mode).toBe('callback');
    expect(Date.now() - t0).toBeLessThan(1500);
    const cut = await slow;
    expect(cut.sentBytes).toBeLessThan(forged.length);

    // The forged "completed" made Convoy re-read the job, which is still processing: nothing moved.
    await waitFor(() => s.engine.stats().byRoute[GET_JOB] === 1, 3000, 'the re-read of the hinted job');
    await new Promise((r) => setTimeout(r, 200));
    expect(s.engine.stats().byRoute[GET_JOB]).toBe(1); // only the accepted one, and only once
    expect((await s.items()).map((i) => [i.id, i.state, i.outputs.length])).toEqual(before);
    expect(s.manager.status().rejected - rejectedBefore).toBe(7); // 6 above + the trickle
    expect(s.manager.stats().byReason).toMatchObject({
      wrong_path: 1,
      signature_missing: 1,
      signature_invalid: 1,
      unknown_job: 1,
      malformed_json: 1,
      too_large: 1,
      timeout: 1,
    });

    const items = await s.waitAllSettled(ids, 30_000);
    await expectRealPngs(items);
    for (const item of items) expect(item.outputs.join()).not.toContain('evil');
  });

  it('duplicated and reordered callbacks leave every item correct', async () => {
    stack = await startStack({
      callbacks: true,
      liveStatus: true,
      faults: { callbackDuplicateRate: 1, conversionDelayMs: 150 },
    });
    const s = stack;
    s.proxy.mode = 'reorder';
    const release = setInterval(() => s.proxy.releaseHeld(), 120);
    try {
      const ids = await s.add(await s.makeImages(20));
      const items = await s.waitAllSettled(ids, 40_000);
      await expectRealPngs(items);
      // Every job sent each of its status callbacks twice; all of them arrived (late, reversed).
      expect(s.engine.stats().callbacksSent).toBeGreaterThanOrEqual(2 * 20 * 2);
      await waitFor(() => (s.proxy.releaseHeld(), s.manager.status().received >= 2 * 20 * 2), 5000, 'all duplicates delivered');
      // Late duplicates for finished jobs change nothing.
      await new Promise((r) => setTimeout(r, 300));
      const after = await s.items();
      expect(after.map((i) => [i.state, i.outputs])).toEqual(items.map((i) => [i.state, i.outputs]));
      expect(fs.readdirSync(`${s.dir}/out`).sort()).toEqual(items.map((i) => i.outputs[0]!.split('/').pop()).sort());
      expect(s.proxy.maxReleased).toBeGreaterThan(1); // callbacks really were delivered out of order
    } finally {
      clearInterval(release);
    }
  });

  it('reports the status the UI and CLI show', async () => {
    stack = await startStack({ callbacks: true });
    const seen: CallbackStatus[] = statusEvents(stack.events);
    const st = await stack.manager.handlers()['callbacks.probe']!(undefined);
    expect(st).toMatchObject({ mode: 'callback', publicUrl: stack.proxy.url, lastProbe: { ok: true, reason: null } });
    expect(seen.at(-1)).toEqual(st);
  });
});
