/** Fault injection: latency, 429 with Retry-After, transient 503s, stalls — and their reset. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from './support/images';
import { specMissing } from './support/openapi';
import { startTestEngine, type TestEngine } from './support/engine';

const missing = specMissing();
if (missing) console.warn(`SKIPPED engine fault tests: ${missing}`);

describe.skipIf(!!missing)('engine fault injection', () => {
  let t: TestEngine;
  let jpg: Buffer;
  const body = () => ({ input: [{ type: 'base64', source: jpg.toString('base64'), filename: 'f.jpg' }], conversion: [{ target: 'png' }] });

  beforeAll(async () => {
    t = await startTestEngine();
    jpg = await photo(40, 30);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is all off by default', async () => {
    const started = Date.now();
    for (let i = 0; i < 20; i++) expect((await t.api.get('/v2/statuses')).status).toBe(200);
    // 20 × the 150 ms latency fault would be 3 s; a loaded machine needs the margin below it.
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('adds latency to every request', async () => {
    t.engine.setFaults({ latencyMs: 150 });
    try {
      const started = Date.now();
      await t.api.get('/v2/statuses');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      t.engine.setFaults({ latencyMs: 0 });
    }
  });

  it('answers 429 with Retry-After when too many jobs are processing, only for requests that would start one', async () => {
    t.engine.setFaults({ maxConcurrentJobs: 1, retryAfterSeconds: 7, conversionDelayMs: 1500 });
    try {
      const first = await t.api.post('/v2/jobs', body());
      expect(first.status).toBe(201);
      const second = await t.api.post('/v2/jobs', body());
      expect(second.status).toBe(429);
      expect(second.headers.get('retry-after')).toBe('7');
      expect(second.body.message).toMatch(/Too many/);
      // Creating a job that does not start is fine; starting it is not.
      const parked = await t.api.post('/v2/jobs', { ...body(), process: false });
      expect(parked.status).toBe(201);
      expect((await t.api.patch(`/v2/jobs/${parked.body.id}`, { process: true })).status).toBe(429);
      await t.api.waitFor(first.body.id);
      expect((await t.api.patch(`/v2/jobs/${parked.body.id}`, { process: true })).status).toBe(200);
      expect(t.engine.stats().rejected429).toBeGreaterThanOrEqual(2);
    } finally {
      t.engine.setFaults({ maxConcurrentJobs: 0, conversionDelayMs: 0 });
    }
  });

  it('answers a share of requests with 503 before doing anything', async () => {
    t.engine.setFaults({ transient5xxRate: 1 });
    t.engine.resetStats();
    const res = await t.api.post('/v2/jobs', body());
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(t.engine.stats()).toMatchObject({ jobsCreated: 0, injected5xx: 1 });
    t.engine.setFaults({ transient5xxRate: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 60 }, () => t.api.get('/v2/statuses').then((r) => r.status)));
    // Spread evenly, not drawn: every run fails exactly half, so a test of a few requests sees some.
    expect(statuses.filter((s) => s === 503).length).toBe(30);
    t.engine.setFaults({ transient5xxRate: 0.4 });
    const few = [];
    for (let i = 0; i < 5; i++) few.push((await t.api.get('/v2/statuses')).status);
    expect(few).toEqual([200, 503, 200, 503, 200]);
    t.engine.setFaults({ transient5xxRate: 0 });
  });

  it('stalls: accepts connections but answers nothing until the stall is lifted', async () => {
    t.engine.setFaults({ stall: true });
    let answered = false;
    const pending = t.api.get('/v2/statuses').then((r) => {
      answered = true;
      return r.status;
    });
    const aborted = fetch(`${t.engine.baseUrl}/v2/statuses`, { signal: AbortSignal.timeout(300) }).then(
      () => 'answered',
      (e: Error) => e.name,
    );
    expect(await aborted).toBe('TimeoutError');
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false);
    t.engine.setFaults({ stall: false });
    expect(await pending).toBe(200);
  });

  it('rejects invalid fault values', () => {
    expect(() => t.engine.setFaults({ transient5xxRate: 2 })).toThrow(/transient5xxRate/);
    expect(() => t.engine.setFaults({ latencyMs: -1 })).toThrow(/latencyMs/);
  });
});
