/**
 * The units the scheduler may start, limited to some batches (the CLI's `convert` runs its own):
 * units under way first, then pending ones in order; due ones only; the limit holds.
 */
import { expect, it } from 'vitest';
import { openDatabase } from '../../main/db';
import { QueueStore } from '../../main/queue/store';
import { tmpDir } from './helpers';

it('lists the units of the given batches: under way first, then pending in order, due only, up to the limit', () => {
  const db = openDatabase(tmpDir('store-runnable'));
  try {
    const store = new QueueStore(db, () => 1000);
    const a = store.createBatch().id;
    const b = store.createBatch().id;
    const units = Array.from({ length: 6 }, (_, i) => store.createUnit(i % 2 === 0 ? a : b, 'file'));
    const [a0, b0, a1, b1, a2, b2] = units;
    store.startCreating(a2); // under way, yet the last one created
    store.startCreating(b2);
    db.prepare('UPDATE queue_units SET next_at = 5000 WHERE id = ?').run(a1); // waits for a retry
    const ids = (batches: string[], limit: number) => store.runnableUnits(1000, limit, batches).map((u) => u.id);
    expect(ids([a], 10)).toEqual([a2, a0]);
    expect(ids([a], 1)).toEqual([a2]);
    expect(ids([b], 10)).toEqual([b2, b0, b1]);
    expect(ids([a, b], 10)).toEqual([a2, b2, a0, b0, b1]);
    expect(ids([a, b], 3)).toEqual([a2, b2, a0]);
    expect(store.runnableUnits(6000, 10, [a]).map((u) => u.id)).toEqual([a2, a0, a1]);
    expect(store.nextDueAt(1000, [a])).toBe(5000);
    expect(store.nextDueAt(1000, [b])).toBeNull();
    // Unscoped (the app's scheduler) reads the same way over every batch; an empty scope is nothing.
    expect(store.runnableUnits(1000, 10).map((u) => u.id)).toEqual([a2, b2, a0, b0, b1]);
    expect(store.runnableUnits(1000, 2).map((u) => u.id)).toEqual([a2, b2]);
    expect(store.nextDueAt(1000)).toBe(5000);
    expect(store.runnableUnits(1000, 10, [])).toEqual([]);
    expect(store.nextDueAt(1000, [])).toBeNull();
  } finally {
    db.close();
  }
});
