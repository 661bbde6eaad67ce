/**
 * Callbacks: the full job JSON to `callback` on completed/failed (every status change with
 * notify_status), retried on 5xx and timeouts, never on 4xx, signed when a secret is set.
 */
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { photo } from './support/images';
import { specMissing, validateResponse } from './support/openapi';
import { startCallbackReceiver, type CallbackReceiver } from './support/servers';
import { startTestEngine, type TestEngine } from './support/engine';

const missing = specMissing();
if (missing) console.warn(`SKIPPED engine callback tests: ${missing}`);

const SECRET = 'callback-signing-secret';

describe.skipIf(!!missing)('engine callbacks', () => {
  let t: TestEngine;
  let cb: CallbackReceiver;
  let jpg: Buffer;
  const input = () => [{ type: 'base64', source: jpg.toString('base64'), filename: 'c.jpg' }];

  beforeAll(async () => {
    t = await startTestEngine({ callbackSecret: SECRET, callbackRetryBaseMs: 50 });
    jpg = await photo(40, 30);
  });
  afterAll(async () => {
    await t?.stop();
  });
  afterEach(async () => {
    t.engine.setFaults({ callbackDropRate: 0, callbackDuplicateRate: 0 });
    await cb?.close();
  });

  it('posts the full job once when it completes (notify_status false), signed', async () => {
    cb = await startCallbackReceiver();
    const job = (await t.api.post('/v2/jobs', { input: input(), conversion: [{ target: 'png' }], callback: cb.url, notify_status: false })).body;
    const [got] = await cb.waitFor((l) => l.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(cb.received).toHaveLength(1);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.body.id).toBe(job.id);
    expect(got.body.status.code).toBe('completed');
    // Same document as GET /v2/jobs/{id}.
    validateResponse('GET', `/v2/jobs/${job.id}`, 200, got.body);
    const polled = (await t.api.get(`/v2/jobs/${job.id}`)).body;
    expect(got.body.output).toEqual(polled.output);
    const expected = crypto.createHmac('sha256', SECRET).update(got.raw).digest('hex');
    expect(got.headers['x-oc-signature']).toBe(expected);
  });

  it('posts on every status change with notify_status true, in order', async () => {
    cb = await startCallbackReceiver();
    const job = (await t.api.post('/v2/jobs', { process: false, input: input(), conversion: [{ target: 'png' }], callback: cb.url, notify_status: true })).body;
    await t.api.patch(`/v2/jobs/${job.id}`, { process: true });
    await cb.waitFor((l) => l.some((c) => c.body.status.code === 'completed'));
    const codes = cb.received.map((c) => c.body.status.code);
    expect(codes).toEqual(['queued', 'processing', 'completed']);
    for (const c of cb.received) expect(c.body.id).toBe(job.id);
  });

  it('posts a failure, and with notify_status a cancel', async () => {
    cb = await startCallbackReceiver();
    const bad = (
      await t.api.post('/v2/jobs', {
        input: [{ type: 'base64', source: Buffer.from('not an image').toString('base64'), filename: 'x.jpg' }],
        conversion: [{ target: 'png' }],
        callback: cb.url,
      })
    ).body;
    await cb.waitFor((l) => l.length >= 1);
    expect(cb.received[0].body).toMatchObject({ id: bad.id, status: { code: 'failed' } });
    expect(cb.received[0].body.errors.length).toBeGreaterThan(0);
    const open = (await t.api.post('/v2/jobs', { process: false, callback: cb.url, notify_status: true })).body;
    await t.api.del(`/v2/jobs/${open.id}`);
    await cb.waitFor((l) => l.some((c) => c.body.id === open.id && c.body.status.code === 'canceled'));
  });

  it('retries on 5xx with backoff until acknowledged', async () => {
    cb = await startCallbackReceiver();
    cb.respond = (n) => (n <= 3 ? 503 : 200);
    t.engine.resetStats();
    await t.api.post('/v2/jobs', { input: input(), conversion: [{ target: 'png' }], callback: cb.url });
    await cb.waitFor((l) => l.length >= 4);
    const gaps = cb.received.slice(1).map((c, i) => c.at - cb.received[i].at);
    // Backoff doubles: 50, 100, 200 ms (± scheduling).
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
    await new Promise((r) => setTimeout(r, 300));
    expect(cb.received).toHaveLength(4);
    expect(t.engine.stats().callbacksSent).toBe(1);
  });

  it('does not retry a 4xx', async () => {
    cb = await startCallbackReceiver();
    cb.respond = 404;
    t.engine.resetStats();
    await t.api.post('/v2/jobs', { input: input(), conversion: [{ target: 'png' }], callback: cb.url });
    await cb.waitFor((l) => l.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(cb.received).toHaveLength(1);
    expect(t.engine.stats().callbacksFailed).toBe(1);
  });

  it('gives the first attempt 3 s, then retries a receiver that timed out', async () => {
    cb = await startCallbackReceiver();
    cb.respond = (n) => (n === 1 ? 'hang' : 200);
    await t.api.post('/v2/jobs', { input: input(), conversion: [{ target: 'png' }], callback: cb.url });
    await cb.waitFor((l) => l.length >= 2, 8000);
    const gap = cb.received[1].at - cb.received[0].at;
    expect(gap).toBeGreaterThanOrEqual(2900);
    expect(gap).toBeLessThan(4500);
  }, 15_000);

  it('gives up after 10 retries', async () => {
    cb = await startCallbackReceiver();
    cb.respond = 500;
    const quick = await startTestEngine({ callbackRetryBaseMs: 2 });
    try {
      await quick.api.post('/v2/jobs', { input: input(), conversion: [{ target: 'png' }], callback: cb.url });
      // Backoff 2 ms doubling, 10 retries: about 2 s in all.
      await cb.waitFor((l) => l.length >= 11, 12_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(cb.received).toHaveLength(11);
      expect(quick.engine.stats().callbacksFailed).toBe(1);
      // Unsigned without a secret.
      expect(cb.received[0].headers['x-oc-signature']).toBeUndefined();
    } finally {
      await quick.stop();
    }
  }, 20_000);

  it('drops or duplicates callbacks when told to (fault injection)', async () => {
    cb = await startCallbackReceiver();
    t.engine.setFaults({ callbackDropRate: 1 });
    t.engine.resetStats();
    const dropped = (await t.api.post('/v2/jobs', { input: input(), conversion: [{ target: 'png' }], callback: cb.url })).body;
    await t.api.waitFor(dropped.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(cb.received).toHaveLength(0);
    expect(t.engine.stats().callbacksDropped).toBe(1);

    t.engine.setFaults({ callbackDropRate: 0, callbackDuplicateRate: 1 });
    const dup = (await t.api.post('/v2/jobs', { input: input(), conversion: [{ target: 'png' }], callback: cb.url })).body;
    await cb.waitFor((l) => l.length >= 2);
    expect(cb.received.map((c) => c.body.id)).toEqual([dup.id, dup.id]);
    expect(cb.received[0].raw).toBe(cb.received[1].raw);
  });
});
