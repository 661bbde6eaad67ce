/** waitForJob against a scripted server: rhythm, unknown statuses, wake-ups, limits, transient errors. */
import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, TimeoutError, isTerminal } from '../../main/api/index';
import { fastClient, json, sampleJob, startServer, type TestServer } from './helpers';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('isTerminal', () => {
  it('only completed, failed and canceled are terminal', () => {
    for (const code of ['completed', 'failed', 'canceled']) expect(isTerminal({ status: { code } })).toBe(true);
    for (const code of ['created', 'incomplete', 'ready', 'queued', 'downloading', 'pending', 'processing', 'unknown', 'transmogrifying']) {
      expect(isTerminal({ status: { code } })).toBe(false);
    }
  });
});

describe('waitForJob', () => {
  it('polls at the configured rhythm until a terminal status, treating unknown codes as not finished', async () => {
    const codes = ['processing', 'transmogrifying', 'queued', 'completed'];
    const times: number[] = [];
    server = await startServer((_req, res, _b, i) => {
      times.push(Date.now());
      json(res, 200, sampleJob({ status: { code: codes[i] } }));
    });
    const client = fastClient(`${server.url}/v2`);
    const updates: string[] = [];
    const started = Date.now();
    const job = await client.waitForJob('job-1', {
      poll: { initialMs: 500, factor: 1.5, maxMs: 700, jitter: 0 },
      onUpdate: (j) => updates.push(j.status.code),
    });
    expect(job.status.code).toBe('completed');
    expect(updates).toEqual(codes);
    const gaps = [times[0] - started, times[1] - times[0], times[2] - times[1], times[3] - times[2]];
    // 500, 700 (750 capped), 700, 700 — each at least that, not much more.
    expect(gaps[0]).toBeGreaterThanOrEqual(495);
    for (const g of gaps.slice(1)) expect(g).toBeGreaterThanOrEqual(695);
    for (const g of gaps) expect(g).toBeLessThan(1_200);
    client.close();
  });

  it('a wake-up (callback) cuts the wait short', async () => {
    server = await startServer((_req, res) => json(res, 200, sampleJob({ status: { code: 'completed' } })));
    const client = fastClient(`${server.url}/v2`);
    const listeners = new Set<() => void>();
    const wake = (l: () => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    };
    setTimeout(() => listeners.forEach((l) => l()), 50);
    const started = Date.now();
    await client.waitForJob('job-1', { poll: { initialMs: 30_000 }, wake });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(listeners.size).toBe(0); // unsubscribed
    client.close();
  });

  it('gives up after totalMs with a TimeoutError naming the last status', async () => {
    server = await startServer((_req, res) => json(res, 200, sampleJob({ status: { code: 'processing' } })));
    const client = fastClient(`${server.url}/v2`);
    const started = Date.now();
    const err = await client.waitForJob('job-1', { poll: { initialMs: 500, jitter: 0, totalMs: 1_200 } }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toContain('job-1');
    expect(err.message).toContain('processing');
    expect(Date.now() - started).toBeLessThan(2_500);
    client.close();
  });

  it('waits out transient failures while polling', async () => {
    server = await startServer((_req, res, _b, i) => (i < 2 ? json(res, 503, { message: 'busy' }) : json(res, 200, sampleJob({ status: { code: 'failed' } }))));
    const client = fastClient(`${server.url}/v2`, { retry: { retries: 0 } });
    const job = await client.waitForJob('job-1', { poll: { initialMs: 500, factor: 1, jitter: 0 } });
    expect(job.status.code).toBe('failed');
    expect(server.requests).toHaveLength(3);
    client.close();
  });

  it('a vanished job ends the wait at once', async () => {
    server = await startServer((_req, res) => json(res, 404, { message: 'The specified job does not exist' }));
    const client = fastClient(`${server.url}/v2`);
    await expect(client.waitForJob('job-1', { poll: { initialMs: 500 } })).rejects.toBeInstanceOf(NotFoundError);
    expect(server.requests).toHaveLength(1);
    client.close();
  });

  it('abort stops waiting', async () => {
    server = await startServer((_req, res) => json(res, 200, sampleJob({ status: { code: 'processing' } })));
    const client = fastClient(`${server.url}/v2`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(client.waitForJob('job-1', { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(0);
    client.close();
  });
});
