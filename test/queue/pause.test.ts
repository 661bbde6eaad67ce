/**
 * Pause and Resume (`queue.pause`): a paused queue creates no job; the files converting when it
 * paused finish and download; the pause outlives a restart; Resume (or a new start) goes on; a
 * command line run is not held by the app's pause.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../cli/cli-helpers';
import type { QueueStatus } from '../../preload/contract';
import { makeImages, openQueue, startEngine, tmpDir, waitFor, waitForBatches, type TestEngine } from './helpers';

let te: TestEngine;
let files: string[];
beforeAll(async () => {
  te = await startEngine({ faults: { latencyMs: 2 } });
  files = await makeImages(tmpDir('pause-src'), 4);
});
afterAll(async () => {
  await te?.engine.close();
});

const jobsCreated = () => te.engine.stats().byRoute['POST /v2/jobs'] ?? 0;

it('a paused queue starts no job, lets the one under way finish, keeps the pause across a restart and goes on when resumed', async () => {
  te.engine.setFaults({ conversionDelayMs: 1200 });
  const data = tmpDir('pause');
  let q = openQueue(te, data, { concurrency: 1, shell: 'electron' });
  const statuses: QueueStatus[] = [];
  q.events.on('queueStatus', (s) => statuses.push(s));
  try {
    const r = await q.queue.add({ items: files.map((path) => ({ source: { kind: 'file' as const, path } })), target: 'png' });
    const before = jobsCreated();
    q.queue.start({ batchId: r.batchId });
    await waitFor(() => q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items.some((i) => i.state === 'converting'), 10_000, 'one converting');
    // Through the contract: the answer is the new status, and every window hears it.
    const paused = await q.queue.handlers()['queue.pause']!({ paused: true });
    expect(paused.paused).toBe(true);
    await waitFor(() => statuses.some((s) => s.paused), 2000, 'a paused status event');
    // The one under way finishes; no other job is created.
    await waitFor(() => q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items.some((i) => i.state === 'done'), 15_000, 'the first done');
    await new Promise((res) => setTimeout(res, 1500));
    const states = q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items.map((i) => i.state);
    expect(states.filter((s) => s === 'done')).toHaveLength(1);
    expect(states.filter((s) => s === 'queued')).toHaveLength(3);
    expect(jobsCreated()).toBe(before + 1);

    // A restart: still paused, nothing starts.
    await q.close();
    q = openQueue(te, data, { concurrency: 1, shell: 'electron' });
    expect(q.queue.status().paused).toBe(true);
    await new Promise((res) => setTimeout(res, 800));
    expect(jobsCreated()).toBe(before + 1);

    te.engine.setFaults({ conversionDelayMs: 0 });
    expect((await q.queue.handlers()['queue.pause']!({ paused: false })).paused).toBe(false);
    await waitForBatches(q.queue, [r.batchId], 30_000);
    expect(q.queue.list({ batchId: r.batchId, offset: 0, limit: 10 }).items.map((i) => i.state)).toEqual(['done', 'done', 'done', 'done']);
    expect(jobsCreated()).toBe(before + 4);
  } finally {
    te.engine.setFaults({ conversionDelayMs: 0 });
    await q.close();
  }
}, 60_000);

it('a command line run is not held by the app’s pause, and cannot pause', async () => {
  const data = tmpDir('pause-cli');
  const app = openQueue(te, data, { shell: 'electron' });
  await app.queue.handlers()['queue.pause']!({ paused: true });
  await app.close();
  // `convoy status` says so.
  const status = await runCli(['status', '--data-dir', data]);
  expect(status.stdout).toContain('Paused in the app: it starts no new file until Resume');
  expect(JSON.parse((await runCli(['status', '--data-dir', data, '--json'])).stdout)).toMatchObject({ paused: true });
  const cli = openQueue(te, data, { shell: 'cli' });
  try {
    expect(cli.queue.status().paused).toBe(false);
    await expect(cli.queue.handlers()['queue.pause']!({ paused: true })).rejects.toMatchObject({ code: 'invalid_argument' });
    const r = await cli.queue.add({ items: [{ source: { kind: 'file', path: files[0] } }], target: 'png' });
    cli.queue.start({ batchId: r.batchId });
    await waitForBatches(cli.queue, [r.batchId], 30_000);
    expect(cli.queue.list({ batchId: r.batchId, offset: 0, limit: 1 }).items[0].state).toBe('done');
  } finally {
    await cli.close();
  }
}, 60_000);
