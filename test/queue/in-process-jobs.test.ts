/**
 * Jobs created, started and read in-process (the client's LocalExchange over engine.local) instead
 * of over loopback HTTP: the same answers and typed errors as the routes, Idempotency-Key replays
 * included, and HTTP again once that engine has closed.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/client';
import { AuthError, NetworkError, NotFoundError, RateLimitError, ValidationError } from '../../main/api/errors';
import { inProcessExchange } from '../../main/provider';
import { makeImages, openQueue, startEngine, tmpDir, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine;

beforeAll(async () => {
  te = await startEngine();
});

afterAll(async () => {
  await te?.engine.close();
});

const routes = () => te.engine.stats().byRoute;
const delta = (before: Record<string, number>, key: string) => (routes()[key] ?? 0) - (before[key] ?? 0);
const clientFor = (t: TestEngine, apiKey = t.apiKey) =>
  new Api2ConvertClient({
    baseUrl: t.api,
    apiKey,
    timeoutMs: 5_000,
    retry: { retries: 0, rateLimitRetries: 0 },
    local: inProcessExchange(t.engine.local!, t.api),
  });

it('creates, replays, starts and reads a job in-process, with the answers and errors of the routes', async () => {
  const client = clientFor(te);
  const before = { ...routes() };
  const seen: number[] = [];
  const body = { conversion: [{ target: 'png' }], process: false };
  const job = await client.createJob(body, { idempotencyKey: 'in-process-1', onResponse: (r) => seen.push(r.status) });
  expect(job.status.code).toBe('incomplete');
  expect(job.token).toBeTruthy();
  // The same key and body: the engine replays the job instead of creating another.
  const created = te.engine.stats().jobsCreated;
  expect((await client.createJob(body, { idempotencyKey: 'in-process-1' })).id).toBe(job.id);
  expect(te.engine.stats().jobsCreated).toBe(created);
  expect((await client.getJob(job.id)).id).toBe(job.id);
  // Nothing went over HTTP; the response hook saw each answer as it would over HTTP.
  expect(delta(before, 'POST /v2/jobs')).toBe(0);
  expect(delta(before, 'GET /v2/jobs/:id')).toBe(0);
  expect(delta(before, 'local POST /v2/jobs')).toBe(2);
  expect(delta(before, 'local GET /v2/jobs/:id')).toBe(1);
  expect(seen).toEqual([201]);

  // Refusals are the routes' own, as the client's typed errors.
  await expect(client.createJob({ conversion: [{ target: 42 }] } as never)).rejects.toBeInstanceOf(ValidationError);
  await expect(client.getJob('no-such-job')).rejects.toBeInstanceOf(NotFoundError);
  await expect(clientFor(te, 'not-the-key').getJob(job.id)).rejects.toBeInstanceOf(AuthError);
  // A job with no input cannot start: the route's 4xx, with its message.
  await expect(client.patchJob(job.id, { process: true })).rejects.toThrow(/PATCH \/jobs\/.+ failed: 4\d\d/);
  expect(delta(before, 'PATCH /v2/jobs/:id')).toBe(0);
  expect(delta(before, 'local PATCH /v2/jobs/:id')).toBe(1);
});

it('honours the busy limit with a 429 and its Retry-After', async () => {
  const client = clientFor(te);
  te.engine.setFaults({ maxConcurrentJobs: 1, retryAfterSeconds: 7 });
  try {
    const files = await makeImages(tmpDir('in-process-busy'), 1);
    const running = await client.createJob({ conversion: [{ target: 'png' }], process: false });
    await te.engine.local!.attachFile(running.id, running.token!, files[0], path.basename(files[0]));
    te.engine.setFaults({ conversionDelayMs: 3_000 });
    await client.patchJob(running.id, { process: true });
    const err = await client
      .createJob({ input: [{ type: 'remote', source: 'http://127.0.0.1:9/x.jpg' }], conversion: [{ target: 'png' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfterMs).toBe(7_000);
  } finally {
    te.engine.setFaults({ maxConcurrentJobs: 0, conversionDelayMs: 0 });
  }
});

it('runs a batch through the queue without one job request over HTTP', async () => {
  const files = await makeImages(tmpDir('in-process-src'), 6);
  const data = tmpDir('in-process-queue');
  const q = openQueue(te, data, { local: te.engine.local, client: clientFor(te) });
  try {
    await q.queue.handlers()['conversions.list']!(undefined);
    const before = { ...routes() };
    const r = await q.queue.add({ items: files.map((f) => ({ source: { kind: 'file' as const, path: f } })), target: 'png' });
    q.queue.start({ batchId: r.batchId });
    await waitForBatches(q.queue, [r.batchId], 20_000);
    expect(q.queue.list({ batchId: r.batchId, offset: 0, limit: 50 }).items.map((i) => i.state)).toEqual(files.map(() => 'done'));
    expect(delta(before, 'local POST /v2/jobs')).toBe(files.length);
    expect(delta(before, 'local PATCH /v2/jobs/:id')).toBe(files.length);
    for (const key of ['POST /v2/jobs', 'PATCH /v2/jobs/:id', 'GET /v2/jobs/:id', 'POST /upload-file/:id']) expect(delta(before, key), key).toBe(0);
  } finally {
    await q.close();
  }
});

it('goes over HTTP once the engine has closed', async () => {
  const other = await startEngine();
  const client = clientFor(other);
  const job = await client.createJob({ conversion: [{ target: 'png' }], process: false });
  await other.engine.close();
  expect(other.engine.local!.isOpen()).toBe(false);
  // Nothing answers at its address any more: a network error, not a call into a closed engine.
  await expect(client.getJob(job.id)).rejects.toBeInstanceOf(NetworkError);
});
