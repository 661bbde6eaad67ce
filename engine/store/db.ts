/**
 * The engine's persistent state: one SQLite database in WAL mode under the data dir. Every
 * change is committed before the HTTP answer that reports it, so a kill -9 loses nothing a client
 * was told about.
 */
import fs from 'node:fs';
import path from 'node:path';
import { openSqlite, type SqliteDb } from '../../lib/sqlite';

export type Db = SqliteDb;

const schema = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  token TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  expires_at TEXT,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);
CREATE INDEX IF NOT EXISTS jobs_token ON jobs(token);
CREATE INDEX IF NOT EXISTS jobs_expires ON jobs(expires_at);
CREATE TABLE IF NOT EXISTS idempotency (
  scope TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
  job_id TEXT NOT NULL,
  uuid TEXT NOT NULL,
  filename TEXT NOT NULL,
  total INTEGER NOT NULL,
  path TEXT NOT NULL,
  input_id TEXT,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (job_id, uuid)
);
CREATE TABLE IF NOT EXISTS callbacks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS callbacks_job ON callbacks(job_id, id);
CREATE TABLE IF NOT EXISTS presets (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS presets_owner ON presets(owner, created_ms);
-- The outbox's pump reads what is due from this (see callbacks/outbox.ts).
CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks(next_ms, id, job_id);
`;

export function openDb(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = openSqlite(path.join(dataDir, 'engine.sqlite'));
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode is durable against process crashes (kill -9); only power loss can lose
  // the last transactions.
  db.pragma('synchronous = NORMAL');
  db.exec(schema);
  return db;
}
