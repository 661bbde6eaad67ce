/**
 * A lying API (a real proxy in front of the real local engine): answers that retrying cannot fix
 * fail their item with the reason, the queue never goes "offline" for them, and nothing loops.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api2ConvertClient } from '../../main/api/index';
import type { QueueStatus } from '../../preload/contract';
import { startEndlessServer, startLyingApi, type Lie, type LyingApi } from '../support/lying-api';
import { makeImages, openQueue, startEngine, tmpDir, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine;
let liar: LyingApi;
let images: string[];
beforeAll(async () => {
  te = await startEngine({ faults: { conversionDelayMs: 0 } });
  liar = await startLyingApi(te.engine.baseUrl);
  images = await makeImages(tmpDir('hostile-src'), 2);
});
afterAll(async () => {
  await liar?.close();
  await te?.engine.close();
});

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Converts one file through the liar; returns the item, what the queue's status went through and the output folder. */
async function runOne(lie: Lie, opts: { limits?: { maxOutputs?: number; maxDownloadBytes?: number }; maxJsonBytes?: number } = {}) {
  liar.lie = lie;
  const data = tmpDir('hostile-data');
  const client = new Api2ConvertClient({
    baseUrl: liar.api,
    apiKey: te.apiKey,
    timeoutMs: 10_000,
    maxJsonBytes: opts.maxJsonBytes,
    retry: { rateLimitRetries: 0, baseDelayMs: 20, maxDelayMs: 100 },
  });
  const q = openQueue({ ...te, api: liar.api }, data, { client, retry: { baseMs: 50, maxAttempts: 3 }, limits: opts.limits });
  const statuses: QueueStatus[] = [];
  q.events.on('queueStatus', (s) => statuses.push(s));
  try {
    const before = liar.requests();
    const r = await q.queue.add({ items: [{ source: { kind: 'file', path: images[0] } }], target: 'png' });
    q.queue.start({ batchId: r.batchId });
    await waitForBatches(q.queue, [r.batchId], 40_000);
    q.queue.flushEvents();
    const item = q.queue.list({ batchId: r.batchId, offset: 0, limit: 100 }).items[0];
    return { item, statuses, requests: liar.requests() - before, outDir: path.join(data, 'out') };
  } finally {
    await q.close();
    client.close();
  }
}

function finalFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => fs.statSync(path.join(dir, n)).size > 0);
}

describe('answers retrying cannot fix', () => {
  it('an output URI of file:///etc/passwd fails the item, never offline', async () => {
    const { item, statuses, requests } = await runOne({ kind: 'output-uri', uri: 'file:///etc/passwd' });
    expect(item.state).toBe('failed');
    expect(item.error?.code).toBe('bad_response');
    expect(item.error?.message).toMatch(/scheme file: is not allowed/);
    expect(statuses.some((s) => s.connection === 'offline')).toBe(false);
    expect(requests).toBeLessThan(15);
  });

  it('a refused output host fails the item after bounded retries while the API stays online', async () => {
    const port = await closedPort();
    const { item, statuses } = await runOne({ kind: 'output-uri', uri: `http://127.0.0.1:${port}/out.png` });
    expect(item.state).toBe('failed');
    expect(item.error?.message).toMatch(/Gave up after 3 attempts: The result's host cannot be reached/);
    expect(statuses.some((s) => s.connection === 'offline')).toBe(false);
  });

  it('2,000 outputs for one conversion fail the item and write nothing', async () => {
    const { item, outDir } = await runOne({ kind: 'many-outputs', count: 2000 }, { limits: { maxOutputs: 50 } });
    expect(item.state).toBe('failed');
    expect(item.error?.message).toMatch(/returned 2000 outputs for one conversion \(at most 50/);
    expect(finalFiles(outDir)).toEqual([]);
  });

  it('an endless output without a declared size is cut at the limit and fails the item, no partial file', async () => {
    const endless = await startEndlessServer();
    try {
      const { item, outDir, statuses } = await runOne({ kind: 'output-uri', uri: endless.url, size: null }, { limits: { maxDownloadBytes: 2 * 1024 * 1024 } });
      expect(item.state).toBe('failed');
      expect(item.error?.message).toMatch(/larger than the download limit/);
      expect(endless.sent()).toBeLessThan(64 * 1024 * 1024);
      expect(finalFiles(outDir)).toEqual([]);
      expect(fs.existsSync(outDir) ? fs.readdirSync(outDir).filter((n) => n.endsWith('.part')) : []).toEqual([]);
      expect(statuses.some((s) => s.connection === 'offline')).toBe(false);
    } finally {
      await endless.close();
    }
  });

  it('an output larger than its declared size is refused as soon as it passes it', async () => {
    const endless = await startEndlessServer();
    try {
      const { item } = await runOne({ kind: 'output-uri', uri: endless.url, size: 100_000 });
      expect(item.state).toBe('failed');
      expect(item.error?.message).toMatch(/larger than its declared size/);
      expect(endless.sent()).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await endless.close();
    }
  });

  it('a 50 MB job document fails the item instead of flipping the queue offline', async () => {
    const { item, statuses, requests } = await runOne({ kind: 'huge-json', bytes: 50 * 1024 * 1024 });
    expect(item.state).toBe('failed');
    expect(item.error?.code).toBe('bad_response');
    expect(item.error?.message).toMatch(/larger than 16 MiB/);
    expect(statuses.some((s) => s.connection === 'offline')).toBe(false);
    expect(requests).toBeLessThan(15);
  }, 60_000);
});
