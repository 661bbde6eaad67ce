/**
 * The crash-loop guard blames only what ended the process: a suspect's next step runs alone
 * (StepIsolation), and an end during a conversion of the in-process engine is left to that
 * engine's own guard (the queue's steps running then are not counted).
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/db';
import { StepIsolation } from '../../main/queue/step-isolation';
import { QueueStore } from '../../main/queue/store';
import { makeImages, openQueue, startEngine, tmpDir, waitFor } from './helpers';

const tick = () => new Promise((r) => setImmediate(r));

describe('StepIsolation', () => {
  it('shared steps run side by side; a suspect waits for a moment when none runs, and runs with nothing beside it', async () => {
    const iso = new StepIsolation();
    const signal = new AbortController().signal;
    const a = await iso.enter(false, signal);
    const b = await iso.enter(false, signal);
    expect(iso.running).toEqual({ sharing: 2, alone: false, waiting: 0 });
    const order: string[] = [];
    const suspect = iso.enter(true, signal).then((leave) => {
      order.push('suspect');
      return leave;
    });
    const second = iso.enter(true, signal).then((leave) => {
      order.push('second suspect');
      return leave;
    });
    // A step that comes after the waiting suspects does not wait for them: a crash holds nothing up.
    const c = await iso.enter(false, signal);
    expect(iso.running).toEqual({ sharing: 3, alone: false, waiting: 2 });
    a();
    a(); // leaving twice is harmless
    b();
    await tick();
    expect(order).toEqual([]);
    c();
    const leaveSuspect = await suspect;
    await tick();
    // One suspect at a time, in order; nothing else beside it.
    expect(order).toEqual(['suspect']);
    expect(iso.running).toEqual({ sharing: 0, alone: true, waiting: 1 });
    expect(iso.tryEnter(false)).toBeNull();
    const shared = iso.enter(false, signal).then((leave) => {
      order.push('shared');
      return leave;
    });
    leaveSuspect();
    // The shared step waiting for the suspect goes first; the second suspect waits for it to end.
    (await shared)();
    (await second)();
    expect(order).toEqual(['suspect', 'shared', 'second suspect']);
    expect(iso.running).toEqual({ sharing: 0, alone: false, waiting: 0 });
  });

  it('an aborted wait rejects, and the steps behind it go on', async () => {
    const iso = new StepIsolation();
    const running = await iso.enter(false, new AbortController().signal);
    const stop = new AbortController();
    const suspect = iso.enter(true, stop.signal);
    const next = iso.enter(true, new AbortController().signal);
    stop.abort();
    await expect(suspect).rejects.toThrow();
    running();
    (await next)();
    expect(iso.running).toEqual({ sharing: 0, alone: false, waiting: 0 });
    // The runner's fast path: entering at once, or null when the step would have to wait.
    const shared = iso.tryEnter(false);
    expect(shared).toBeTypeOf('function');
    expect(iso.tryEnter(true)).toBeNull();
    shared!();
    const aborted = new AbortController();
    aborted.abort();
    const alone = await iso.enter(true, new AbortController().signal);
    await expect(iso.enter(false, aborted.signal)).rejects.toThrow();
    alone();
  });
});

describe('an end of the process during a conversion of the in-process engine', () => {
  it('the engine reports it once; the queue then clears the marks of its own steps instead of counting them', async () => {
    const engineDir = tmpDir('iso-engine');
    const first = await startEngine({ dataDir: engineDir, faults: { conversionDelayMs: 60_000 } });
    const images = tmpDir('iso-img');
    const [image] = await makeImages(images, 1);
    const created = await fetch(`${first.api}/jobs`, {
      method: 'POST',
      headers: { 'x-oc-api-key': first.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({
        input: [{ type: 'base64', source: fs.readFileSync(image).toString('base64'), filename: 'a.jpg' }],
        conversion: [{ target: 'png' }],
      }),
    });
    expect(created.status).toBe(201);
    const job = (await created.json()) as { id: string };
    expect(first.engine.local?.endedWhileConverting?.()).toBe(false);
    await first.engine.close();
    // What a process that ended mid-conversion leaves: the job still marked converting.
    const raw = new Database(path.join(engineDir, 'engine.sqlite'));
    const row = raw.prepare('SELECT doc FROM jobs WHERE id = ?').get(job.id) as { doc: string };
    raw.prepare('UPDATE jobs SET doc = ? WHERE id = ?').run(JSON.stringify({ ...JSON.parse(row.doc), converting: true }), job.id);
    raw.close();

    // The queue's own step that was running then (marked, never ended).
    const data = tmpDir('iso-queue');
    const db = openDatabase(data);
    const store = new QueueStore(db);
    const unit = store.createUnit(store.createBatch().id, 'file');
    store.beginAttempt(unit, 'pending', true);
    db.close();

    const second = await startEngine({ dataDir: engineDir, apiKey: first.apiKey });
    try {
      const local = second.engine.local!;
      let asked = 0;
      const q = openQueue(second, data, {
        local: {
          ...local,
          endedWhileConverting: () => {
            asked++;
            return local.endedWhileConverting!();
          },
        },
      });
      try {
        expect(asked).toBe(1);
        expect(q.queue.store.unit(unit)).toMatchObject({ running: false, crashes: 0 });
        // Once: a queue opened again in this process does not clear marks of its own steps.
        expect(local.endedWhileConverting!()).toBe(false);
        await waitFor(() => q.queue.store.unit(unit)?.phase === 'finished', 10_000, 'the empty unit to finish');
      } finally {
        await q.close();
      }
    } finally {
      await second.engine.close();
    }
  });

  it('without such a report the mark counts: the next attempt sees one crash', () => {
    const db = openDatabase(tmpDir('iso-count'));
    try {
      const store = new QueueStore(db);
      const unit = store.createUnit(store.createBatch().id, 'file');
      store.beginAttempt(unit, 'pending', true);
      expect(store.unit(unit)).toMatchObject({ running: true, crashes: 0 });
      expect(store.beginAttempt(unit, 'pending', true)).toEqual({ attempts: 2, crashes: 1 });
      // Forgiven: the mark is cleared, and the next attempt does not count it.
      expect(store.forgiveRunning()).toBe(1);
      expect(store.beginAttempt(unit, 'pending', true)).toEqual({ attempts: 3, crashes: 1 });
    } finally {
      db.close();
    }
  });
});
