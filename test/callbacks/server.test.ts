import crypto from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCallbackServer, type CallbackServer, type RejectReason } from '../../main/callbacks/server';
import { signBody, verifySignature } from '../../main/callbacks/signature';
import { probeKey } from '../../main/callbacks/secrets';
import { captureLog, FakeQueue } from './support/fakes';
import { post, postChunked, request, trickle } from './support/http';

const pathSecret = crypto.randomBytes(32).toString('base64url');
const signingSecret = 'whsec-test-0123456789';
let useSecret = true;
const queue = new FakeQueue();
const received: string[] = [];
const claims: boolean[] = [];
const rejected: RejectReason[] = [];
let server: CallbackServer;
let base: string;

const job = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, status: { code: 'completed' }, ...extra });
const signed = (body: string) => ({ 'content-type': 'application/json', 'x-oc-signature': signBody(body, signingSecret) });

beforeAll(async () => {
  queue.known.add('job-1');
  queue.pendingIds.add('job-creating');
  server = await startCallbackServer({
    pathSecret,
    probeKey: probeKey(pathSecret),
    signingSecret: () => (useSecret ? signingSecret : null),
    onCallback: (id, claimsEnded) => {
      received.push(id);
      claims.push(claimsEnded);
      return queue.hintJob(id);
    },
    onProbe: (nonce) => nonce === 'a'.repeat(32),
    onRejected: (r) => rejected.push(r),
    limits: { bodyTimeoutMs: 800, headersTimeoutMs: 800, requestTimeoutMs: 3000 },
    log: captureLog(),
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server?.close());
beforeEach(() => {
  useSecret = true;
  received.length = 0;
  claims.length = 0;
  rejected.length = 0;
  queue.hints.length = 0;
});

describe('signature', () => {
  it('is the lowercase hex HMAC-SHA256 of the raw body, checked exactly', () => {
    const body = Buffer.from('{"id":"x"}');
    const sig = crypto.createHmac('sha256', 'k').update(body).digest('hex');
    expect(signBody(body, 'k')).toBe(sig);
    expect(verifySignature(body, sig, 'k')).toBe(true);
    expect(verifySignature(body, sig.toUpperCase(), 'k')).toBe(false);
    expect(verifySignature(body, sig.slice(1), 'k')).toBe(false);
    expect(verifySignature(Buffer.from('{"id":"y"}'), sig, 'k')).toBe(false);
    expect(verifySignature(body, sig, 'other')).toBe(false);
    expect(verifySignature(body, undefined, 'k')).toBe(false);
    expect(verifySignature(body, [sig], 'k')).toBe(false);
  });
});

describe('callback server', () => {
  it('listens on loopback only', () => {
    expect(server.host).toBe('127.0.0.1');
  });

  it('accepts a signed callback for a known job and passes on only the job id', async () => {
    const body = job('job-1', { output: [{ uri: 'https://evil.example/x.png' }] });
    const r = await post(`${base}/callbacks/${pathSecret}`, body, signed(body));
    expect(r.status).toBe(202);
    expect(received).toEqual(['job-1']);
  });

  it("uses the body's claimed status only to tell 'ended' from status-only callbacks", async () => {
    const bodies = [
      job('job-1'),
      job('job-1', { status: { code: 'FAILED' } }),
      job('job-1', { status: { code: 'processing' } }),
      job('job-1', { status: { code: 'some-new-code' } }),
      JSON.stringify({ id: 'job-1' }),
      JSON.stringify({ id: 'job-1', status: 'garbage' }),
    ];
    for (const body of bodies) expect((await post(`${base}/callbacks/${pathSecret}`, body, signed(body))).status).toBe(202);
    expect(claims).toEqual([true, true, false, false, true, true]);
  });

  it('keeps a callback for a job whose creation is still being recorded', async () => {
    const body = job('job-creating');
    const r = await post(`${base}/callbacks/${pathSecret}`, body, signed(body));
    expect(r.status).toBe(202);
    expect(queue.hints).toEqual(['job-creating']);
  });

  it('rejects wrong paths with 404 and never reads them as callbacks', async () => {
    const body = job('job-1');
    const paths = [
      '/callbacks/' + pathSecret.slice(0, -1),
      '/callbacks/' + pathSecret + 'x',
      '/callbacks/' + pathSecret.toUpperCase(),
      '/callbacks',
      '/',
      '/callbacks/' + pathSecret + '/other',
      '/callbacks/%E0%A4%A', // not even decodable: 400
    ];
    for (const p of paths) {
      const r = await post(`${base}${p}`, body, signed(body));
      expect(r.status, p).toBe(p.includes('%') ? 400 : 404);
      expect(r.body).not.toContain(pathSecret);
    }
    expect(received).toEqual([]);
    expect(rejected.length).toBe(paths.length);
    expect((await request(`${base}/callbacks/${pathSecret}`, 'GET')).status).toBe(405);
  });

  it('rejects missing and bad signatures when a secret is set', async () => {
    const body = job('job-1');
    const cases: Array<[Record<string, string>, number]> = [
      [{ 'content-type': 'application/json' }, 401],
      [{ 'content-type': 'application/json', 'x-oc-signature': 'deadbeef' }, 401],
      [{ 'content-type': 'application/json', 'x-oc-signature': signBody(job('job-2'), signingSecret) }, 401],
      [{ 'content-type': 'application/json', 'x-oc-signature': signBody(body, 'guessed-secret') }, 401],
      [{ 'content-type': 'application/json', 'x-oc-signature': signBody(body, signingSecret).toUpperCase() }, 401],
    ];
    for (const [headers, status] of cases) expect((await post(`${base}/callbacks/${pathSecret}`, body, headers)).status).toBe(status);
    expect(received).toEqual([]);
    expect(rejected).toEqual(['signature_missing', 'signature_invalid', 'signature_invalid', 'signature_invalid', 'signature_invalid']);
  });

  it('accepts unsigned callbacks only while no secret is set', async () => {
    useSecret = false;
    const body = job('job-1');
    expect((await post(`${base}/callbacks/${pathSecret}`, body, { 'content-type': 'application/json' })).status).toBe(202);
    useSecret = true;
    expect((await post(`${base}/callbacks/${pathSecret}`, body, { 'content-type': 'application/json' })).status).toBe(401);
    expect(received).toEqual(['job-1']);
  });

  it('rejects callbacks for jobs that are not ours', async () => {
    const body = job('not-our-job');
    const r = await post(`${base}/callbacks/${pathSecret}`, body, signed(body));
    expect(r.status).toBe(404);
    expect(rejected).toEqual(['unknown_job']);
  });

  it('rejects malformed JSON, non-job bodies and other content types', async () => {
    const cases: Array<[string, Record<string, string>, number, RejectReason]> = [
      ['{"id": "job-1"', signed('{"id": "job-1"'), 400, 'malformed_json'],
      ['[1,2]', signed('[1,2]'), 422, 'not_a_job'],
      ['{"status":{"code":"completed"}}', signed('{"status":{"code":"completed"}}'), 422, 'not_a_job'],
      ['{"id":"../../etc"}', signed('{"id":"../../etc"}'), 422, 'not_a_job'],
      ['{"id":12}', signed('{"id":12}'), 422, 'not_a_job'],
      ['id=job-1', { ...signed('id=job-1'), 'content-type': 'application/x-www-form-urlencoded' }, 415, 'content_type'],
      [job('job-1'), { 'x-oc-signature': signBody(job('job-1'), signingSecret) }, 415, 'content_type'],
    ];
    for (const [body, headers, status, reason] of cases) {
      const r = await post(`${base}/callbacks/${pathSecret}`, body, headers);
      expect(r.status, body).toBe(status);
      expect(rejected.at(-1)).toBe(reason);
    }
    expect(received).toEqual([]);
  });

  it('refuses a 10 MB body (declared or streamed) without reading it, and stays responsive', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 0x20);
    const declared = await post(`${base}/callbacks/${pathSecret}`, big, { 'content-type': 'application/json' }).catch((e) => ({
      status: 0,
      body: String(e.code),
    }));
    // The server answers 413 straight from Content-Length; a client still writing may see a reset instead.
    expect([413, 0]).toContain(declared.status);
    const streamed = await postChunked(`${base}/callbacks/${pathSecret}`, 10 * 1024 * 1024);
    expect(streamed.status === 413 || streamed.error !== null).toBe(true);
    // The server stopped taking bytes long before the 10 MB were through.
    expect(streamed.sent).toBeLessThan(10 * 1024 * 1024);
    expect(rejected.filter((r) => r === 'too_large').length).toBe(2);
    const body = job('job-1');
    expect((await post(`${base}/callbacks/${pathSecret}`, body, signed(body))).status).toBe(202);
    expect(received).toEqual(['job-1']);
  });

  it('cuts off a connection that trickles its body, and answers others meanwhile', async () => {
    const body = job('job-1');
    const head =
      `POST /callbacks/${pathSecret} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `X-Oc-Signature: ${signBody(body, signingSecret)}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const trickleStarted = Date.now();
    const slow = trickle('127.0.0.1', server.port, head, body, 150);
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(`${base}/callbacks/${pathSecret}`, body, signed(body))).status).toBe(202);
    const answeredAfterMs = Date.now() - trickleStarted;
    const outcome = await slow;
    // Answered while the trickle was still on: not held up behind it (an order, which load cannot blur).
    expect(answeredAfterMs).toBeLessThan(outcome.closedAfterMs);
    expect(outcome.sentBytes).toBeLessThan(body.length);
    expect(outcome.closedAfterMs).toBeLessThan(2500);
    expect(outcome.response).toMatch(/^HTTP\/1\.1 408|^$/);
    expect(received).toEqual(['job-1']);
    expect(rejected).toContain('timeout');
  });

  it('cuts off a connection that trickles its headers (slowloris)', async () => {
    const head = `POST /callbacks/${pathSecret} HTTP/1.1\r\nHost: x\r\n`;
    const outcome = await trickle('127.0.0.1', server.port, head, 'X-Slow: ' + 'a'.repeat(200), 100);
    expect(outcome.closedAfterMs).toBeLessThan(4000);
    expect(outcome.sentBytes).toBeLessThan(200);
  });

  it('accepts only signed probes with a pending nonce', async () => {
    const key = probeKey(pathSecret);
    const good = JSON.stringify({ probe: 'a'.repeat(32) });
    const other = JSON.stringify({ probe: 'b'.repeat(32) });
    const url = `${base}/callbacks/${pathSecret}/probe`;
    expect((await post(url, good, { 'content-type': 'application/json', 'x-oc-signature': signBody(good, key) })).status).toBe(204);
    expect((await post(url, good, { 'content-type': 'application/json', 'x-oc-signature': signBody(good, 'x') })).status).toBe(400);
    expect((await post(url, other, { 'content-type': 'application/json', 'x-oc-signature': signBody(other, key) })).status).toBe(404);
    expect((await post(`${base}/callbacks/nope/probe`, good, { 'content-type': 'application/json' })).status).toBe(404);
    expect(received).toEqual([]);
  });
});

