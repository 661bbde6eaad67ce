/**
 * The crash-loop guard: a unit whose conversion ends the process must not be retried at every
 * start forever, and the rest of its batch must finish.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/db';
import { PassThrough } from 'node:stream';
import statusCommand from '../../main/shells/commands/status';
import { QueueStore, TransitionError } from '../../main/queue/store';
import { makeImages, repoRoot, startEngine, tmpDir } from './helpers';

const crashingConverter = path.join(repoRoot, 'test/queue/fixtures/crashing-converter.ts');
const crashingUpload = path.join(repoRoot, 'test/queue/fixtures/crashing-upload.ts');

/** Runs a fixture the way a supervisor would (restart whenever it dies) until it exits 0; the exit codes. */
async function superviseUntilDone(fixture: string, args: string[]): Promise<Array<number | null>> {
  const exits: Array<number | null> = [];
  for (let run = 0; run < 8; run++) {
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
      let stderr = '';
      p.stderr.on('data', (c) => (stderr += c));
      p.on('close', (status) => resolve({ status, stderr }));
    });
    exits.push(r.status);
    if (r.status === 0) break;
    expect(r.status, r.stderr).toBe(70); // only the test's crash ends it
  }
  return exits;
}

/** The batch after the runs: only `crashOn` failed, with `message`; every other item is done, its result on disk. */
function expectOnlyFailed(data: string, crashOn: string, message: RegExp): void {
  const db = openDatabase(data);
  try {
    const items = new QueueStore(db).listItems(undefined, 0, 100).items;
    expect(items).toHaveLength(50);
    const failed = items.filter((i) => i.state === 'failed');
    expect(failed.map((i) => `${i.label}: ${i.error?.message}`)).toEqual([expect.stringMatching(new RegExp(`^${crashOn}: .*${message.source}`))]);
    const done = items.filter((i) => i.state === 'done');
    expect(done).toHaveLength(49);
    for (const i of done) expect(fs.existsSync(i.outputs[0].path!)).toBe(true);
  } finally {
    db.close();
  }
}

