// Run by test/lib/sqlite.test.ts under each runtime: exercises lib/sqlite and prints what it saw.
import { openSqlite } from '../../lib/sqlite';

const db = openSqlite(process.argv[2]);
const wal = db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)');
const insert = db.prepare<[string]>('INSERT INTO t (name) VALUES (?)');
insert.run('a');
const inserted = Number(insert.run('b').lastInsertRowid);
const named = db.prepare<{ name: string }, { id: number; name: string }>('SELECT id, name FROM t WHERE name = @name').get({ name: 'b' });
try {
  db.transaction(() => {
    insert.run('c');
    insert.run('a'); // UNIQUE: the whole transaction rolls back
  })();
} catch {
  /* expected */
}
const rolledBack = (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
db.exec('CREATE TABLE log (v TEXT)');
const add = db.prepare<[string]>('INSERT INTO log (v) VALUES (?)');
db.transaction(() => {
  add.run('outer');
  try {
    db.transaction(() => {
      add.run('inner-dropped');
      throw new Error('inner fails');
    })();
  } catch {
    /* only the savepoint rolls back */
  }
  db.transaction(() => add.run('inner-kept'))();
})();
const inTx = [db.inTransaction, db.transaction(() => db.inTransaction)(), db.inTransaction];
const nested = (db.prepare('SELECT v FROM log ORDER BY rowid').all() as Array<{ v: string }>).map((r) => r.v);
const missing = db.prepare('SELECT * FROM t WHERE id = ?').get(999) ?? null;
db.exec('DELETE FROM log');
db.close();
console.log(
  JSON.stringify({ driver: db.driver, name: db.name === process.argv[2], wal, inserted, named: { ...(named as object) }, rolledBack, nested, missing, inTx }),
);
