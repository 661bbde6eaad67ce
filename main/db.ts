import fs from 'node:fs';
import path from 'node:path';
import { openSqlite, type SqliteDb } from '../lib/sqlite';

export type Db = SqliteDb;

/** The data folder was written by a newer Convoy: opening it could corrupt what that version wrote. */
export class DatabaseTooNewError extends Error {
  constructor(
    readonly area: string,
    readonly found: number,
    readonly known: number,
    readonly file: string,
  ) {
    super(
      `The database ${file} was written by a newer version of Convoy (its ${area} schema is version ${found}; this version knows up to ${known}). ` +
        'Install the newer Convoy again, or start this one with another data folder.',
    );
    this.name = 'DatabaseTooNewError';
  }
}

/**
 * Opens Convoy's one SQLite database (`<dataDir>/convoy.db`) in WAL mode with synchronous=FULL
 * where it matters: a state the queue recorded must survive kill -9 and power loss. With `known`
 * (each area's number of migrations in this build), a database from a newer Convoy is refused
 * before a single byte of it is written.
 */
export function openDatabase(dataDir: string, known?: Record<string, number>): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = openSqlite(path.join(dataDir, 'convoy.db'));
  if (known && db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()) {
    try {
      assertSchemaKnown(db, known);
    } catch (err) {
      db.close();
      throw err;
    }
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (area TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (area, version))');
  return db;
}

/**
 * Refuses a database that a newer Convoy wrote, before any area migrates (so nothing is written to
 * it): `known` is each area's number of migrations in this build.
 */
export function assertSchemaKnown(db: Db, known: Record<string, number>): void {
  const rows = db.prepare('SELECT area, MAX(version) AS version FROM schema_migrations GROUP BY area').all() as Array<{
    area: string;
    version: number;
  }>;
  for (const { area, version } of rows) {
    if (area in known && version > known[area]) throw new DatabaseTooNewError(area, version, known[area], databaseFile(db));
  }
}

function databaseFile(db: Db): string {
  return (db.prepare('PRAGMA database_list').get() as { file?: string } | undefined)?.file || 'convoy.db';
}

/**
 * Applies an area's migrations (e.g. 'queue', 'destinations') once each, in order. Each area owns
 * its tables; areas never touch each other's. Refuses (before writing anything) a database whose
 * area is at a version this build does not know.
 */
export function migrate(db: Db, area: string, migrations: string[]): void {
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations WHERE area = ?').all(area) as Array<{ version: number }>).map((r) => r.version));
  const newest = Math.max(0, ...applied);
  if (newest > migrations.length) throw new DatabaseTooNewError(area, newest, migrations.length, databaseFile(db));
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
