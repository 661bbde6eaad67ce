import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens Convoy's one SQLite database (`<dataDir>/convoy.db`) in WAL mode with synchronous=FULL
 * where it matters: a state the queue recorded must survive kill -9 and power loss.
 */
export function openDatabase(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'convoy.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (area TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (area, version))');
  return db;
}

/**
 * Applies an area's migrations (e.g. 'queue', 'destinations') once each, in order. Each area owns
 * its tables; areas never touch each other's.
 */
export function migrate(db: Db, area: string, migrations: string[]): void {
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations WHERE area = ?').all(area) as Array<{ version: number }>).map(
      (r) => r.version,
    ),
  );
  const record = db.prepare('INSERT INTO schema_migrations (area, version) VALUES (?, ?)');
  migrations.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      record.run(area, version);
    })();
  });
}
