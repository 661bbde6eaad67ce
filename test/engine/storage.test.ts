/**
 * The engine keeps no more than it needs: inputs go when their job ends (and at start, for jobs
 * that ended before), the in-process engine deletes each output once Convoy has fetched it, and
 * `convoy status` shows how much the data folder takes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createEngine, type Engine } from '../../engine/index';
import { folderSize } from '../../main/storage';
import { cliEnv, runCli } from '../cli/cli-helpers';
import { makeImages, openQueue, tmpDir, waitForBatches, type TestEngine } from '../queue/helpers';

const engines: Engine[] = [];
afterAll(async () => {
  for (const e of engines) await e.close().catch(() => {});
});

/** Job files under the engine's data folder (inputs, outputs, work), relative. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.filter((f) => f.startsWith(`files${path.sep}`));
}

async function engineFor(dataDir: string, deleteServedOutputs: boolean): Promise<TestEngine> {
  const apiKey = `storage-key-${Math.random().toString(36).slice(2)}`;
  const engine = await createEngine({ dataDir, apiKey, deleteServedOutputs }, { log: () => {} });
  engines.push(engine);
  return { engine, apiKey, dataDir, port: Number(new URL(engine.baseUrl).port), api: `${engine.baseUrl}/v2` };
}

async function convertAll(te: TestEngine, files: string[], local = false) {
  const q = openQueue(te, tmpDir('storage-data'), local ? { local: te.engine.local } : {});
  try {
    const r = await q.queue.add({ items: files.map((f) => ({ source: { kind: 'file' as const, path: f } })), target: 'png' });
    q.queue.start({ batchId: r.batchId });
    await waitForBatches(q.queue, [r.batchId]);
    q.queue.flushEvents();
    expect(q.queue.status().totals.done).toBe(files.length);
  } finally {
    await q.close();
  }
}

describe('engine storage', () => {
  it('the in-process engine keeps neither inputs nor outputs once Convoy has the results', async () => {
    const files = await makeImages(tmpDir('storage-src'), 3, { size: 64 });
    const dir = tmpDir('storage-engine');
    const te = await engineFor(dir, true);
    await convertAll(te, files);
    // Deletions are not awaited by the response: they come soon after (polled, as load may slow them).
    await vi.waitFor(() => expect(filesUnder(dir)).toEqual([]), { timeout: 5000, interval: 50 });
  });

  it('…also when Convoy takes the results by path (the in-process shortcut, no download)', async () => {
    const files = await makeImages(tmpDir('storage-src'), 3, { size: 64 });
    const dir = tmpDir('storage-engine');
    const te = await engineFor(dir, true);
    const downloads = () =>
      Object.entries(te.engine.stats().byRoute)
        .filter(([route]) => /download/i.test(route))
        .reduce((n, [, c]) => n + c, 0);
    await convertAll(te, files, true);
    expect(downloads()).toBe(0);
    await vi.waitFor(() => expect(filesUnder(dir)).toEqual([]), { timeout: 5000, interval: 50 });
  });

  it('an engine of its own deletes inputs at the job end and keeps outputs for their TTL', async () => {
    const files = await makeImages(tmpDir('storage-src2'), 2, { size: 64 });
    const dir = tmpDir('storage-engine2');
    const te = await engineFor(dir, false);
    await convertAll(te, files);
    // One folder per job: the inputs (`<id>-<name>`) are gone, each output is in its own folder.
    const left = await vi.waitFor(
      () => {
        const now = filesUnder(dir);
        expect(now).toHaveLength(2);
        return now;
      },
      { timeout: 5000, interval: 50 },
    );
    for (const f of left) expect(f.split(path.sep)).toEqual(['files', expect.any(String), expect.any(String), expect.any(String)]);
    expect(left.every((f) => f.endsWith('.png'))).toBe(true);
  });

  it('sweeps inputs of ended jobs at start', async () => {
    const files = await makeImages(tmpDir('storage-src3'), 1, { size: 64 });
    const dir = tmpDir('storage-engine3');
    const te = await engineFor(dir, false);
    await convertAll(te, files);
    await te.engine.close();
    // An input left behind by a crash (or by an older version).
    const jobDirs = fs.readdirSync(path.join(dir, 'files'));
    expect(jobDirs).toHaveLength(1);
    const kept = filesUnder(dir);
    expect(kept).toHaveLength(1); // the output
    const jobDir = path.join(dir, 'files', jobDirs[0]);
    const stale = [
      path.join(jobDir, 'inputs', 'x', 'left.jpg'), // older layouts
      path.join(jobDir, 'work', 'y', 'half.png'),
      path.join(jobDir, 'outputs', 'z', 'unrecorded.png'),
      path.join(jobDir, '0b7f0c52-6c43-4a7e-9d0e-3f1f1d1f1f1f-left.jpg'), // this one: an input
      path.join(jobDir, 'c0ffee00-0000-4000-8000-000000000000', 'half.png'), // a conversion cut short
    ];
    for (const f of stale) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, 'stale');
    }
    await engineFor(dir, false);
    expect(filesUnder(dir)).toEqual(kept);
    expect(fs.readdirSync(jobDir)).toHaveLength(1);
  });
});

describe('convoy status', () => {
  it('shows the data folder and its size', async () => {
    const home = tmpDir('storage-home');
    fs.writeFileSync(path.join(home, 'blob.bin'), Buffer.alloc(3 * 1024 * 1024));
    const { openDatabase } = await import('../../main/db');
    openDatabase(home).close();
    const bytes = await folderSize(home);
    expect(bytes).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    const text = await runCli(['status'], { env: cliEnv({ CONVOY_HOME: home }) });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`Queue in ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(data folder: 3\\.\\d MB\\)`));
    const json = await runCli(['status', '--json'], { env: cliEnv({ CONVOY_HOME: home }) });
    expect(JSON.parse(json.stdout).dataDirBytes).toBeGreaterThanOrEqual(3 * 1024 * 1024);
  });
});