describe('idle connections', () => {
  it('256 connections that send nothing are closed after the first-byte timeout, and per address at most 64 are kept', async () => {
    const net = await import('node:net');
    const ownLimits = await startCallbackServer({
      pathSecret,
      probeKey: probeKey(pathSecret),
      signingSecret: () => signingSecret,
      onCallback: (id) => queue.hintJob(id),
      onProbe: () => false,
      onRejected: (r) => rejected.push(r),
      limits: { firstByteTimeoutMs: 3000 },
      log: captureLog(),
    });
    try {
      const closedAt: number[] = [];
      const t0 = Date.now();
      const sockets = await Promise.all(
        Array.from(
          { length: 256 },
          () =>
            new Promise<import('node:net').Socket>((resolve) => {
              const s = net.connect(ownLimits.port, '127.0.0.1', () => resolve(s));
              s.on('error', () => {});
              s.on('close', () => closedAt.push(Date.now() - t0));
            }),
        ),
      );
      // Over the per-address limit: closed at once (well before the first-byte timeout).
      for (let i = 0; i < 50 && closedAt.length < 256 - 64; i++) await new Promise((r) => setTimeout(r, 50));
      expect(closedAt.length).toBeGreaterThanOrEqual(256 - 64);
      expect(Math.max(...closedAt)).toBeLessThan(3000);
      expect(rejected.filter((r) => r === 'too_many_connections').length).toBeGreaterThanOrEqual(256 - 64);
      for (let i = 0; i < 200 && closedAt.length < 256; i++) await new Promise((r) => setTimeout(r, 50));
      expect(closedAt.length).toBe(256);
      // The slots are free again: a real callback gets through.
      const body = job('job-1');
      const res = await post(`http://127.0.0.1:${ownLimits.port}/callbacks/${pathSecret}`, body, signed(body));
      expect(res.status).toBe(202);
      for (const s of sockets) s.destroy();
    } finally {
      await ownLimits.close();
    }
  });
});