describe('crash-loop guard', () => {
  it('a file whose conversion kills the process fails with "crashed" after a bounded number of starts; the other 49 are done', async () => {
    const data = tmpDir('crash');
    const images = tmpDir('crash-img');
    await makeImages(images, 50);
    const crashOn = 'img-017.jpg';
    // Died three times (the guard's bound), then ran to the end: no restart loop. The queue's
    // steps running beside the conversion (other items' downloads) are not blamed: the in-process
    // engine tells the queue the end was during its conversion.
    expect(await superviseUntilDone(crashingConverter, [data, images, crashOn])).toEqual([70, 70, 70, 0]);
    expectOnlyFailed(data, crashOn, /crashed Convoy 3 times \(the process ended while converting\)/);
  }, 300_000);

  it('a file whose upload kills the process fails after three starts, though other items were mid-step each time; the other 49 are done', async () => {
    const te = await startEngine();
    try {
      const data = tmpDir('crash-up');
      const images = tmpDir('crash-up-img');
      await makeImages(images, 50);
      const crashOn = 'img-005.jpg';
      // Every item's steps run beside others' (8 uploads at once), so each end of the process also
      // finds innocent steps running: those run alone next time and are not blamed again.
      expect(await superviseUntilDone(crashingUpload, [data, images, crashOn, te.api, te.apiKey])).toEqual([70, 70, 70, 0]);
      expectOnlyFailed(data, crashOn, /crashed Convoy 3 times \(the process ended while it was uploading\)/);
    } finally {
      await te.engine.close();
    }
  }, 300_000);

  it('a step still marked running at the next start counts as a crash; after three the items fail with "crashed Convoy 3 times"', () => {
    const db = openDatabase(tmpDir('crash-store'));
    try {
      const store = new QueueStore(db);
      const batch = store.createBatch().id;
      const unit = store.createUnit(batch, 'file');
      // Three starts that died in the step (no endAttempt), then a fourth.
      expect(store.beginAttempt(unit, 'pending', true)).toEqual({ attempts: 1, crashes: 0 });
      expect(store.beginAttempt(unit, 'pending', true)).toEqual({ attempts: 2, crashes: 1 });
      expect(store.beginAttempt(unit, 'pending', true)).toEqual({ attempts: 3, crashes: 2 });
      expect(store.beginAttempt(unit, 'pending', true).crashes).toBe(3);
      // An attempt that ended (however) is not a crash, and a wait (converting) is never marked.
      store.endAttempt(unit, { kind: 'ok' });
      expect(store.unit(unit)).toMatchObject({ attempts: 0, crashes: 0, lastError: null });
      store.beginAttempt(unit, 'pending', false);
      expect(store.beginAttempt(unit, 'pending', true).crashes).toBe(0);
      // A disk-full halt (uncounted) gives the attempt back.
      store.endAttempt(unit, { kind: 'uncounted' });
      expect(store.unit(unit)?.attempts).toBe(1);
      store.endAttempt(unit, { kind: 'failed', error: 'HTTP 503 from the API', nextAt: 0 });
      expect(store.unit(unit)?.lastError).toBe('HTTP 503 from the API');
    } finally {
      db.close();
    }
  });

  it('two runners racing on one transition: exactly one wins, the other gets a clear internal error', async () => {
    const dir = tmpDir('race');
    const dbA = openDatabase(dir);
    const dbB = openDatabase(dir); // a second connection, as a second process would have
    try {
      const a = new QueueStore(dbA);
      const b = new QueueStore(dbB);
      const batch = a.createBatch().id;
      const unit = a.createUnit(batch, 'url');
      const results = await Promise.allSettled(
        [a, b, a, b].map(async (s) => {
          await Promise.resolve();
          s.startCreating(unit);
        }),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
      expect(errors).toHaveLength(3);
      for (const e of errors) {
        expect(e).toBeInstanceOf(TransitionError);
        expect((e as Error).message).toMatch(/no longer in phase "pending"/);
      }
      expect(b.unit(unit)?.phase).toBe('creating');
      // A move the phase map does not allow is refused too.
      expect(() => a.recordConverted(unit)).toThrow(TransitionError);
      a.recordCreated(unit, 'converting', { remoteId: 'job-1', server: null });
      expect(() => b.recordCreated(unit, 'converting', { remoteId: 'job-2', server: null })).toThrow(TransitionError);
      expect(a.unit(unit)).toMatchObject({ phase: 'converting', remoteId: 'job-1' });
    } finally {
      dbA.close();
      dbB.close();
    }
  });

  it('convoy status shows the last error of an item that is being retried', async () => {
    const dir = tmpDir('last-error');
    const db = openDatabase(dir);
    try {
      const store = new QueueStore(db);
      const batch = store.createBatch().id;
      store.insertItems(batch, [
        {
          id: 'item-1',
          batchId: batch,
          source: { kind: 'url', url: 'https://example.com/a.jpg' },
          label: 'a.jpg',
          sourceExt: 'jpg',
          target: 'png',
          options: {},
          destination: null,
          outDir: dir,
          conflict: 'rename',
        },
      ]);
      const unit = store.createUnit(batch, 'url');
      store.updateItem('item-1', { unitId: unit });
      store.beginAttempt(unit, 'pending', true);
      store.endAttempt(unit, { kind: 'failed', error: 'The API answered 500 (Internal Server Error)', nextAt: Date.now() + 60_000 });
      expect(store.item('item-1')?.lastError).toBe('The API answered 500 (Internal Server Error)');
    } finally {
      db.close();
    }
    const run = async (args: string[]) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (c) => (text += c));
      const code = await statusCommand.run([...args, '--data-dir', dir], { stdout: out, stderr: new PassThrough(), stdin: new PassThrough(), env: {} });
      return { code, text };
    };
    const human = await run([]);
    expect(human.code).toBe(0);
    expect(human.text).toMatch(/queued .* a\.jpg — last error: The API answered 500 \(Internal Server Error\)/);
    const doc = JSON.parse((await run(['--json'])).text) as { items: Array<{ lastError: string | null }> };
    expect(doc.items[0].lastError).toBe('The API answered 500 (Internal Server Error)');
  });
});
