/**
 * Jobs in flight are the provider's choice unless the user chose: the in-process engine gets the
 * CPU-bound value (main/provider.ts localConcurrency), a remote API the latency-driven one, and a
 * number set in the settings (or --concurrency) wins over both, now and after a restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core';
import { localConcurrency, REMOTE_CONCURRENCY } from '../../main/provider';
import { startEngine, type TestEngine } from '../queue/helpers';

const dirs: string[] = [];
const cores: Core[] = [];
let te: TestEngine | undefined;
afterAll(async () => {
  for (const c of cores) await c.close().catch(() => {});
  await te?.engine.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-concurrency-'));
  dirs.push(d);
  return d;
}

async function core(opts: Partial<Parameters<typeof createCore>[0]>): Promise<Core> {
  const c = await createCore({ shell: 'cli', secretsBackend: 'memory', env: {}, ...opts });
  cores.push(c);
  return c;
}

it('the local engine in this process runs the CPU-bound number of jobs; the user’s setting wins, also after a restart', async () => {
  expect(localConcurrency(2)).toBe(6);
  expect(localConcurrency(1)).toBe(4);
  expect(localConcurrency(64)).toBe(64);
  const dir = dataDir();
  const c = await core({ dataDir: dir });
  expect(c.provider.kind).toBe('local');
  expect(c.provider.local).toBeDefined();
  expect(c.queue.status().concurrency).toBe(localConcurrency());
  expect((await c.handlers['settings.get'](undefined)).concurrency).toBe(localConcurrency());

  await c.handlers['settings.update']({ concurrency: 3 });
  expect(c.queue.status().concurrency).toBe(3);
  await c.close();

  const again = await core({ dataDir: dir });
  expect(again.queue.status().concurrency).toBe(3);
  expect((await again.handlers['settings.get'](undefined)).concurrency).toBe(3);
  await again.close();
});

it('a remote API runs the latency-driven number; --concurrency overrides it for the run', async () => {
  te = await startEngine();
  const remote = await core({ dataDir: dataDir(), apiBaseUrl: te.api, apiKey: te.apiKey });
  expect(remote.provider.kind).toBe('api2convert');
  expect(remote.provider.local).toBeUndefined();
  expect(remote.queue.status().concurrency).toBe(REMOTE_CONCURRENCY);
  await remote.close();

  const flagged = await core({ dataDir: dataDir(), apiBaseUrl: te.api, apiKey: te.apiKey, queue: { concurrency: 5 } });
  expect(flagged.queue.status().concurrency).toBe(5);
  await flagged.close();
});
