/**
 * The client against the real local engine: a real image converted end to end, the chunked upload
 * resumed after a deliberately broken connection (bytes verified on the engine side), Idempotency-Key
 * replays, 429 storms and injected 5xx with zero failures, token/password rules, stalls.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../engine/index';
import type { Engine } from '../../engine/types';
import { Api2ConvertClient, AuthError, ConflictError, NetworkError, TimeoutError, type Job } from '../../main/api/index';
import { checksumOf } from '../support/checksum';

const KEY = crypto.randomBytes(24).toString('hex');
let dir: string;
let engine: Engine;
let client: Api2ConvertClient;
let image: string;
const logLines: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-api-engine-'));
  engine = await createEngine({ port: 0, dataDir: path.join(dir, 'engine'), apiKey: KEY }, { log: () => {} });
  client = new Api2ConvertClient({ baseUrl: `${engine.baseUrl}/v2`, apiKey: KEY, log: (l) => logLines.push(l), retry: { baseDelayMs: 50, maxDelayMs: 400 } });
  image = path.join(dir, 'photo.jpg');
  await sharp({ create: { width: 320, height: 200, channels: 3, background: { r: 30, g: 120, b: 200 } } })
    .jpeg({ quality: 90 })
    .toFile(image);
}, 60_000);

afterAll(async () => {
  client?.close();
  await engine?.close();
  fs.rmSync(dir, { recursive: true, force: true });
  // Nothing the client logged may contain the key.
  expect(logLines.join('\n')).not.toContain(KEY);
});

/** The official-client sequence for one local file: create → upload → start → wait → download. */
async function convertOne(c: Api2ConvertClient, file: string, target: string, key: string, dest: string): Promise<Job> {
  const job = await c.createJob({ process: false, conversion: [{ target }] }, { idempotencyKey: key });
  await c.uploadFile({ id: job.id, server: job.server!, token: job.token! }, file);
  await c.patchJob(job.id, { process: true });
  const done = await c.waitForJob(job.id, { poll: { initialMs: 500, maxMs: 1000 } });
  if (done.status.code !== 'completed') throw new Error(`job ${job.id} ended ${done.status.code}: ${JSON.stringify(done.errors)}`);
  await c.downloadOutput(done.output[0], dest);
  return done;
}

