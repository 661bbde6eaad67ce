/**
 * Which queue commits wait for the disk: records of what already happened (txAfter, and a unit's
 * attempt records) commit at synchronous=NORMAL and leave the connection at FULL afterwards,
 * also when the transaction fails. (A PRAGMA takes effect when prepared, so it is run with exec each time.)
 */
import { expect, it } from 'vitest';
import { openDatabase } from '../../main/db';
import { QueueStore } from '../../main/queue/store';
import { tmpDir } from './helpers';

it('commits txAfter and the attempt records without FULL sync, and restores FULL after each', () => {
  const db = openDatabase(tmpDir('store-sync'));
  try {
    const level = () => Number(db.pragma('synchronous'));
    const store = new QueueStore(db);
    expect(level()).toBe(2);
    expect(store.txAfter(level)).toBe(1);
    expect(level()).toBe(2);
    expect(() =>
      store.txAfter(() => {
        store.createBatch();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(level()).toBe(2);
    expect(store.batches()).toHaveLength(0); // rolled back

    const unit = store.createUnit(store.createBatch().id, 'file');
    // What the attempt records ran at: each is committed at NORMAL (no sync inside the commit).
    const execs: string[] = [];
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => {
      execs.push(sql);
      exec(sql);
    };
    expect(store.beginAttempt(unit, 'pending', true)).toEqual({ attempts: 1, crashes: 0 });
    expect(execs).toEqual(['PRAGMA synchronous = NORMAL', 'PRAGMA synchronous = 2']);
    expect(level()).toBe(2);
    expect(store.unit(unit)).toMatchObject({ attempts: 1 });
    expect(db.prepare('SELECT running FROM queue_units WHERE id = ?').get(unit)).toEqual({ running: 1 });
    store.endAttempt(unit, { kind: 'ok' });
    expect(execs.slice(2)).toEqual(['PRAGMA synchronous = NORMAL', 'PRAGMA synchronous = 2']);
    expect(level()).toBe(2);
    expect(db.prepare('SELECT attempts, running FROM queue_units WHERE id = ?').get(unit)).toEqual({ attempts: 0, running: 0 });
  } finally {
    db.close();
  }
});
