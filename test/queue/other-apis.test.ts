/**
 * The desktop app / browser mode continue every batch on its own API: a batch created on engine A
 * (key from the environment) that was interrupted continues on A when the app next starts talking
 * to engine B — never re-created on B — and a batch whose key is gone waits.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createCore, type Core } from '../../main/core';
import { makeImages, startEngine, tmpDir, waitFor, type TestEngine } from './helpers';

const engines: TestEngine[] = [];
const cores: Core[] = [];
afterAll(async () => {
  for (const c of cores) await c.close().catch(() => {});
  for (const e of engines) await e.engine.close();
});

it('continues a batch of another API there, with the key from where it came from', async () => {
  const a = await startEngine({ faults: { conversionDelayMs: 400 } });
  const b = await startEngine();
  engines.push(a, b);
  const files = await makeImages(tmpDir('other-src'), 6);
  const data = tmpDir('other-data');
  const out = tmpDir('other-out');

  // A run on A (key from the environment), stopped while its jobs are under way.
  const first = await createCore({
    shell: 'cli',
    dataDir: data,
    apiBaseUrl: a.api,
    env: { API2CONVERT_API_KEY: a.apiKey },
    secretsBackend: 'memory',
    queue: { outputDir: out, autoResume: false },
  });
  cores.push(first);
  const added = await first.handlers['queue.add']({
    items: files.map((f) => ({ source: { kind: 'file' as const, path: f } })),
    target: 'png',
    destination: { kind: 'folder', path: out },
  });
  await first.handlers['queue.start']({ batchId: added.batchId });
  await waitFor(() => a.engine.stats().jobsCreated >= 2, 60_000, 'jobs on A');
  await first.close();
  cores.pop();
  expect(first.queue.store).toBeDefined();

  // The app now talks to B; the batch continues on A.
  const app = await createCore({
    shell: 'browser',
    dataDir: data,
    apiBaseUrl: b.api,
    apiKey: b.apiKey,
    env: { API2CONVERT_API_KEY: a.apiKey },
    secretsBackend: 'memory',
    queue: { outputDir: out },
  });
  cores.push(app);
  await waitFor(
    () => app.queue.list({ batchId: added.batchId, offset: 0, limit: 100 }).items.every((i) => i.state === 'done'),
    120_000,
    'the batch to finish on A',
  );
  expect(a.engine.stats().jobsCreated).toBe(6);
  expect(b.engine.stats().jobsCreated).toBe(0);
  expect(fs.readdirSync(out).filter((n) => n.endsWith('.png'))).toHaveLength(6);
  await app.close();
  cores.pop();

  // Without the environment's key the batch would wait: nothing is sent anywhere.
  const more = await makeImages(tmpDir('other-src2'), 2, { prefix: 'more' });
  const again = await createCore({
    shell: 'cli',
    dataDir: data,
    apiBaseUrl: a.api,
    env: { API2CONVERT_API_KEY: a.apiKey },
    secretsBackend: 'memory',
    queue: { outputDir: out, autoResume: false },
  });
  cores.push(again);
  const second = await again.handlers['queue.add']({
    items: more.map((f) => ({ source: { kind: 'file' as const, path: f } })),
    target: 'png',
    destination: { kind: 'folder', path: out },
  });
  await again.handlers['queue.start']({ batchId: second.batchId });
  await waitFor(() => a.engine.stats().jobsCreated >= 7, 60_000, 'a job on A');
  await again.close();
  cores.pop();
  const createdOnA = a.engine.stats().jobsCreated;
  const noKey = await createCore({
    shell: 'browser',
    dataDir: data,
    apiBaseUrl: b.api,
    apiKey: b.apiKey,
    env: {},
    secretsBackend: 'memory',
    queue: { outputDir: out },
  });
  cores.push(noKey);
  await new Promise((r) => setTimeout(r, 3000));
  expect(b.engine.stats().jobsCreated).toBe(0);
  expect(a.engine.stats().jobsCreated).toBe(createdOnA);
  const log = fs.readFileSync(path.join(data, 'logs', fs.readdirSync(path.join(data, 'logs')).sort().pop()!), 'utf8');
  expect(log).toMatch(new RegExp(`batches of ${a.api.replace(/[.]/g, '\\.')} wait for their API key .*API2CONVERT_API_KEY`));
}, 300_000);