describe('against the local engine', () => {
  it('create → upload → PATCH → wait → download converts a real image', async () => {
    engine.resetStats();
    const progress: number[] = [];
    const job = await client.createJob({ process: false, conversion: [{ target: 'png', options: { width: 160 } }] }, { idempotencyKey: crypto.randomUUID() });
    expect(job.status.code).not.toBe('completed');
    const input = await client.uploadFile({ id: job.id, server: job.server!, token: job.token! }, image, { onProgress: (s) => progress.push(s) });
    expect(input.type).toBe('upload');
    expect(input.size).toBe(fs.statSync(image).size);
    expect(progress.at(-1)).toBe(fs.statSync(image).size);
    await client.patchJob(job.id, { process: true });
    const updates: string[] = [];
    const done = await client.waitForJob(job.id, { onUpdate: (j) => updates.push(j.status.code) });
    expect(done.status.code).toBe('completed');
    expect(updates.at(-1)).toBe('completed');
    const dest = path.join(dir, 'out', 'photo.png');
    const { size } = await client.downloadOutput(done.output[0], dest);
    expect(size).toBe(done.output[0].size);
    const meta = await sharp(dest).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(160);
    const s = engine.stats();
    expect(s.jobsCreated).toBe(1);
    expect(s.byRoute['POST /upload-file/:id']).toBe(1);
    expect(s.byRoute['PATCH /v2/jobs/:id']).toBe(1);
  });

  it('a non-ASCII file name survives the upload', async () => {
    const named = path.join(dir, 'Füße – café.jpg');
    fs.copyFileSync(image, named);
    const job = await client.createJob({ process: false, conversion: [{ target: 'png' }] });
    const input = await client.uploadFile({ id: job.id, server: job.server!, token: job.token! }, named);
    expect(input.filename).toBe('Füße – café.jpg');
    await client.deleteJob(job.id);
  });

  it('uploads authorise with the job token only; a wrong token or key is an AuthError', async () => {
    const job = await client.createJob({ process: false, conversion: [{ target: 'png' }] });
    const err = await client.uploadFile({ id: job.id, server: job.server!, token: 'not-the-token' }, image).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain('Invalid job token');
    const stranger = new Api2ConvertClient({ baseUrl: `${engine.baseUrl}/v2`, apiKey: 'wrong-key-000000000000' });
    const e2 = await stranger.getContracts().catch((e) => e);
    expect(e2).toBeInstanceOf(AuthError);
    expect(e2.message).not.toContain('wrong-key-000000000000');
    stranger.close();
    await client.deleteJob(job.id);
  });

  it('a PATCH on a finished job is a ConflictError', async () => {
    const done = await convertOne(client, image, 'webp', crypto.randomUUID(), path.join(dir, 'c.webp'));
    await expect(client.patchJob(done.id, { process: true })).rejects.toBeInstanceOf(ConflictError);
  });

  it("a client error carries the engine's X-Request-Id (in the error and its message)", async () => {
    const done = await convertOne(client, image, 'webp', crypto.randomUUID(), path.join(dir, 'r.webp'));
    const err = (await client.patchJob(done.id, { process: true }).catch((e: unknown) => e)) as ConflictError;
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(err.message).toContain(`[request id ${err.requestId}]`);
  });

  it('protected outputs need the download password, which the client sends', async () => {
    const job = await client.createJob({ process: false, conversion: [{ target: 'png' }], download_passwords: ['open-sesame-42'] });
    await client.uploadFile({ id: job.id, server: job.server!, token: job.token! }, image);
    await client.patchJob(job.id, { process: true });
    const done = await client.waitForJob(job.id, { poll: { initialMs: 500 } });
    const out = done.output[0];
    const err = await client.downloadOutput(out, path.join(dir, 'locked.png')).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    const wrong = await client.downloadOutput(out, path.join(dir, 'locked.png'), { password: 'wrong-pass-1' }).catch((e) => e);
    expect(wrong).toBeInstanceOf(AuthError);
    expect(wrong.message).not.toContain('wrong-pass-1');
    await client.downloadOutput(out, path.join(dir, 'locked.png'), { password: 'open-sesame-42' });
    expect((await sharp(path.join(dir, 'locked.png')).metadata()).format).toBe('png');
  });

  it('Idempotency-Key: the same key returns the same job, created once', async () => {
    engine.resetStats();
    const key = crypto.randomUUID();
    const a = await client.createJob({ process: false, conversion: [{ target: 'png' }] }, { idempotencyKey: key });
    const b = await client.createJob({ process: false, conversion: [{ target: 'png' }] }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    expect(engine.stats().jobsCreated).toBe(1);
    expect(engine.stats().idempotentReplays).toBe(1);
    await client.deleteJob(a.id);
  });

  it('injected 5xx: creations with keys are retried and never duplicated', async () => {
    engine.resetStats();
    engine.setFaults({ transient5xxRate: 0.4 });
    try {
      const c = new Api2ConvertClient({
        baseUrl: `${engine.baseUrl}/v2`,
        apiKey: KEY,
        retry: { retries: 8, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 100 },
      });
      // The engine's 503 asks for Retry-After: 1; capping the wait makes the client use its own backoff.
      const jobs = await Promise.all(
        Array.from({ length: 8 }, (_, i) => c.createJob({ process: false, conversion: [{ target: 'png' }] }, { idempotencyKey: `storm-${i}` })),
      );
      expect(new Set(jobs.map((j) => j.id)).size).toBe(8);
      expect(engine.stats().injected5xx).toBeGreaterThan(0);
      expect(engine.stats().jobsCreated).toBe(8);
      c.close();
    } finally {
      engine.setFaults({ transient5xxRate: 0 });
    }
  });

  it('a 429 storm (too many processing jobs) finishes every item with zero failures', async () => {
    engine.resetStats();
    engine.setFaults({ maxConcurrentJobs: 2, retryAfterSeconds: 1, conversionDelayMs: 300 });
    try {
      const items = Array.from({ length: 10 }, (_, i) => i);
      const results = await Promise.allSettled(
        items.map((i) => convertOne(client, image, 'png', `burst-${i}-${crypto.randomUUID()}`, path.join(dir, 'burst', `${i}.png`))),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
      expect(engine.stats().rejected429).toBeGreaterThan(0);
      expect(engine.stats().jobsCreated).toBe(10);
      for (const i of items) expect(fs.statSync(path.join(dir, 'burst', `${i}.png`)).size).toBeGreaterThan(0);
    } finally {
      engine.setFaults({ maxConcurrentJobs: 0, conversionDelayMs: 0 });
    }
  }, 50_000);

  it('a stalled engine times out (not hangs), and works again when the stall ends', async () => {
    const c = new Api2ConvertClient({ baseUrl: `${engine.baseUrl}/v2`, apiKey: KEY, timeoutMs: 300, retry: { retries: 0 } });
    engine.setFaults({ stall: true });
    try {
      await expect(c.getContracts()).rejects.toBeInstanceOf(TimeoutError);
    } finally {
      engine.setFaults({ stall: false });
    }
    expect(Array.isArray(await c.getContracts())).toBe(true);
    c.close();
  });
});

/** A TCP proxy that cuts upload chunk request number `cutInChunk` (0-based) after `cutAfter` bytes, once. */
async function cuttingProxy(target: URL, cutAfter: number, cutInChunk = 0) {
  let armed = true;
  let chunkRequests = 0;
  let cuts = 0;
  let forwarded = 0;
  const open = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(Number(target.port), target.hostname);
    open.add(down).add(up);
    down.once('close', () => open.delete(down));
    up.once('close', () => open.delete(up));
    let sent = 0;
    let uploadFrom = -1;
    down.on('data', (chunk: Buffer) => {
      // A chunk request starts here (keep-alive: not necessarily the connection's first request).
      const head = chunk.toString('latin1', 0, 4096);
      if (/^POST \S*\/upload-file\//m.test(head) && /content-range: bytes \d/i.test(head)) {
        uploadFrom = chunkRequests++ === cutInChunk ? sent : -1;
      }
      sent += chunk.length;
      forwarded += chunk.length;
      if (armed && uploadFrom >= 0 && sent - uploadFrom > cutAfter) {
        armed = false;
        cuts++;
        down.destroy();
        up.destroy();
        return;
      }
      up.write(chunk);
    });
    up.on('data', (c) => down.write(c));
    up.on('error', () => down.destroy());
    down.on('error', () => up.destroy());
    up.on('close', () => down.destroy());
    down.on('close', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    cuts: () => cuts,
    forwarded: () => forwarded,
    arm: () => (armed = true),
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('chunked, resumable upload against the engine', () => {
  const checksumOfFile = (f: string) => checksumOf(fs.readFileSync(f));

  it('resumes after a deliberately broken connection; the engine holds exactly the file', async () => {
    const file = path.join(dir, 'large.bin');
    fs.writeFileSync(file, crypto.randomBytes(5 * 1024 * 1024 + 12345));
    const engineUrl = new URL(engine.baseUrl);
    const proxy = await cuttingProxy(engineUrl, 1_500_000); // mid-way through the first 2 MiB chunk
    const job = await client.createJob({ process: false, conversion: [{ target: 'png' }] });
    const server = job.server!.replace(engine.baseUrl, proxy.origin);
    const progress: number[] = [];
    const input = await client.uploadFile({ id: job.id, server, token: job.token! }, file, {
      chunkSize: 2 * 1024 * 1024,
      uploadUuid: `resume-${job.id}`,
      onProgress: (s) => progress.push(s),
    });
    expect(proxy.cuts()).toBe(1);
    expect(input.size).toBe(fs.statSync(file).size);
    expect(input.checksum).toBe(checksumOfFile(file));
    // Continued where it broke off: far less than the file twice went over the wire.
    expect(proxy.forwarded()).toBeLessThan(fs.statSync(file).size * 1.5);
    expect(progress.at(-1)).toBe(fs.statSync(file).size);
    const again = await client.getJob(job.id);
    expect(again.input.filter((i) => i.type === 'upload')).toHaveLength(1);
    await proxy.close();
    await client.deleteJob(job.id);
  });

  it('a new process with the same uploadUuid continues the broken upload instead of starting over', async () => {
    const file = path.join(dir, 'restart.bin');
    fs.writeFileSync(file, crypto.randomBytes(3 * 1024 * 1024));
    const proxy = await cuttingProxy(new URL(engine.baseUrl), 500_000, 1); // half-way through the second chunk
    const job = await client.createJob({ process: false, conversion: [{ target: 'png' }] });
    const server = job.server!.replace(engine.baseUrl, proxy.origin);
    const uuid = `item-${job.id}`;
    const first = new Api2ConvertClient({ baseUrl: `${engine.baseUrl}/v2`, apiKey: KEY, retry: { retries: 0 } });
    await expect(first.uploadFile({ id: job.id, server, token: job.token! }, file, { chunkSize: 1024 * 1024, uploadUuid: uuid })).rejects.toBeInstanceOf(
      NetworkError,
    );
    first.close();
    // What the engine holds (its status endpoint, once the broken chunk's last bytes have landed),
    // and what goes over the wire from here on.
    const heldNow = async () => {
      const r = await fetch(`${job.server}/upload-file/${job.id}`, { headers: { 'X-Api2convert-Token': job.token!, 'X-Oc-Upload-Uuid': uuid } });
      return ((await r.json()) as { received: number }).received;
    };
    let held = await heldNow();
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const again = await heldNow();
      if (again === held) break;
      held = again;
    }
    expect(held).toBeGreaterThanOrEqual(1024 * 1024); // at least the first chunk
    const before = proxy.forwarded();
    const second = new Api2ConvertClient({ baseUrl: `${engine.baseUrl}/v2`, apiKey: KEY });
    const input = await second.uploadFile({ id: job.id, server, token: job.token! }, file, { chunkSize: 1024 * 1024, uploadUuid: uuid });
    second.close();
    expect(input.checksum).toBe(checksumOfFile(file));
    // The second run sent only what the engine was missing (plus headers and framing), not 3 MiB.
    const resent = proxy.forwarded() - before;
    expect(resent).toBeGreaterThanOrEqual(fs.statSync(file).size - held);
    expect(resent).toBeLessThan(fs.statSync(file).size - held + 16 * 1024);
    // Asking again after completion returns the same input, not a second one.
    const third = await client.uploadFile({ id: job.id, server: job.server!, token: job.token! }, file, { chunkSize: 1024 * 1024, uploadUuid: uuid });
    expect(third.id).toBe(input.id);
    expect((await client.getJob(job.id)).input).toHaveLength(1);
    await proxy.close();
    await client.deleteJob(job.id);
  });
});
