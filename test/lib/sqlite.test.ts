/**
 * The one SQLite type over two drivers: better-sqlite3 (Node 20: the CLI, browser mode, tests)
 * and node:sqlite (Node 24 = Electron 41's Node, run from .cache/electron-node). The same scenario
 * runs under both, and a database written by one is read by the other.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqlite, sqliteDriver } from '../../lib/sqlite';
import { electronNode, hasElectronNode, NO_ELECTRON_NODE_MESSAGE } from '../electron/harness';

const root = path.resolve(__dirname, '../..');
const scenario = path.join(__dirname, 'sqlite-scenario.ts');

function runScenario(node: string, file: string, env: Record<string, string> = {}): Record<string, unknown> {
  const out = execFileSync(node, ['--import', 'tsx', '--no-warnings', scenario, file], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  return JSON.parse(out) as Record<string, unknown>;
}

const expected = {
  wal: 'wal',
  inserted: 2,
  named: { id: 2, name: 'b' },
  rolledBack: 2,
  nested: ['outer', 'inner-kept'],
  missing: null,
  name: true,
  inTx: [false, true, false],
};

describe('lib/sqlite', () => {
  it('under Node 20 it is better-sqlite3, and behaves as the scenario says', () => {
    expect(sqliteDriver()).toBe('better-sqlite3');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-sqlite-')), 'a.db');
    expect(runScenario(process.execPath, file)).toEqual({ driver: 'better-sqlite3', ...expected });
  });

  it.skipIf(!hasElectronNode)("under Node 24 (Electron's Node) it is node:sqlite, same behaviour, and the files are interchangeable", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-sqlite-'));
    expect(runScenario(electronNode, path.join(dir, 'b.db'))).toEqual({ driver: 'node:sqlite', ...expected });
    // Written by node:sqlite, read by better-sqlite3 (and the other way round).
    const db = openSqlite(path.join(dir, 'b.db'));
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 2 });
    db.exec("INSERT INTO t (name) VALUES ('from-node-20')");
    db.close();
    const reread = execFileSync(
      electronNode,
      [
        '-e',
        `const {DatabaseSync}=require('node:sqlite');const d=new DatabaseSync(${JSON.stringify(path.join(dir, 'b.db'))});console.log(d.prepare('SELECT name FROM t ORDER BY id DESC LIMIT 1').get().name)`,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    expect(reread.trim()).toBe('from-node-20');
  });
  if (!hasElectronNode) console.warn(NO_ELECTRON_NODE_MESSAGE);

  it('CONVOY_SQLITE=better-sqlite3 forces the addon where both exist', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'convoy-sqlite-')), 'c.db');
    expect(runScenario(process.execPath, file, { CONVOY_SQLITE: 'better-sqlite3' }).driver).toBe('better-sqlite3');
  });
});
