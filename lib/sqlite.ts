/**
 * One SQLite connection type for two runtimes, so no native module has to match the runtime's ABI:
 * Node's built-in `node:sqlite` where the runtime has it (Electron 41 = Node 24, Node ≥ 22.13), else
 * better-sqlite3 (Node 20: the CLI, browser mode and the tests). Both link SQLite itself, so the
 * same database file works with either. The surface is the small part of better-sqlite3's API that
 * Convoy uses; `node:sqlite` is adapted to it.
 *
 * Used by `main/` and `engine/` alike: it is plumbing with no knowledge of the api2convert API.
 */
import { createRequire } from 'node:module';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement; `P` its parameters (positional, or one object of named ones), `R` a row. */
export interface Statement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

export interface SqliteDb {
  /** Which library answers: 'node:sqlite' or 'better-sqlite3'. */
  readonly driver: SqliteDriver;
  /** The database file's path, as opened (its WAL is `<name>-wal`). */
  readonly name: string;
  /** True inside a transaction (explicit BEGIN or `transaction()`). */
  readonly inTransaction: boolean;
  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Statement<P extends unknown[] ? P : [P], R>;
  exec(sql: string): void;
  /** Runs `PRAGMA <text>` and returns its first value (e.g. 'wal' for `journal_mode = WAL`). */
  pragma(text: string): unknown;
  /** Wraps `fn` in a transaction (nested calls become savepoints); rolls back when it throws. */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  close(): void;
}

export type SqliteDriver = 'node:sqlite' | 'better-sqlite3';

interface NodeSqliteModule {
  DatabaseSync: new (
    file: string,
    opts?: { timeout?: number },
  ) => {
    prepare(sql: string): {
      run(...p: unknown[]): RunResult;
      get(...p: unknown[]): unknown;
      all(...p: unknown[]): unknown[];
    };
    exec(sql: string): void;
    close(): void;
    readonly isTransaction?: boolean;
  };
}

/** The runtime's built-in SQLite, or null (Node 20 has none). `CONVOY_SQLITE=better-sqlite3` forces the addon. */
function builtinSqlite(): NodeSqliteModule | null {
  if (process.env.CONVOY_SQLITE === 'better-sqlite3') return null;
  try {
    return (process.getBuiltinModule?.('node:sqlite') as NodeSqliteModule | undefined) ?? null;
  } catch {
    return null;
  }
}

export function sqliteDriver(): SqliteDriver {
  return builtinSqlite() ? 'node:sqlite' : 'better-sqlite3';
}

/** Opens (creating) the database file with a busy timeout of `busyMs`. */
export function openSqlite(file: string, busyMs = 5000): SqliteDb {
  const builtin = builtinSqlite();
  return builtin ? openBuiltin(builtin, file, busyMs) : openAddon(file, busyMs);
}

function openBuiltin(mod: NodeSqliteModule, file: string, busyMs: number): SqliteDb {
  const db = new mod.DatabaseSync(file, { timeout: busyMs });
  let depth = 0;
  return {
    driver: 'node:sqlite',
    name: file,
    get inTransaction() {
      return db.isTransaction ?? depth > 0;
    },
    prepare(sql) {
      const stmt = db.prepare(sql);
      return {
        run: (...p: unknown[]) => stmt.run(...p),
        get: (...p: unknown[]) => stmt.get(...p),
        all: (...p: unknown[]) => stmt.all(...p),
      } as never;
    },
    exec: (sql) => db.exec(sql),
    pragma(text) {
      const row = db.prepare(`PRAGMA ${text}`).get() as Record<string, unknown> | undefined;
      return row ? Object.values(row)[0] : undefined;
    },
    transaction(fn) {
      return (...args) => {
        const savepoint = `convoy_tx_${depth}`;
        db.exec(depth === 0 ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
        depth++;
        try {
          const result = fn(...args);
          depth--;
          db.exec(depth === 0 ? 'COMMIT' : `RELEASE ${savepoint}`);
          return result;
        } catch (err) {
          depth--;
          db.exec(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
          throw err;
        }
      };
    },
    close: () => db.close(),
  };
}

interface BetterSqlite {
  readonly inTransaction: boolean;
  prepare(sql: string): Statement<unknown[]>;
  exec(sql: string): void;
  pragma(text: string, opts: { simple: true }): unknown;
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  close(): void;
}

function openAddon(file: string, busyMs: number): SqliteDb {
  // Loaded only here, so a runtime with node:sqlite (the Electron app) never loads the addon.
  const require = createRequire(import.meta.url);
  const Database = require('better-sqlite3') as new (file: string, opts: { timeout: number }) => BetterSqlite;
  const db = new Database(file, { timeout: busyMs });
  return {
    driver: 'better-sqlite3',
    name: file,
    get inTransaction() {
      return db.inTransaction;
    },
    prepare: (sql) => db.prepare(sql) as never,
    exec: (sql) => db.exec(sql),
    pragma: (text) => db.pragma(text, { simple: true }),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
}
